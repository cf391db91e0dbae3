"""What the page has been sent: a stand-in for the browser's widget manager, for measuring.

A benchmark or a test that reads the panel's own attributes sees what the panel *meant* to show;
a person sees what reached the page. `Page.watch(widget)` takes the widget's comm over the way
the front-end does: it starts from the state sent when the model opens and then applies every
"update" message the kernel sends, in order, so `page.state(widget)` is what that widget's model
holds in the browser now. `page.grid_rows(grid, start, stop)` asks a grid for rows as its
front-end asks and returns the cells the page would draw for that model: the package's grid
(datagrid/, the default) with a "window" custom message for the model's view, answered "rows";
ipydatagrid's streaming grid (`grid="canvas"`) with a "data-request", answered "data-reply".
Nothing here reads the panel's bookkeeping (its view, its flags): only messages.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .browse_columns import COLUMNS, VIEW_MARK, display_frame

_KEY_COLUMNS = ("key", "ipydguuid")  # the columns ipydatagrid adds (never drawn)
FIRST_ROWS = 5  # rows compared from the top of a grid


@dataclass(frozen=True)
class Seen:
    """What a person sees of Browse: the count line, the grid's row count, its first rows."""

    count_text: str
    rows: int
    first: list[list[str]]
    model: str = ""  # which of the grid's models the page holds (each view is a new one)

    def shows(self, count: int, first: list[list[str]]) -> bool:
        """Whether this is the view of `count` rows starting with `first` (nothing older, and
        not "updating")."""
        words = f"Showing {count:,} of" if count else "No subproject matches"
        return (
            self.count_text.startswith(words)
            and self.rows == count
            and self.first == first[: len(self.first)]
            and len(self.first) == min(count, FIRST_ROWS)
        )


def plain(markup: Any) -> str:
    """An HTML widget's value as the text a person reads (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(markup or "")))


class Page:
    """The models of the watched widgets as the front-end holds them (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, dict[str, Any]] = {}
        self._custom: dict[str, list[dict[str, Any]]] = {}

    def watch(self, *watched: Any) -> None:
        """Receive what the kernel sends to these widgets from now on (the state they have now
        is what the page got when their models opened)."""
        for widget in watched:
            comm = widget.comm
            if comm is None:
                raise ValueError(f"{type(widget).__name__} is closed: the page has no model of it")
            with self._lock:
                self._models[widget.model_id] = dict(widget.get_state())
                self._custom[widget.model_id] = []
            comm.publish_msg = self._receiver(widget.model_id)
            if hasattr(comm, "kernel") and comm.kernel is None:
                comm.kernel = True  # ipywidgets sends only to a comm with a kernel

    def _receiver(self, model_id: str) -> Any:
        def publish_msg(
            msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **_keys: Any
        ) -> None:
            if msg_type != "comm_msg" or not isinstance(data, dict):
                return
            with self._lock:
                if data.get("method") == "update":
                    self._models[model_id].update(data.get("state") or {})
                elif data.get("method") == "custom":
                    self._custom[model_id].append(
                        {"content": data.get("content"), "buffers": list(buffers or [])}
                    )

        return publish_msg

    def state(self, widget: Any) -> dict[str, Any]:
        """The widget's model as the page holds it now."""
        with self._lock:
            return dict(self._models[widget.model_id])

    def value(self, widget: Any, name: str = "value") -> Any:
        with self._lock:
            return self._models[widget.model_id].get(name)

    def grid_rows(self, grid: Any, start: int, stop: int) -> list[list[str]]:
        """Rows `start`..`stop` of a grid, asked for as its front-end asks, as the page would draw
        them ([] when its model has no such rows)."""
        with self._lock:
            canvas = "_row_count" in self._models[grid.model_id]
        if canvas:
            return self._canvas_rows(grid, start, stop)
        with self._lock:
            model = self._models[grid.model_id]
            count, view = int(model.get("count", 0)), model.get("view")
            seen = len(self._custom[grid.model_id])
        stop = min(stop, count)
        if stop <= start:
            return []
        self._send(grid, {"type": "window", "view": view, "start": start, "stop": stop})
        with self._lock:
            answers = [
                r["content"]
                for r in self._custom[grid.model_id][seen:]
                if isinstance(r["content"], dict)
                and r["content"].get("type") == "rows"
                and r["content"].get("view") == view  # the page drops an older view's rows
            ]
        return [list(row) for row in answers[-1]["rows"]] if answers else []

    def click_row(self, grid: Any, row: int, view: Any = None) -> None:
        """A click on body row `row` as the page reports it: the package's grid names the view
        the page drew that row from (`view`; None: the one its model holds now); the canvas grid
        reports a selection (its front-end maps rows in the kernel's current model)."""
        with self._lock:
            model = self._models[grid.model_id]
            canvas = "_row_count" in model
            drawn = model.get("view") if view is None else view
        if canvas:
            last = len(COLUMNS) - 1
            grid.set_state({"selections": [{"r1": row, "r2": row, "c1": 0, "c2": last}]})
        else:
            self._send(grid, {"type": "open", "row": row, "view": drawn})

    @staticmethod
    def _send(grid: Any, content: dict[str, Any]) -> None:
        """A custom message from the page to the grid's kernel side, as the front-end sends it."""
        grid.comm.handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )

    def _canvas_rows(self, grid: Any, start: int, stop: int) -> list[list[str]]:
        """Rows of ipydatagrid's streaming grid, decoded from its "data-reply" (the columns of
        its current model's schema, in order)."""
        with self._lock:
            model = self._models[grid.model_id]
            count = int(model.get("_row_count", 0))
            schema = (model.get("_data") or {}).get("schema") or {}
            fields = [f["name"] for f in schema.get("fields", []) if f["name"] not in _KEY_COLUMNS]
            replies = self._custom[grid.model_id]
            seen = len(replies)
        stop = min(stop, count)
        if stop <= start or not fields:
            return []
        request = {
            "type": "data-request",
            "r1": start,
            "r2": stop - 1,
            "c1": 0,
            "c2": len(fields) - 1,
        }
        self._send(grid, request)
        with self._lock:
            answers = [
                r
                for r in self._custom[grid.model_id][seen:]
                if isinstance(r["content"], dict) and r["content"].get("event_type") == "data-reply"
            ]
        if not answers:
            return []
        return _decode(answers[-1]["content"]["value"], answers[-1]["buffers"], fields)


