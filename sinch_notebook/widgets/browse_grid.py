"""The Browse tab's grid: the package's HTML grid (datagrid/) over the kernel-side view.

The view stays in the kernel (a `view.TableView`: the table and the row numbers of the filtered,
sorted view, which the grid reads a window at a time); the page is sent the rows on screen as it
scrolls. A header sorts the whole view in the kernel (a second click reverses), a row (click, or
Enter on it) opens that subproject in Edit: the row of the view the page drew it from, so a click
on rows of the previous view, before the new one's rows arrive, opens the row it shows.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from .browse_columns import COLUMNS, HTML_ID_WIDTH, BrowseView
from .datagrid import DataGrid
from .datagrid.sources import shown_rows
from .view import View

TIME_COLUMNS = ("Updated", "Created")
SHARED = ("Labels",)  # no fixed width: the labels take what the others leave
# px in the page's UI font (13px): a date and time on a line (UTC on the next), the id whole
WIDTHS = {"Name": 170, "Updated": 130, "Created": 130, "ID": HTML_ID_WIDTH}
# ... and on a narrow page (about 820 px): a time on two lines ("2026-04-17" / "18:24 UTC")
NARROWEST = {"Name": 120, "Updated": 95, "Created": 95}


class BrowseGrid(BrowseView, widgets.VBox):
    """The grid plus its sort state; `show_view(view)` replaces what it shows."""

    def __init__(
        self, *, on_open: Callable[[str], None], on_sort: Callable[[], None], visible_rows: int
    ) -> None:
        self._start_view(on_open, on_sort, visible_rows)
        self.grid = DataGrid(
            columns=[
                {
                    "title": c.title,
                    "width": 0 if c.title in SHARED else WIDTHS.get(c.title, c.width),
                    "min": NARROWEST.get(c.title, 0),
                    "wrap": c.title != "ID",  # an id is read (and copied) whole, on one line
                }
                for c in COLUMNS
            ],
            max_rows=visible_rows,
            open_hint="Open in Edit",
            empty_text="No subprojects to show",
            on_sort=lambda title: self.set_sort(title),
            on_open=lambda row_id: self.on_open(row_id),
        )
        self.grid.add_class("sn-browse-grid")
        self._sorted()
        super().__init__([self.grid])

    # -- what it shows -------------------------------------------------------------------------

    def show_view(self, view: View) -> None:
        """Show `view` (filtered and sorted; the grid asks it for the rows on screen) from the
        top: the page's count and view number change in one message."""
        self.grid.show(view)
        self.view = view

    def window(self, start: int, stop: int) -> list[list[str]]:
        """The cells the page is sent for rows start..stop of the view."""
        return self.grid.window(start, stop)

    def column(self, title: str) -> list[str]:
        """Every cell of column `title` of the view, top to bottom."""
        return [row[0] for row in shown_rows(self.view.frame()[[title]].values.tolist())]

    def redraw(self) -> None:
        """Ask the page for the rows on screen again."""
        self.grid.redraw()

    def fit(self, width: int) -> None:
        """Nothing to do: the page lays the columns out in the width it has (see grid.css)."""

    def _sorted(self) -> None:
        self.grid.show_sort(self.sort_column, self.descending)
        self.grid.caption = (
            f"Subprojects, {self.sort_words}. Enter on a row opens it in Edit; "
            "Enter on a column header sorts by it."
        )

    # -- clicks --------------------------------------------------------------------------------

    def row_id(self, number: int) -> str | None:
        """The id of the view's row `number` (0 = the first row of the view)."""
        return self.grid.row_id(number)

    def click_row(self, number: int) -> None:
        """What a click on row `number` (or Enter on it) does."""
        self.grid.open_row(number)

    def click_header(self, title: str) -> None:
        """What a click on a column header (or Enter on it) does."""
        self.grid.click_header(title)
