"""How `%sinch snapshots` and `%sinch history ID` show their DataFrames: each as its own table
(HTML in Jupyter, text in a terminal), not as a subproject listing. The DataFrame itself (`-o
VAR`, the Python API) keeps every row and column.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..confirm import plural
from ..display import html_table, labels_html, labels_text, short_time, td, tr

_CELL = 'style="text-align:left;padding:1px 10px 1px 0;white-space:nowrap"'
_WRAP = 'style="text-align:left;padding:1px 10px 1px 0"'
SHOW_ALL = " (%config Sinch.display_limit = 0 shows all; the DataFrame has every row)"


@dataclass(frozen=True)
class Cell:
    """One cell: its text, and its HTML when that is more than the escaped text (labels)."""

    text: str
    html: str | None = None
    wraps: bool = False


@dataclass(frozen=True)
class Table:
    """A heading and titled columns, as text and as HTML (`css` names the HTML's classes)."""

    heading: str
    titles: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    css: str

    def text(self, width: int | None = None) -> str:
        """Columns as wide as their content (`width` is the terminal's; a row is never cut)."""
        widths = [
            max([len(title)] + [len(row[n].text) for row in self.rows])
            for n, title in enumerate(self.titles)
        ]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        out = [self.heading]
        if self.rows:
            out.append(line(list(self.titles)))
            out.extend(line([c.text for c in row]) for row in self.rows)
        return "\n".join(out)

    def html(self) -> str:
        body = [
            tr(
                td(
                    c.html if c.html is not None else html.escape(c.text),
                    style=_WRAP if c.wraps else _CELL,
                )
                for c in row
            )
            for row in self.rows
        ]
        table = html_table(self.titles, body, f"{self.css}-table", style=_CELL) if body else ""
        return f'<div class="{self.css}"><div>{html.escape(self.heading)}</div>{table}</div>'


def _td(cell: Cell) -> str:
    content = cell.html if cell.html is not None else html.escape(cell.text)
    return td(content, style=_WRAP if cell.wraps else _CELL)


def _time(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return short_time(pd.Timestamp(value).to_pydatetime())


def _shown(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The last `limit` rows (the newest: both frames run oldest first); 0: every row."""
    return frame if not limit or len(frame) <= limit else frame.tail(limit)


def _count(shown: int, total: int, what: str) -> str:
    if shown == total:
        return plural(total, what)
    return f"showing the latest {shown} of {plural(total, what)}{SHOW_ALL}"


def snapshots_view(frame: pd.DataFrame, limit: int) -> Table:
    """`%sinch snapshots`: one row per snapshot, its time, project and counts."""
    shown = _shown(frame, limit)
    projects = sorted({str(p) for p in frame["project"].dropna()}) if len(frame) else []
    where = f" of project {projects[0]}" if len(projects) == 1 else ""
    heading = (
        f"{_count(len(shown), len(frame), 'snapshot')}{where} in the history store"
        if len(frame)
        else "No snapshots in the history store yet (%sinch snapshot takes one)."
    )
    rows = [
        (
            Cell(str(r["id"])),
            Cell(_time(r["time"])),
            Cell(str(r["project"])),
            Cell(str(r["subprojects"])),
            Cell(str(r["live"])),
            Cell(str(r["deleted"])),
            Cell(str(r["changed"])),
        )
        for _, r in shown.iterrows()
    ]
    titles = ("Snapshot", "Taken", "Project", "Subprojects", "Live", "Deleted", "Changed")
    return Table(heading, titles, rows, "sinch-snapshots")


def history_view(subproject_id: str) -> Callable[[pd.DataFrame, int], Table]:
    """`%sinch history ID`: one row per version of that subproject, oldest first."""

    def view(frame: pd.DataFrame, limit: int) -> Table:
        shown = _shown(frame, limit)
        if len(frame):
            heading = (
                f"Subproject {subproject_id}: {_count(len(shown), len(frame), 'version')} "
                "in the history store"
            )
        else:
            heading = f"Subproject {subproject_id} is in no snapshot of the history store."
        rows = []
        for _, r in shown.iterrows():
            first, last = int(r["first_snapshot"]), int(r["last_snapshot"])
            name = str(r["displayName"]) + (" (deleted)" if bool(r["deleted"]) else "")
            rows.append(
                (
                    Cell(str(first) if first == last else f"{first}-{last}"),
                    Cell(_time(r["first_seen"])),
                    Cell(name),
                    Cell(labels_text(r["labels"]), labels_html(r["labels"]), wraps=True),
                    Cell(_time(r["updateTime"])),
                    Cell(str(r["changes"])),
                )
            )
        titles = ("Snapshots", "First seen", "Name", "Labels", "Updated", "Change")
        return Table(heading, titles, rows, "sinch-history")

    return view
