"""One view of the Browse table: the rows a filter keeps, in a sort order, read a window at a time.

A grid draws a few dozen rows of a view that may hold 100,000. So a view is only the row numbers
of the table in display order (one integer array, made by vectorised index work over the
columns: the filter's mask and the column's precomputed order), and the cells of a row are made
when a window of rows is asked for (`window(start, stop)`), never for the whole view. A view is
immutable: Browse makes a new one for each filter or sort and swaps it in, so whatever reads a
view (a grid drawing rows, a click mapping a row to a subproject) sees one consistent list.

`TableView` reads a `SubprojectTable`; `FrameView` is the same interface over a DataFrame of
cells (for code that hands a grid ready-made rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from ..filters import SubprojectFilter
from .table import SORT_COLUMNS

if TYPE_CHECKING:
    from .table import SubprojectTable

WRAPPED = ("Name", "Labels", "Updated", "Created")  # the columns whose text may wrap


class View(Protocol):
    """What a grid needs of a view (both kinds below have it)."""

    @property
    def count(self) -> int: ...
    @property
    def columns(self) -> list[str]: ...
    def window(self, start: int, stop: int) -> list[list[str]]: ...
    def id_at(self, i: int) -> str: ...
    def ids(self, start: int = 0, stop: int | None = None) -> list[str]: ...
    def longest(self, column: str, top: int = 20) -> list[str]: ...
    def frame(self) -> pd.DataFrame: ...


class TableView:
    """The rows of `table` that `wanted` keeps, ordered by `column` (stable both ways)."""

    def __init__(
        self,
        table: SubprojectTable,
        rows: np.ndarray,
        notes: Mapping[str, str] | None = None,
    ) -> None:
        self.columns = list(SORT_COLUMNS)
        self.table = table
        self.rows = rows  # the table's row numbers, in display order
        self.rows.flags.writeable = False
        # id -> a note shown before the row's labels (the label policy's broken rules)
        self.notes = notes

    @classmethod
    def build(
        cls,
        table: SubprojectTable,
        wanted: SubprojectFilter,
        column: str = "Updated",
        descending: bool = True,
        notes: Mapping[str, str] | None = None,
    ) -> TableView:
        """The view a filter and a sort make: a mask over the columns, indexed by the column's
        order (both worked out over whole arrays; the order is computed once per column).
        `notes` (id -> text) is shown before those rows' labels."""
        mask = table.select(wanted)
        order = table.order(column, descending)
        return cls(table, order[mask[order]], notes)

    def __len__(self) -> int:
        return len(self.rows)

    count = property(len, doc="How many rows the view has (its len()).")

    def window(self, start: int, stop: int) -> list[list[str]]:
        """The cells of rows `start`..`stop` (clipped to the view), one list per row, in
        `columns` order."""
        rows = self.rows[max(0, start) : max(0, stop)]
        cells = self.table.cells_of(rows)
        if self.notes:  # only the rows on screen: one lookup each
            labels, ids = self.columns.index("Labels"), self.table.ids[rows].tolist()
            for row, sid in zip(cells, ids, strict=True):
                note = self.notes.get(sid)
                if note:
                    row[labels] = f"⚠ {note} · {row[labels]}"
        return cells

    def id_at(self, i: int) -> str:
        """The id of the subproject at row `i` of this view (IndexError when there is none)."""
        if not 0 <= i < len(self.rows):
            raise IndexError(f"row {i} of a view of {len(self.rows):,}")
        return str(self.table.ids[self.rows[i]])

    def ids(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The ids of rows `start`..`stop` (all by default), in order."""
        return self.table.ids[self.rows[start:stop]].tolist()

    def longest(self, column: str, top: int = 20) -> list[str]:
        """The `top` longest texts of `column` in this view (what sizes the grid's rows and
        columns), found by index work over the cell lengths the table keeps."""
        lengths = self.table.lengths_of(column)[self.rows]
        if not len(lengths):
            return []
        top = min(top, len(lengths))
        picked = self.rows[np.argpartition(lengths, len(lengths) - top)[len(lengths) - top :]]
        n = self.columns.index(column)
        return [cells[n] for cells in self.table.cells_of(picked)]

    def frame(self) -> pd.DataFrame:
        """Every cell of the view as a DataFrame (built on demand: for ipydatagrid's header
        menu, which sorts and filters a frame, and for tests; never to draw the grid)."""
        return _cells_frame(self.window(0, len(self.rows)), self.columns)


class FrameView:
    """A view over a DataFrame of cells (`grid.display_frame`'s columns)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame.reset_index(drop=True)
        self.columns = [str(c) for c in frame.columns]

    def __len__(self) -> int:
        return len(self._frame)

    count = property(len, doc="How many rows the view has (its len()).")

    def window(self, start: int, stop: int) -> list[list[str]]:
        part = self._frame.iloc[max(0, start) : max(0, stop)]
        return [["" if v is None else str(v) for v in row] for row in part.itertuples(False, None)]

    def id_at(self, i: int) -> str:
        if not 0 <= i < len(self._frame):
            raise IndexError(f"row {i} of a view of {len(self._frame):,}")
        return str(self._frame["ID"].iloc[i])

    def ids(self, start: int = 0, stop: int | None = None) -> list[str]:
        return [str(v) for v in self._frame["ID"].iloc[start:stop]]

    def longest(self, column: str, top: int = 20) -> list[str]:
        texts = [str(v) for v in self._frame[column]]
        return sorted(texts, key=len)[-top:]

    def frame(self) -> pd.DataFrame:
        return self._frame


def _cells_frame(rows: list[list[str]], columns: list[str]) -> pd.DataFrame:
    array = np.empty((len(rows), len(columns)), dtype=object)
    if rows:
        array[:] = rows
    return pd.DataFrame(array, columns=columns, index=pd.RangeIndex(len(rows)), dtype=object)


EMPTY = FrameView(_cells_frame([], list(SORT_COLUMNS)))
