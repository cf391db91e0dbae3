"""Grids made of plain ipywidgets, for front-ends where ipydatagrid's canvas grid cannot render.

ipydatagrid's front-end does not render on Google Colab and needs a setting in VS Code; there the
Browse and Bulk grids would be blank, which is where the panel matters most. These grids show one
page of rows as HTML with buttons (a header button sorts by its column, an Edit button opens its
row, First/Previous/Next/Last page through the view), so they work wherever ipywidgets' own
controls do. The data path is the same as the canvas grid's: Browse filters and sorts its columns
in the kernel (table.py) and hands over the cells of the view; only the page on screen is sent.

`sn.panel(grid="html")` uses them from the start; otherwise the panel switches to them when the
canvas grid did not answer from the front-end in time (see `RenderWatch`).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from . import controls as ui
from .grid import COLUMNS, TITLES, BrowseView, SubprojectGrid
from .view import View

PAGE_ROWS = 20
OPEN_WIDTH = "6.5em"  # the Edit button's column
ROW_WIDTH = sum(c.width for c in COLUMNS)  # px: the cells of one row, side by side
RENDER_GRACE = 5.0  # s: a canvas grid that has not answered by then is taken as not rendering
_CELL = (
    "display:inline-block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
    "vertical-align:middle;padding:0 6px;box-sizing:border-box;"
    "font-size:var(--jp-ui-font-size1,13px)"
)


def _cell(text: Any, width: int) -> str:
    value = html.escape("" if text is None else str(text))
    return f'<span title="{value}" style="{_CELL};width:{width}px">{value}</span>'


class Pager(widgets.HBox):
    """First / Previous / "rows a–b of n" / Next / Last over a number of rows."""

    def __init__(self, prefix: str, page_rows: int, on_page: Callable[[], None]) -> None:
        self.page_rows = page_rows
        self.page = 0
        self.total = 0
        self.on_page = on_page
        self.first = ui.button("", f"{prefix}-first", icon="fast-backward", width="3em")
        self.previous = ui.button("", f"{prefix}-previous", icon="step-backward", width="3em")
        self.next = ui.button("", f"{prefix}-next", icon="step-forward", width="3em")
        self.last = ui.button("", f"{prefix}-last", icon="fast-forward", width="3em")
        self.label = ui.html(f"{prefix}-page")
        self.first.tooltip, self.previous.tooltip = "First page", "Previous page"
        self.next.tooltip, self.last.tooltip = "Next page", "Last page"
        self.first.on_click(lambda _b: self.go(0))
        self.previous.on_click(lambda _b: self.go(self.page - 1))
        self.next.on_click(lambda _b: self.go(self.page + 1))
        self.last.on_click(lambda _b: self.go(self.pages - 1))
        super().__init__([self.first, self.previous, self.label, self.next, self.last])
        self.add_class(f"{prefix}-pager")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_rows))

    @property
    def start(self) -> int:
        return self.page * self.page_rows

    def reset(self, total: int) -> None:
        self.total, self.page = total, 0
        self._update()

    def go(self, page: int) -> None:
        self.page = min(max(0, page), self.pages - 1)
        self._update()
        self.on_page()

    def _update(self) -> None:
        end = min(self.total, self.start + self.page_rows)
        shown = f"rows {self.start + 1:,}–{end:,} of {self.total:,}" if self.total else "no rows"
        self.label.value = f"&nbsp;{shown} (page {self.page + 1:,} of {self.pages:,})&nbsp;"
        at_start, at_end = self.page == 0, self.page >= self.pages - 1
        self.first.disabled = self.previous.disabled = at_start
        self.next.disabled = self.last.disabled = at_end


class HtmlSubprojectGrid(BrowseView, widgets.VBox):
    """The Browse grid as a paged HTML table: the same interface as `grid.SubprojectGrid`."""

    # The sort state and its words are the canvas grid's own (one definition of the rule).
    set_sort = SubprojectGrid.set_sort
    sort_words = SubprojectGrid.sort_words

    def __init__(
        self,
        *,
        on_open: Callable[[str], None],
        on_sort: Callable[[], None],
        visible_rows: int = PAGE_ROWS,
    ) -> None:
        self._start_view(on_open, on_sort, visible_rows)
        self.headers = {}
        for column in COLUMNS:
            button = ui.button(column.title, "sn-html-sort", tooltip=f"Sort by {column.title}")
            button.layout.width = f"{column.width}px"
            button.layout.flex = "0 0 auto"
            button.on_click(lambda _b, t=column.title: self.click_header(t))
            self.headers[column.title] = button
        self.open_buttons: list[widgets.Button] = []
        self.cells: list[widgets.HTML] = []
        lines = []
        for n in range(visible_rows):
            button = ui.button("Edit", "sn-html-open", icon="pencil", width=OPEN_WIDTH)
            button.layout.flex = "0 0 auto"
            button.on_click(lambda _b, n=n: self._open_on_page(n))
            cells = ui.html("sn-html-row", width=f"{ROW_WIDTH}px", flex="0 0 auto")
            self.open_buttons.append(button)
            self.cells.append(cells)
            lines.append(ui.row(button, cells, css_class="sn-html-line", wrap=False))
        self.lines = lines
        self.pager = Pager("sn-html", visible_rows, self._render_page)
        spacer = widgets.HTML(layout=widgets.Layout(width=OPEN_WIDTH, flex="0 0 auto"))
        super().__init__(
            [
                ui.row(spacer, *self.headers.values(), css_class="sn-html-header", wrap=False),
                *lines,
                self.pager,
            ]
        )
        self.add_class("sn-html-grid")
        self.layout.overflow = "auto"  # rows wider than the page scroll sideways
        self._render_page()

    # -- what it shows -------------------------------------------------------------------------

    def show_view(self, view: View) -> None:
        """Show a view from its first page (only that page's cells are made)."""
        self.view = view
        self.pager.reset(view.count)
        self._render_page()

    def _render_page(self) -> None:
        start = self.pager.start
        rows = self.view.window(start, start + self.visible_rows)
        widths = [c.width for c in COLUMNS]
        for n, line in enumerate(self.lines):
            if n < len(rows):
                self.cells[n].value = "".join(
                    _cell(v, w) for v, w in zip(rows[n], widths, strict=False)
                )
                self.open_buttons[n].tooltip = f"Open {rows[n][-1]} in Edit"
                line.layout.display = None
            else:
                self.cells[n].value = ""
                line.layout.display = "none"
        for title, button in self.headers.items():
            arrow = ("▼" if self.descending else "▲") if title == self.sort_column else ""
            button.description = f"{title} {arrow}".strip()

    def redraw(self) -> None:
        """Nothing to ask for: the page holds the rows of the page shown."""

    def fit(self, width: int) -> None:
        """The columns keep their widths; rows wider than the page scroll sideways."""

    # -- clicks (buttons) ----------------------------------------------------------------------

    def row_id(self, number: int) -> str | None:
        """The id of the view's row `number` (0 = the first row of the view)."""
        if not 0 <= number < self.view.count:
            return None
        return self.view.id_at(number)

    def click_row(self, number: int) -> None:
        """Open the view's row `number` (the page holding it is shown first)."""
        if not 0 <= number < self.view.count:
            return
        if number // self.visible_rows != self.pager.page:
            self.pager.go(number // self.visible_rows)
        self._open_on_page(number - self.pager.start)

    def click_header(self, title: str) -> None:
        self.set_sort(title)

    def _open_on_page(self, n: int) -> None:
        sid = self.row_id(self.pager.start + n)
        if sid:
            self.on_open(sid)


class HtmlFrameView(widgets.VBox):
    """The Bulk tab's frame as a paged HTML table, and a form that edits one cell.

    The canvas grid edits cells by double-click; here a row number, a column and a value do
    (`set_cell` of the editor, so the plan follows the same way).
    """

    def __init__(self, on_set: Callable[[int, str, Any], None], *, page_rows: int = 12) -> None:
        self.on_set = on_set
        self.page_rows = page_rows
        self._frame = pd.DataFrame()
        self.table = ui.html("sn-html-frame", overflow="auto")
        self.pager = Pager("sn-html-frame", page_rows, self._render_page)
        self.row = widgets.BoundedIntText(
            value=0, min=0, max=0, description="Row", layout=widgets.Layout(width="9em")
        )
        self.row.style.description_width = "3em"
        self.row.add_class("sn-html-cell-row")
        self.column = ui.dropdown("Column", "sn-html-cell-column", [], width="18em")
        self.value = ui.field("Value", "sn-html-cell-value", width="22em", label_width="4em")
        self.set_button = ui.button("Set", "sn-html-cell-set", icon="check")
        self.set_button.on_click(lambda _b: self.set_value())
        super().__init__(
            [self.table, self.pager, ui.row(self.row, self.column, self.value, self.set_button)]
        )
        self.add_class("sn-html-frame-view")

    def show(self, frame: pd.DataFrame) -> None:
        """Show `frame` (the editor's grid frame: text cells, ticks for `delete`)."""
        keep_page = len(frame) == len(self._frame) and list(frame.columns) == list(
            self._frame.columns
        )
        self._frame = frame
        columns = [c for c in frame.columns if c != "subprojectId"]
        if list(self.column.options) != columns:
            self.column.options = columns
        self.row.max = max(0, len(frame) - 1)
        page = self.pager.page if keep_page else 0
        self.pager.total = len(frame)
        self.pager.go(page)

    def set_value(self) -> None:
        if self.column.value:
            self.on_set(int(self.row.value), str(self.column.value), self.value.value)

    def _render_page(self) -> None:
        start = self.pager.start
        page = self._frame.iloc[start : start + self.page_rows]
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["row", *page.columns])
        body = "".join(
            "<tr>"
            + f"<td>{start + n}</td>"
            + "".join(f"<td>{html.escape(_text(v))}</td>" for v in values)
            + "</tr>"
            for n, values in enumerate(page.itertuples(index=False, name=None))
        )
        self.table.value = (
            '<table class="sn-table" style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def _text(value: Any) -> str:
    if value is True:
        return "✔"
    if value is False:
        return ""
    return "" if value is None else str(value)


class RenderWatch:
    """Tells, from the kernel, whether canvas grids rendered in the front-end; calls `fallback`
    once if they did not.

    A rendered ipydatagrid view talks back: it syncs the rows it shows (`_visible_rows`) and a
    streaming grid asks for them (a "data-request" message). ipywidgets' own view count cannot
    tell: when the grid's JavaScript fails to load, ipywidgets shows an error widget in its place,
    and that counts as a view. So once the panel has a view (its own `_view_count`, reliable for
    a plain VBox) and the watched grid is on screen with rows, the grid has `grace` seconds to
    say anything; silence means it cannot render, and the panel switches to HTML grids.
    """

    def __init__(self, grace: float, fallback: Callable[[str], None]) -> None:
        self.grace = grace
        self.fallback = fallback
        self.heard = False
        self.done = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def watch(self, grid: widgets.DOMWidget) -> None:
        """Listen to `grid` (an ipydatagrid widget) for signs of a rendered view."""
        grid.observe(lambda _c: self.hear(), names="_visible_rows")
        grid.on_msg(lambda *_a: self.hear())

    def hear(self) -> None:
        with self._lock:
            self.heard = True
            self._cancel_timer()

    def expect(self) -> None:
        """The grid should be rendering now: start the grace period (once)."""
        with self._lock:
            if self.heard or self.done or self._timer is not None:
                return
            self._timer = threading.Timer(self.grace, self._expired)
            self._timer.daemon = True
            self._timer.start()

    def stop(self) -> None:
        with self._lock:
            self.done = True
            self._cancel_timer()

    def _cancel_timer(self) -> None:
        """No grace period running any more (called with the lock held)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        with self._lock:
            self._timer = None
            if self.heard or self.done:
                return
            self.done = True
        self.fallback(
            f"the grid did not render in this front-end within {self.grace:g} s: "
            "showing HTML tables instead"
        )


__all__ = ["PAGE_ROWS", "TITLES", "HtmlFrameView", "HtmlSubprojectGrid", "Pager", "RenderWatch"]
