"""What the grid reads its rows from: a `WindowSource`, the kernel-side view.

The grid asks a source for a window of display cells at a time (the rows on screen), so a view
of 100,000 rows costs the page what 20 cost. `FrameSource` is one over a DataFrame of text cells
(the Bulk tab and `sn.edit`); Browse's views (`widgets/view.py`: `TableView` over the tab's
columns, `FrameView`) have the same shape and are drawn as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from ...shown import visible

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


def shown_rows(rows: list[list[Any]]) -> list[list[str]]:
    """Cells as a page shows them: text, every character for what it is (`shown.visible`:
    control, format and bidi characters as escapes). Every grid sends its rows through this."""
    return [[visible(str(cell)) for cell in row] for row in rows]
