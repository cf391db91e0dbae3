"""The canvas grids (`sn.panel(grid="canvas")`, with `pip install sinch-notebook[canvas]`):
ipydatagrid's streaming grid for Browse over a kernel-side view, and its editable grid for Bulk
(`CanvasFrameGrid`). The default grid is the package's own HTML grid (datagrid/); these stay
for those who prefer the canvas.

Why this grid: ipydatagrid (Bloomberg, BSD) is a canvas grid with resizable columns, row
selection and a header that reports clicks, and its *streaming* variant keeps the rows in the
kernel and sends the front-end only the rows on screen. So 10,000 subprojects cost the browser
what 20 do, and a notebook saved with widget state holds the column names, not the rows.

Sorting happens here, over the whole view (a click on a column header sorts by it; a second
click reverses). A click on a row reports that subproject's id. The grid's own header menu
(the funnel icon) also sorts and filters in the kernel, over the whole view.

`StreamingGrid` works around a fault of ipydatagrid's front-end (1.4) that otherwise makes
JupyterLab drop the widget state of the whole notebook on save (see its docstring).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd
from ipydatagrid import StreamingDataGrid, TextRenderer
from traitlets import observe

from .browse_columns import (
    BY_TITLE,
    COLUMNS,
    ID_WIDTH,
    MIN_NAME_WIDTH,
    TIME_WIDTH,
    VIEW_MARK,
    BrowseView,
)
from .datagrid.sources import shown_rows
from .view import FrameView, View

ROW_HEIGHT = 22  # one line of text
LINE_HEIGHT = 15  # each further line of a wrapped cell (its text starts at the top)
MAX_LINES = 3
HEADER_HEIGHT = 24
CHAR_WIDTH = 6.2  # px: a character of a name or labels in the grid's 12px sans-serif
CELL_PADDING = 14  # px: the renderer's margins
FRAME = 26  # px: the vertical scroll bar and the border, with a little room
MIN_LABELS_WIDTH = 180  # the columns fit from about 790 px; below, the grid scrolls sideways
NARROW_TIME_WIDTH = 100  # px: the same on two
HEIGHT_BUDGET = 1.4  # the grid is at most this many times visible_rows one-line rows tall
WRAPPED = ("Name", "Labels", "Updated", "Created")  # wraps onto more lines, never cut


class StreamingGrid(StreamingDataGrid):
    """ipydatagrid's StreamingDataGrid whose front-end model stays consistent once rows stream.

    The kernel sends the model's `_data` with the schema and no rows (they stream on request).
    In the front-end, the first streamed answer replaces that DataSource's list of columns
    (`StreamingView.setDataRange` calls `DataSource.setColumns`) while its data stays `{}`, so
    `DataSource.length` reads `data[column].length` of a column that is not there and throws.
    Everything that compares that model's attributes reads `length` (Backbone's and lodash's
    `isEqual`): each later `_data` from the kernel fails ("Error setting state"), and
    JupyterLab's "save widget state" (`get_state(drop_defaults)`) throws, so the notebook is
    saved with no widget state at all. An empty column for every field of the schema keeps
    `length` at 0 and the saved state small (no rows, as before).

    With that fixed, the front-end also sends clicks on body cells, without `primary_key_row`
    (it cannot map a streamed row to a dataset row), which ipydatagrid's kernel-side handler
    indexes: it is filled in as None here, so a click never prints a traceback.

    And new rows are never drawn with old ones: the front-end keeps the rows it was sent until
    the next answer overwrites them (a debounce and a round trip later, and only for the rows on
    screen), so after a sort or a filter the grid would show rows of the previous view for a
    while, and a click there would open another subproject than the one shown. Each new frame
    therefore carries one more empty column, named after its number, which the front-end's
    comparison sees as new data: it starts a fresh model that shows "..." until the rows come.
    """

    VIEW_MARK = VIEW_MARK  # the extra column: sn-view-1, sn-view-2, ... (no field, never shown)

    @property
    def view(self) -> View:
        """The view the model holds (what the page draws)."""
        return self._view

    def show_view(self, view: View) -> None:
        """Make `view` the model's rows: one message carries its row count and its schema with
        the new view's mark, and the rows the page asks for next are cut from it (a window at a
        time: nothing here reads every row of the view)."""
        with self._swap:
            self._views = getattr(self, "_views", 0) + 1
            self._view = view
            self._transformed_view = None
            with self.hold_sync():
                if getattr(self, "_schema_of", None) != view.columns:  # once per set of columns
                    empty_frame = pd.DataFrame(columns=view.columns, dtype=object)
                    StreamingDataGrid.data.fset(self, empty_frame)
                    self._schema_of, self._schema = list(view.columns), dict(self._data)
                fields = self._schema["schema"]["fields"]
                empty = {f["name"]: pd.Series([], dtype=object) for f in fields}
                empty[f"{self.VIEW_MARK}{self._views}"] = pd.Series([], dtype=object)  # last
                self._data = {**self._schema, "data": empty}
                self._row_count = view.count

    @property
    def data(self) -> pd.DataFrame:
        """Every cell of the view as a frame (built on demand: not how the grid draws)."""
        return self._view.frame()

    @data.setter
    def data(self, frame: pd.DataFrame) -> None:
        if not hasattr(self, "_swap"):  # ipydatagrid's __init__ sets the first data
            self._swap = threading.RLock()
        self.show_view(FrameView(frame))

    @property
    def shown(self) -> View:
        """What the rows of the page come from: the view, or the header menu's sort/filter of
        it (ipydatagrid's own menu works on a frame, so that frame is built when it is used)."""
        with self._swap:
            return self._transformed_view or self._view

    @observe("_transforms")
    def _on_transforms_changed(self, change: dict[str, Any]) -> None:
        with self._swap:
            view = self._view
            transforms = change["new"]
            shown = None
            if transforms:
                shown = FrameView(self._apply_frontend_transforms(transforms, view.frame()))
            self._transformed_view = shown
            self._row_count = (shown or view).count
        self.tick()

    def _handle_comm_msg(self, _comm: Any, content: Any, _buffers: Any) -> None:
        """Rows asked for by the page, cut from the view's window; the header menu's list of a
        column's values, from the view."""
        if not isinstance(content, dict):
            return
        if content.get("type") == "data-request":
            r1, r2 = int(content["r1"]), int(content["r2"])
            c1, c2 = int(content["c1"]), int(content["c2"])
            view = self.shown
            window = shown_rows(view.window(r1, r2 + 1))  # every character for what it is
            frame = pd.DataFrame(
                [cells[c1 : c2 + 1] for cells in window] or None,
                columns=view.columns[c1 : c2 + 1],
                index=pd.RangeIndex(r1, r1 + len(window)),
                dtype=object,
            )
            serialized, buffers = self._serialize_helper(frame)
            answer = {
                "event_type": "data-reply",
                "value": serialized,
                "r1": r1,
                "r2": r2,
                "c1": c1,
                "c2": c2,
            }
            self.send(answer, buffers)
        elif content.get("type") == "unique-values-request":
            column = content.get("column")
            values = self._view.frame()[column].drop_duplicates()
            serialized, buffers = self._serialize_helper(pd.DataFrame(values))
            self.send(
                {"event_type": "unique-values-reply", "column": column, "value": serialized},
                buffers,
            )

    def _handle_custom_msg(self, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event_type") == "cell-click":
            content = {"primary_key_row": None, **content}
        elif isinstance(content, dict) and "event_type" not in content:
            # The front-end's row requests ({"type": "data-request", ...}) have no event_type,
            # which ipydatagrid's other handler indexes: a traceback per scroll otherwise.
            content = {"event_type": content.get("type"), **content}
        super()._handle_custom_msg(content, buffers)


def _text_width(texts: list[str]) -> int:
    """Pixels the longest of `texts` needs on one line."""
    longest = max(map(len, texts), default=0)
    return math.ceil(longest * CHAR_WIDTH) + CELL_PADDING


def _lines(texts: list[str], width: int) -> int:
    """Lines the longest `texts` of a column need in a column `width` pixels wide, wrapped at
    spaces as the grid wraps them (at most MAX_LINES)."""
    if not texts:
        return 1
    per_line = max(1, int((width - CELL_PADDING) / CHAR_WIDTH))
    return max(1, min(MAX_LINES, max(_wrapped(text, per_line) for text in texts)))


def _wrapped(text: str, per_line: int) -> int:
    """How many lines `text` takes, filled word by word, `per_line` characters each."""
    lines, used = 1, 0
    for word in text.split(" "):
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= per_line or used == 0:
            used = need
        else:
            lines, used = lines + 1, len(word)
        while used > per_line:  # a word longer than a line is broken
            lines, used = lines + 1, used - per_line
    return lines


class SubprojectGrid(BrowseView, widgets.VBox):
    """The grid plus its sort state; `show(rows)` replaces what it shows."""

    def __init__(
        self, *, on_open: Callable[[str], None], on_sort: Callable[[], None], visible_rows: int
    ) -> None:
        self._start_view(on_open, on_sort, visible_rows)
        self._longest: dict[str, list[str]] = {title: [] for title in WRAPPED}
        self._header_clicked = False
        self.widths = {c.title: c.width for c in COLUMNS}
        self.grid = StreamingGrid(
            self.view.frame(),
            selection_mode="row",
            header_visibility="column",
            base_row_size=ROW_HEIGHT,
            base_column_header_size=HEADER_HEIGHT,
            column_widths=dict(self.widths),
            default_renderer=TextRenderer(vertical_alignment="top"),
            renderers={
                title: TextRenderer(text_wrap=True, vertical_alignment="top") for title in WRAPPED
            },
            layout=widgets.Layout(height=self._height(0), width="100%"),
        )
        self.grid.add_class("sn-browse-grid")
        self.grid.on_cell_click(self._on_cell_click)
        self.grid.observe(self._on_selection, names="selections")
        super().__init__([self.grid])

    # -- what it shows -------------------------------------------------------------------------

    def show_view(self, view: View) -> None:
        """Show `view` from the top: the model's rows change in one message, and rows are
        sized for the view's longest names and labels (found by index work, see view.py)."""
        longest = {title: view.longest(title) for title in WRAPPED}
        self.grid.clear_selection()
        self.grid._transforms = []  # the header menu's sorts and filters belong to old data
        self.grid.show_view(view)
        self.view, self._longest = view, longest
        self.grid.tick()  # the front-end asks again for the rows on screen
        self._size_rows()

    def redraw(self) -> None:
        """Ask the front-end for the rows on screen again: a grid that was hidden (another tab
        shown) when its rows changed asked for none, and would show "..." until scrolled."""
        self.grid.tick()

    def fit(self, width: int) -> None:
        """Fit the columns to `width` pixels (the page says how wide the grid is): the id
        whole, the times on one line (on two when narrow), the name up to its longest, Labels
        the rest; no empty band, no sideways scrolling."""
        available = width - FRAME
        times = TIME_WIDTH
        name = MIN_NAME_WIDTH
        if available - ID_WIDTH - 2 * times - name < MIN_LABELS_WIDTH:
            times = NARROW_TIME_WIDTH  # "2026-04-17" over "18:24 UTC"
        labels = max(MIN_LABELS_WIDTH, available - ID_WIDTH - 2 * times - name)
        longest = _text_width(self._longest["Labels"])
        if labels > longest:  # room to spare: the names get it, and Labels what is left
            name = max(name, min(_text_width(self._longest["Name"]), name + labels - longest))
            labels = max(MIN_LABELS_WIDTH, available - ID_WIDTH - 2 * times - name)
        self.widths = {
            "Name": name,
            "Labels": labels,
            "Updated": times,
            "Created": times,
            "ID": ID_WIDTH,
        }
        self.grid.column_widths = dict(self.widths)
        self._size_rows()

    def _size_rows(self) -> None:
        """Rows tall enough for the longest wrapped name or label set of the view (at most
        MAX_LINES lines), and a grid tall enough for them."""
        lines = max(_lines(self._longest[title], self.widths[title]) for title in WRAPPED)
        row = ROW_HEIGHT + (lines - 1) * LINE_HEIGHT
        if self.grid.base_row_size != row:
            self.grid.base_row_size = row
        self.grid.layout.height = self._height(self.view.count, row)

    def _height(self, count: int, row: int = ROW_HEIGHT) -> str:
        fits = int(self.visible_rows * ROW_HEIGHT * HEIGHT_BUDGET // row)
        shown = max(3, min(count, self.visible_rows, fits))
        return f"{HEADER_HEIGHT + shown * row + 4}px"

    # -- clicks ----------------------------------------------------------------------------------

    def row_id(self, number: int) -> str | None:
        """The id of the row shown at `number` (0 = top), as the grid shows it now: from the
        view the page draws (while a new view is prepared, that is still the old one)."""
        shown = self.grid.shown
        if not 0 <= number < shown.count:
            return None
        return shown.id_at(number)

    def click_row(self, number: int) -> None:
        """What a click on row `number` does (tests and scripts drive the grid through this)."""
        self.grid.select(number, 0, number, len(COLUMNS) - 1, clear_mode="all")
        self._open_selected(self.grid.selections)

    def click_header(self, title: str) -> None:
        """What a click on a column header does."""
        self.set_sort(title)

    def _on_cell_click(self, cell: dict[str, Any]) -> None:
        # A header click arrives first, then the column selection it makes: ignore that one.
        if cell.get("region") == "column-header":
            self._header_clicked = True
            title = cell.get("column")
            if title in BY_TITLE:
                self.set_sort(str(title))

    def _on_selection(self, change: dict[str, Any]) -> None:
        if self._header_clicked:
            # The column a header click selects (every row, in row mode): not a row to open,
            # and not to stay highlighted over the newly sorted rows.
            self._header_clicked = False
            if change["new"]:
                self.grid.clear_selection()
            return
        self._open_selected(change["new"])

    def _open_selected(self, selections: list[dict[str, Any]]) -> None:
        if len(selections) != 1:
            return
        rect = selections[0]
        if rect.get("r1") != rect.get("r2"):
            return
        sid = self.row_id(int(rect["r1"]))
        self.grid.clear_selection()  # so a second click on the same row opens it again
        if sid:
            self.on_open(sid)


EDIT_ROW_HEIGHT = 22
SCROLLBAR = 17  # px: the horizontal scroll bar, when the columns are wider than the grid


class CanvasFrameGrid(widgets.VBox):
    """Bulk's grid as ipydatagrid's editable canvas grid (`grid="canvas"`), with the interface
    `editor.FrameEditor` uses of the package's grid: `set_columns`, `show(source)` and
    `on_edit(row, column, value)`, whose refusal puts the frame's value back in the cell."""

    def __init__(
        self, *, on_edit: Callable[[int, str, str], str | None], max_rows: int = 12, **_: Any
    ) -> None:
        from ipydatagrid import DataGrid

        self.on_edit = on_edit
        self.max_rows = max_rows
        self.last_error: str | None = None
        self._widths: dict[str, int] = {}
        self._source: Any = None
        self.grid = DataGrid(
            pd.DataFrame({"displayName": []}),
            editable=True,
            selection_mode="cell",
            header_visibility="column",
            base_row_size=EDIT_ROW_HEIGHT,
            base_column_header_size=HEADER_HEIGHT,
            base_column_size=120,
            layout=widgets.Layout(height="120px", width="100%"),
        )
        self.grid.on_cell_change(self._on_cell_change)
        super().__init__([self.grid])

    def set_columns(self, columns: list[Mapping[str, Any]]) -> None:
        self._widths = {str(c["title"]): int(c.get("width") or 120) for c in columns}

    def show(self, source: Any, *, top: bool = True) -> None:
        """Show every row of `source` (the canvas grid holds the frame it draws)."""
        self._source = source
        frame = pd.DataFrame(source.window(0, source.count), columns=list(source.columns))
        self.grid.data = frame
        self.grid.column_widths = {c: self._widths.get(c, 120) for c in frame.columns}
        rows = max(3, min(len(frame), self.max_rows))
        height = HEADER_HEIGHT + rows * EDIT_ROW_HEIGHT + 4 + SCROLLBAR
        self.grid.layout.height = f"{height}px"

    def _on_cell_change(self, cell: Mapping[str, Any]) -> None:
        value = cell["value"]
        text = "true" if value is True else "false" if value is False else str(value)
        self.last_error = self.on_edit(int(cell["row"]), str(cell["column"]), text)
        if self.last_error is not None and self._source is not None:
            self.show(self._source)  # put back what the canvas shows wrongly