def _decode(value: dict[str, Any], buffers: list[Any], fields: list[str]) -> list[list[str]]:
    """The rows of a data-reply (ipydatagrid's column serialisation), as lists of cell texts."""
    columns: dict[str, list[Any]] = {}
    for name, column in (value.get("data") or {}).items():
        if isinstance(column, list):  # text: sent as a JSON list
            columns[name] = column
        elif column.get("type") == "raw":
            columns[name] = list(column["value"])
        elif isinstance(column.get("value"), int):
            data = np.frombuffer(bytes(buffers[column["value"]]), dtype=column["dtype"])
            columns[name] = data.reshape(column["shape"]).tolist()
        else:
            columns[name] = list(column.get("value") or [])
    size = max((len(c) for c in columns.values()), default=0)
    return [
        ["" if columns.get(f) is None else str(columns[f][i]) for f in fields if f in columns]
        for i in range(size)
    ]


def browse_seen(page: Page, browse: Any, first: int = FIRST_ROWS) -> Seen:
    """What the page shows of a Browse tab (`page` watching its count and its grid): the
    package's grid's row count and view number, or the canvas grid's row count and view mark."""
    grid = browse.grid.grid
    state = page.state(grid)
    if "_row_count" in state:  # the canvas grid
        data = (state.get("_data") or {}).get("data") or {}
        marks = [name for name in data if str(name).startswith(VIEW_MARK)]
        rows, model = int(state.get("_row_count") or 0), marks[-1] if marks else ""
    else:
        rows, model = int(state.get("count") or 0), f"view {state.get('view')}"
    return Seen(plain(page.value(browse.count)), rows, page.grid_rows(grid, 0, first), model)


def watch_browse(browse: Any) -> Page:
    """A page that receives what Browse's count line and grid are sent from now on."""
    page = Page()
    page.watch(browse.count, browse.grid.grid)
    return page


def reference_view(
    records: list[Any], wanted: Any, column: str = "Updated", descending: bool = True
) -> tuple[int, list[list[str]]]:
    """The count and first rows of a view by the core's rules, worked out without Browse:
    `wanted.matches` (a `SubprojectFilter`) over `Subproject` records, `sorted()` with the
    grid's key for `column` (stable: ties keep the records' order), `display_frame`'s cells."""
    by = next(c for c in COLUMNS if c.title == column).key
    kept = [sp for sp in sorted(records, key=by, reverse=descending) if wanted.matches(sp)]
    return len(kept), display_frame(kept[:FIRST_ROWS]).values.tolist()
