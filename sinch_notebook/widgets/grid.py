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
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from ipydatagrid import StreamingDataGrid, TextRenderer

from ..models import Subproject
from .browse_columns import (
    BY_TITLE,
    COLUMNS,
    ID_WIDTH,
    MIN_NAME_WIDTH,
    TIME_WIDTH,
    BrowseView,
    display_frame,
)
from .table import SubprojectTable

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

    VIEW_MARK = "sn-view-"  # the extra column: sn-view-1, sn-view-2, ... (no field, never shown)

    @property
    def data(self) -> pd.DataFrame:
        return StreamingDataGrid.data.fget(self)

    @data.setter
    def data(self, frame: pd.DataFrame) -> None:
        self._views = getattr(self, "_views", 0) + 1
        with self.hold_sync():  # one message: the row count and the schema with its columns
            StreamingDataGrid.data.fset(self, frame)
            fields = self._data["schema"]["fields"]
            empty = {f["name"]: pd.Series([], dtype=object) for f in fields}
            empty[f"{self.VIEW_MARK}{self._views}"] = pd.Series([], dtype=object)  # last
            self._data = {**self._data, "data": empty}

    def _handle_custom_msg(self, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event_type") == "cell-click":
            content = {"primary_key_row": None, **content}
        super()._handle_custom_msg(content, buffers)


def text_lengths(column: pd.Series) -> np.ndarray:
    """The length of every text of `column` (Browse passes them ready-made: see show_frame)."""
    return np.fromiter((len(str(v)) for v in column), dtype=np.int64, count=len(column))


def _text_width(lengths: np.ndarray) -> int:
    """Pixels the longest of texts of these `lengths` needs on one line."""
    longest = int(lengths.max()) if len(lengths) else 0
    return math.ceil(longest * CHAR_WIDTH) + CELL_PADDING


def _lines(column: pd.Series, width: int, lengths: np.ndarray) -> int:
    """Lines the longest texts of `column` need in a column `width` pixels wide, wrapped at
    spaces as the grid wraps them (at most MAX_LINES)."""
    if not len(column):
        return 1
    per_line = max(1, int((width - CELL_PADDING) / CHAR_WIDTH))
    top = min(20, len(lengths))
    longest = np.argpartition(lengths, len(lengths) - top)[len(lengths) - top :]
    texts = (str(column.iloc[int(i)]) for i in longest)
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
        self._frame = display_frame([])
        self._lengths = {title: np.zeros(0, dtype=np.int64) for title in WRAPPED}
        self._header_clicked = False
        self.widths = {c.title: c.width for c in COLUMNS}
        self.grid = StreamingGrid(
            self._frame,
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

    def show(self, rows: list[Subproject]) -> None:
        """Show `rows` (already filtered and sorted) from the top."""
        self.show_frame(display_frame(rows))

    def show_view(self, table: SubprojectTable, rows: np.ndarray) -> None:
        """Show rows `rows` of the Browse table (its view, filtered and sorted) from the top."""
        self.show_frame(table.cells(rows), table.lengths(rows))

    def show_frame(
        self, frame: pd.DataFrame, lengths: Mapping[str, np.ndarray] | None = None
    ) -> None:
        """Show the cells of a view (`display_frame`'s columns; Browse builds them from its
        columns, see table.py) from the top. `lengths` are the texts' lengths per wrapped
        column when known (Browse keeps them, so sizing the rows of 100,000 reads no text)."""
        self._frame = frame
        self._lengths = {
            title: lengths[title] if lengths and title in lengths else text_lengths(frame[title])
            for title in WRAPPED
        }
        self.grid.clear_selection()
        self.grid._transforms = []  # the header menu's sorts and filters belong to old data
        self.grid.data = frame.copy(deep=False)  # the grid adds a key column to what it gets
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
        longest = _text_width(self._lengths["Labels"])
        if labels > longest:  # room to spare: the names get it, and Labels what is left
            name = max(name, min(_text_width(self._lengths["Name"]), name + labels - longest))
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
        lines = max(
            _lines(self._frame[title], self.widths[title], self._lengths[title])
            for title in WRAPPED
        )
        row = ROW_HEIGHT + (lines - 1) * LINE_HEIGHT
        if self.grid.base_row_size != row:
            self.grid.base_row_size = row
        self.grid.layout.height = self._height(len(self._frame), row)

    def _height(self, count: int, row: int = ROW_HEIGHT) -> str:
        fits = int(self.visible_rows * ROW_HEIGHT * HEIGHT_BUDGET // row)
        shown = max(3, min(count, self.visible_rows, fits))
        return f"{HEADER_HEIGHT + shown * row + 4}px"

    # -- clicks ----------------------------------------------------------------------------------

    def row_id(self, number: int) -> str | None:
        """The id of the row shown at `number` (0 = top), as the grid shows it now."""
        frame = self._frame
        if self.grid._transforms:
            frame = self.grid._apply_frontend_transforms(self.grid._transforms, frame)
        if not 0 <= number < len(frame):
            return None
        return str(frame["ID"].iloc[number])

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
