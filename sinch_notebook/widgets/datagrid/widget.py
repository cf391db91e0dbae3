"""`DataGrid`: the kernel side of the package's HTML grid (grid.js draws it in the page).

The page and the kernel talk in custom messages, so rows never enter the widget's state:

- page -> kernel `{"type": "window", "start", "stop", "view"}`: the rows it needs to show;
  answered `{"type": "rows", "start", "rows", "view", "count"}` (cells as text).
- `{"type": "sort", "column"}`: a header clicked or Enter on it; `on_sort(title)` decides.
- `{"type": "open", "row", "view"}`: a row clicked or Enter on it; `on_open(id)` gets the id of
  that row of the view the page drew it from (a few recent views are kept), so a click on rows
  of the previous view, before the new view's rows arrive, opens the row it shows.
- `{"type": "edit", "row", "column", "value", "seq"}`: a cell typed in; `on_edit` checks and
  keeps it, and its answer `{"type": "edited", ..., "ok", "error", "value"}` is shown at the cell.

`view` counts the views shown: the page drops an answer for an older view, and asks again
whenever it changes. `top` counts the times the page must scroll back to the first row.

Every cell text the page is sent passes through the core's `visible` (control, format and bidi
characters as escapes), whatever the source: one door for Browse, Bulk and `sn.edit`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .sources import EmptySource, WindowSource, shown_rows

HERE = Path(__file__).parent
MAX_WINDOW = 500  # rows one answer may carry: the page asks for what is on screen and a margin
KEPT_VIEWS = 8  # recent views a click from the page may still name (rows drawn, new view coming)
# {"title", "width" (px; 0: share what the others leave), "min" (px: the narrowest it gets on a
# narrow page), "wrap", "editable"}
ColumnSpec = Mapping[str, Any]


class DataGrid(anywidget.AnyWidget):
    """A windowed, sortable, editable, accessible HTML table over a `WindowSource`.

    `on_sort(title)` is called for a header click (None: the grid toggles its own sort state
    only); `on_open(row_id)` for a row opened (click or Enter); `on_edit(row, column, value)`
    for a cell typed in: it returns None when kept, or the error to show at the cell.
    """

    _esm = HERE / "grid.js"
    _css = HERE / "grid.css"

    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    count = traitlets.Int(0).tag(sync=True)
    view = traitlets.Int(0).tag(sync=True)
    top = traitlets.Int(0).tag(sync=True)
    sort_column = traitlets.Unicode("").tag(sync=True)
    sort_descending = traitlets.Bool(False).tag(sync=True)
    sortable = traitlets.Bool(True).tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    empty_text = traitlets.Unicode("No rows").tag(sync=True)
    open_hint = traitlets.Unicode("").tag(sync=True)  # e.g. "Open in Edit": rows open
    max_rows = traitlets.Int(20).tag(sync=True)  # taller views scroll inside the grid
    widths = traitlets.Dict().tag(sync=True)  # px per title, as the person resized them

    def __init__(
        self,
        *,
        columns: Sequence[ColumnSpec] = (),
        caption: str = "",
        max_rows: int = 20,
        sortable: bool = True,
        open_hint: str = "",
        empty_text: str = "No rows",
        on_sort: Callable[[str], None] | None = None,
        on_open: Callable[[str], None] | None = None,
        on_edit: Callable[[int, str, str], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        self._specs = {str(c["title"]): dict(c) for c in columns}
        self._source: WindowSource = EmptySource([str(c["title"]) for c in columns])
        self._views: dict[int, WindowSource] = {0: self._source}  # view number -> its source
        self._lock = threading.RLock()
        self.on_sort = on_sort
        self.on_open = on_open
        self.on_edit = on_edit
        self.last_error: str | None = None  # the last edit refused, for code and tests
        super().__init__(
            caption=caption,
            max_rows=max_rows,
            sortable=sortable,
            open_hint=open_hint,
            empty_text=empty_text,
            columns=self._column_state(self._source.columns),
            **kwargs,
        )
        self.on_msg(self._on_page_msg)

    # -- what it shows -------------------------------------------------------------------------

    @property
    def source(self) -> WindowSource:
        return self._source

    def show(self, source: WindowSource, *, top: bool = True) -> None:
        """Show `source` from now on (`top`: from its first row; else where the page is)."""
        with self._lock:
            self._source = source
            columns = self._column_state(source.columns)
            with self.hold_sync():  # one message: the columns, the count and the new view
                if columns != self.columns:
                    self.columns = columns
                self.count = source.count
                self._next_view()
                if top:
                    self.top += 1

    def set_columns(self, columns: Sequence[ColumnSpec]) -> None:
        """Widths, wrapping and editability by column title (titles not named get defaults)."""
        with self._lock:
            self._specs = {str(c["title"]): dict(c) for c in columns}
            self.columns = self._column_state(self._source.columns)

    def redraw(self) -> None:
        """Make the page ask for the rows on screen again (where it stays)."""
        with self._lock:
            self._next_view()

    def _next_view(self) -> None:
        """A new view number for the source shown (the page asks for its rows again)."""
        self._views[self.view + 1] = self._source
        self._views.pop(self.view + 1 - KEPT_VIEWS, None)
        self.view += 1

    def window(self, start: int, stop: int) -> list[list[str]]:
        """The cells of rows start..stop of the view, as the page is sent them (`visible`)."""
        with self._lock:
            return self._window(self._source, start, stop)

    @staticmethod
    def _window(source: WindowSource, start: int, stop: int) -> list[list[str]]:
        start, stop = max(0, start), min(stop, max(0, start) + MAX_WINDOW, source.count)
        return shown_rows(source.window(start, stop)) if stop > start else []

    def row_id(self, row: int, view: int | None = None) -> str | None:
        """The id of row `row` of view number `view` (None: the view shown now); None when that
        row, or that view, is not there any more."""
        with self._lock:
            source = self._source if view is None else self._views.get(view)
            if source is None or not 0 <= row < source.count:
                return None
            return source.id_at(row)

    def _column_state(self, titles: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for title in titles:
            spec = self._specs.get(title, {})
            out.append(
                {
                    "title": title,
                    "width": int(spec.get("width", 0) or 0),
                    "min": int(spec.get("min", 0) or 0),
                    "wrap": bool(spec.get("wrap", True)),
                    "editable": bool(spec.get("editable", False)),
                }
            )
        return out

    # -- what the page asks (and code and tests, through the same doors) -----------------------

    def click_header(self, title: str) -> None:
        """A header clicked (or Enter on it): sort by that column (twice: the other way)."""
        if not self.sortable:
            return
        if self.on_sort is not None:
            self.on_sort(title)
            return
        descending = not self.sort_descending if title == self.sort_column else False
        self.show_sort(title, descending)

    def show_sort(self, title: str, descending: bool) -> None:
        """Mark the column the view is sorted by (its header's arrow and `aria-sort`)."""
        with self.hold_sync():
            self.sort_column, self.sort_descending = title, descending

    def open_row(self, row: int, view: int | None = None) -> None:
        """A row opened (clicked, or Enter on it): `on_open` gets its id, in view number `view`
        (the view the page drew that row from; None: the view shown now)."""
        row_id = self.row_id(row, view)
        if row_id is not None and self.on_open is not None:
            self.on_open(row_id)

    def edit_cell(self, row: int, column: str, value: str) -> str | None:
        """A cell typed in: None when kept, else the error the page shows at the cell."""
        spec = next((c for c in self.columns if c["title"] == column), None)
        if spec is None or not spec["editable"] or self.on_edit is None:
            error = f"{column} is read-only."
        elif not 0 <= row < self.count:
            error = f"row {row} is not in the grid (it has {self.count:,} rows)."
        else:
            error = self.on_edit(row, column, value)
        self.last_error = error
        return error

    def answer(self, message: Mapping[str, Any]) -> dict[str, Any] | None:
        """What the kernel does with a message from the page, and what it answers (if any)."""
        kind = message.get("type")
        if kind == "window":
            start, stop = int(message.get("start", 0)), int(message.get("stop", 0))
            with self._lock:
                view = self.view
                rows = self.window(start, stop)
                return {
                    "type": "rows",
                    "view": view,
                    "start": start,
                    "rows": rows,
                    "count": self._source.count,
                }
        if kind == "sort":
            self.click_header(str(message.get("column", "")))
        elif kind == "open":
            view = message.get("view")
            self.open_row(int(message.get("row", -1)), None if view is None else int(view))
        elif kind == "edit":
            row, column = int(message.get("row", -1)), str(message.get("column", ""))
            value = str(message.get("value", ""))
            error = self.edit_cell(row, column, value)
            cells = self.window(row, row + 1)
            titles = [c["title"] for c in self.columns]
            shown = cells[0][titles.index(column)] if cells and column in titles else value
            return {
                "type": "edited",
                "seq": message.get("seq"),
                "row": row,
                "column": column,
                "ok": error is None,
                "error": error or "",
                "value": value if error else shown,
            }
        return None

    def _on_page_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        reply = self.answer(content)
        if reply is not None:
            self.send(reply)
