"""The Browse grid's columns and sort state, shared by its two grids: the package's HTML grid
(browse_grid.py, the default) and ipydatagrid's canvas grid (grid.py, `grid="canvas"`).

A column says its title, its width, what a cell shows and how it sorts; a click on a header
sorts by it, a second click reverses, and times sort newest first on their first click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ..display import labels_text, short_time
from ..models import Subproject
from .view import EMPTY, FrameView, View

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ID_WIDTH = 230  # px: a 26-character subproject id, whole, in the canvas grid's 12px font
HTML_ID_WIDTH = 260  # px: the same in the HTML grid's UI font (13px), with its padding
MIN_NAME_WIDTH = 150
TIME_WIDTH = 145  # px: "2026-04-17 18:24 UTC" on one line
# the canvas grid marks each new view with an empty column sn-view-1, sn-view-2, ... (grid.py)
VIEW_MARK = "sn-view-"


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    cell: Callable[[Subproject], str]
    key: Callable[[Subproject], Any]
    newest_first: bool = False  # the first click sorts descending (times)


def _name(sp: Subproject) -> str:
    return f"{sp.display_name} (deleted)" if sp.deleted else sp.display_name


COLUMNS = (
    Column(
        "Name", MIN_NAME_WIDTH, _name, lambda sp: (sp.display_name.casefold(), sp.subproject_id)
    ),
    Column("Labels", 360, lambda sp: labels_text(sp.labels), lambda sp: labels_text(sp.labels)),
    Column(
        "Updated",
        TIME_WIDTH,
        lambda sp: short_time(sp.update_time),
        lambda sp: sp.update_time or _EPOCH,
        True,
    ),
    Column(
        "Created",
        TIME_WIDTH,
        lambda sp: short_time(sp.create_time),
        lambda sp: sp.create_time or _EPOCH,
        True,
    ),
    Column("ID", ID_WIDTH, lambda sp: sp.subproject_id, lambda sp: sp.subproject_id),
)
TITLES = tuple(c.title for c in COLUMNS)
BY_TITLE = {c.title: c for c in COLUMNS}


def display_frame(rows: list[Subproject]) -> pd.DataFrame:
    """What the grid shows: short UTC times, labels next to the name, the id last."""
    return pd.DataFrame(
        {c.title: [c.cell(sp) for sp in rows] for c in COLUMNS},
        index=pd.RangeIndex(len(rows)),
        dtype=object,
    )


class BrowseView:
    """What every Browse grid keeps: what a row click and a header click call, how many rows
    show, the sort (newest update first) and the view shown (`show_view`, each grid's own)."""

    def _start_view(
        self, on_open: Callable[[str], None], on_sort: Callable[[], None], visible_rows: int
    ) -> None:
        self.on_open = on_open
        self.on_sort = on_sort
        self.visible_rows = visible_rows
        self.sort_column = "Updated"
        self.descending = True
        self.view: View = EMPTY

    @property
    def _frame(self) -> pd.DataFrame:
        """Every cell of the view shown (built on demand, for tests and code; never drawn)."""
        return self.view.frame()

    def show(self, rows: list[Subproject]) -> None:
        """Show `rows` (already filtered and sorted) from the top."""
        self.show_view(FrameView(display_frame(rows)))

    def show_view(self, view: View) -> None:
        raise NotImplementedError  # each grid draws a view its own way

    def set_sort(self, title: str, descending: bool | None = None) -> None:
        """Sort by a column; None toggles (or, for a new column, its natural first order)."""
        if title not in BY_TITLE:
            raise ValueError(f"no column {title!r}; the columns are {', '.join(TITLES)}")
        if descending is None:
            if title == self.sort_column:
                descending = not self.descending
            else:
                descending = BY_TITLE[title].newest_first
        self.sort_column, self.descending = title, descending
        self._sorted()
        self.on_sort()

    def _sorted(self) -> None:
        """The sort changed (a grid that shows it, shows it now)."""

    @property
    def sort_words(self) -> str:
        if self.sort_column in ("Updated", "Created"):
            order = "newest first" if self.descending else "oldest first"
        else:
            order = "Z–A" if self.descending else "A–Z"
        return f"sorted by {self.sort_column}, {order}"
