"""What the grid reads its rows from: a `WindowSource`, the kernel-side view.

The grid asks a source for a window of display cells at a time (the rows on screen), so a view
of 100,000 rows costs the page what 20 cost. Two sources ship: `FrameSource` over a DataFrame
of text cells (the Bulk tab and `sn.edit`) and `TableSource` over the Browse tab's columns
(`table.SubprojectTable` and the row numbers of the filtered, sorted view).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..table import SubprojectTable


TICK = "✔"  # how a true flag (Bulk's `delete`) shows


@runtime_checkable
class WindowSource(Protocol):
    """A view the grid shows: its size, its column titles, the cells of rows start..stop, and
    the id of a row (what opening it opens; None where rows have none)."""

    @property
    def count(self) -> int: ...

    @property
    def columns(self) -> Sequence[str]: ...

    def window(self, start: int, stop: int) -> list[list[str]]: ...

    def id_at(self, i: int) -> str | None: ...


def _text(value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return TICK
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


class FrameSource:
    """A DataFrame as the grid shows it: every cell as text (ticks for True), rows by position;
    `id_column` names the column whose value is a row's id."""

    def __init__(self, frame: pd.DataFrame, id_column: str | None = None) -> None:
        self.frame = frame
        self.id_column = id_column if id_column in frame.columns else None

    @property
    def count(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def window(self, start: int, stop: int) -> list[list[str]]:
        part = self.frame.iloc[max(0, start) : max(0, stop)]
        return [[_text(v) for v in row] for row in part.itertuples(index=False, name=None)]

    def id_at(self, i: int) -> str | None:
        if self.id_column is None or not 0 <= i < len(self.frame):
            return None
        return _text(self.frame[self.id_column].iloc[i]) or None


class TableSource:
    """The Browse view: `rows` (row numbers of `table`, filtered and sorted) as display cells,
    made for the rows asked for only (the first window after a load of 100,000 costs what any
    window costs, not the cells of the whole account)."""

    def __init__(self, table: SubprojectTable, rows: np.ndarray) -> None:
        from ..table import SORT_COLUMNS

        self.table = table
        self.rows = rows
        self._columns = list(SORT_COLUMNS)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def columns(self) -> list[str]:
        return self._columns

    def window(self, start: int, stop: int) -> list[list[str]]:
        from ..table import time_cells

        table = self.table
        part = self.rows[max(0, start) : max(0, stop)]
        with table.lock:
            names = table.names[part]
            gone = table.deleted[part]
            columns = {
                "Name": [f"{n} (deleted)" if d else n for n, d in zip(names, gone, strict=True)],
                "Labels": table.label_cells[part],
                "Updated": time_cells(table.updated[part]),
                "Created": time_cells(table.created[part]),
                "ID": table.ids[part],
            }
        return [list(row) for row in zip(*(columns[c] for c in self._columns), strict=True)]

    def id_at(self, i: int) -> str | None:
        if not 0 <= i < len(self.rows):
            return None
        return str(self.table.ids[self.rows[i]])


class EmptySource:
    """No rows (before anything is shown), under the given column titles."""

    def __init__(self, columns: Sequence[str] = ()) -> None:
        self._columns = list(columns)

    @property
    def count(self) -> int:
        return 0

    @property
    def columns(self) -> list[str]:
        return self._columns

    def window(self, start: int, stop: int) -> list[list[str]]:
        return []

    def id_at(self, i: int) -> str | None:
        return None
