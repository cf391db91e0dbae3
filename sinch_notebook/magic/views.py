"""What the magic shows: each object renders as HTML in Jupyter and as plain text in a terminal.

Nothing here ever receives the Key Secret or a token: statuses are built from
`SubprojectsClient.status()`, which leaves both out.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from IPython.lib.pretty import _repr_pprint

from ..confirm import plural
from ..display import (
    TABLE,
    ConnectionStatus,
    cut,
    html_rows,
    html_table,
    label_items,
    labels_html,
    labels_text,
    short_time,
    subproject_html,
    subproject_text,
    td,
    terminal_width,
    text_rows,
    tr,
    visible,
    wrap_items,
)
from ..models import LABEL_PREFIX, Subproject
from .history_views import Table

FrameView = Callable[[pd.DataFrame, int], Table]  # draws a command's frame, given the limit

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from ..sandbox import Sandbox


class StatusView:
    """The active connection as `%sinch status` shows it (see `display.ConnectionStatus`)."""

    def __init__(self, status: ConnectionStatus) -> None:
        self.status = status

    @classmethod
    def of(cls, client: SubprojectsClient | None) -> StatusView:
        return cls(ConnectionStatus.of(client))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.status, name)

    @property
    def title(self) -> str:
        return self.status.title(
            "run %sinch login (your account), or %sinch login --sandbox (a local demo account)"
        )

    def __repr__(self) -> str:
        rows = self.status.rows()
        return self.title + ("\n" + text_rows(rows) if rows else "")

    def _repr_html_(self) -> str:
        return f"<b>{html.escape(self.title)}</b>" + TABLE.format(html_rows(self.status.rows()))


@dataclass(frozen=True)
class SandboxStatus:
    """The process's local sandbox as `%sinch sandbox status` shows it."""

    running: bool
    url: str | None = None
    project_id: str | None = None
    key_id: str | None = None
    live: int = 0
    deleted: int = 0
    requests: int = 0

    @classmethod
    def of(cls, sandbox: Sandbox | None) -> SandboxStatus:
        if sandbox is None:
            return cls(running=False)
        records = sandbox.subprojects()
        deleted = sum(1 for record in records if record.get("deleted"))
        return cls(
            running=True,
            url=sandbox.url,
            project_id=sandbox.project_id,
            key_id=sandbox.key_id,
            live=len(records) - deleted,
            deleted=deleted,
            requests=int(sandbox.stats.get("requests", 0)),
        )

    @property
    def title(self) -> str:
        if not self.running:
            return "No local sandbox is running: %sinch sandbox start (or %sinch login --sandbox)"
        return f"Local sandbox running at {self.url}"

    def rows(self) -> list[tuple[str, str]]:
        if not self.running:
            return []
        return [
            ("Project", str(self.project_id)),
            ("Key ID", str(self.key_id)),
            ("Subprojects", f"{self.live} (+ {self.deleted} deleted)"),
            ("Requests served", str(self.requests)),
        ]

    def __repr__(self) -> str:
        rows = self.rows()
        return self.title + ("\n" + text_rows(rows) if rows else "")

    def _repr_html_(self) -> str:
        return f"<b>{html.escape(self.title)}</b>" + TABLE.format(html_rows(self.rows()))


# -- Subproject ------------------------------------------------------------------------------


def _subproject_pretty(sp: Subproject, p: Any, cycle: bool) -> None:
    p.text(subproject_text(sp))


# -- frames returned by `%sinch list`: an analyst's listing ----------------------------------

NAME_WIDTH = 40  # characters of a name in the terminal listing
MIN_LABELS_WIDTH = 40  # narrower than this, columns are dropped so the labels can be read
TITLES = ("Name", "Labels", "Updated", "Created", "ID")
DROPPED_FIRST = ("Created", "Updated", "ID")  # what a narrow terminal goes without, in order
_CELL = 'style="text-align:left;padding:1px 10px 1px 0;white-space:nowrap"'
_WRAP = 'style="text-align:left;padding:1px 10px 1px 0"'


def _labels_of(frame: pd.DataFrame, position: int) -> dict[str, str]:
    row = frame.iloc[position]
    if "labels" in frame.columns and isinstance(row["labels"], dict):
        return {str(k): str(v) for k, v in row["labels"].items()}
    labels = {}
    for column in frame.columns:
        if isinstance(column, str) and column.startswith(LABEL_PREFIX):
            value = row[column]
            if not pd.isna(value):
                labels[column[len(LABEL_PREFIX) :]] = str(value)
    return labels


def _time(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return short_time(pd.Timestamp(value).to_pydatetime())


@dataclass(frozen=True)
class Row:
    name: str
    labels: dict[str, str]
    updated: str
    created: str
    id: str

    def cell(self, title: str) -> str:
        return {
            "Name": visible(self.name),
            "Labels": labels_text(self.labels),
            "Updated": self.updated,
            "Created": self.created,
            "ID": visible(self.id),
        }[title]


@dataclass(frozen=True)
class ListingAbout:
    """What the rows cannot tell (an empty listing has none): the projects listed and the
    filter's words (`SubprojectFilter.describe`)."""

    projects: tuple[str, ...]
    filtered: str = ""


@dataclass(frozen=True)
class Listing:
    """What a listing shows: the first `limit` rows as name, labels, times and the id; the
    parent project once; "showing N of M". The DataFrame itself keeps every row and column.
    `more`: the listing stopped at `--limit` and more subprojects match."""

    frame: pd.DataFrame
    limit: int
    more: bool = False
    about: ListingAbout | None = None  # where it was listed and with what filter

    @property
    def shown(self) -> int:
        return len(self.frame) if not self.limit else min(self.limit, len(self.frame))

    def rows(self) -> list[Row]:
        frame = self.frame
        out = []
        for position in range(self.shown):
            row = frame.iloc[position]
            name = str(row.get("displayName", "") if "displayName" in frame else "")
            if "deleted" in frame.columns and bool(row["deleted"]):
                name += " (deleted)"
            out.append(
                Row(
                    name,
                    _labels_of(frame, position),
                    _time(row["updateTime"]) if "updateTime" in frame.columns else "",
                    _time(row["createTime"]) if "createTime" in frame.columns else "",
                    str(row["subprojectId"]) if "subprojectId" in frame.columns else "",
                )
            )
        return out

    def heading(self) -> str:
        total = len(self.frame)
        parents = (
            sorted({str(p) for p in self.frame["parentProjectId"].dropna()})
            if "parentProjectId" in self.frame.columns
            else []
        )
        if self.about is not None and (self.about.projects or not parents):
            parents = sorted(set(self.about.projects))
        where = f"Project {parents[0]} · " if len(parents) == 1 else ""
        if self.more:
            first = f"the first {plural(total, 'matching subproject')}"
            count = (
                f"showing {first}" if self.shown == total else f"showing {self.shown} of {first}"
            )
            count += f"; more match (--limit {total} stopped the listing there)"
        else:
            count = f"showing {self.shown} of {plural(total, 'subproject')}"
        if self.about is not None and self.about.filtered:
            count += f" · {self.about.filtered}"
        if self.shown < total:
            count += " (%config Sinch.display_limit = 0 shows all; the DataFrame has every row)"
        return where + count

    def text(self, width: int | None = None) -> str:
        """Columns that fit `width` (a terminal's; None: no limit). Columns are dropped in the
        order of `DROPPED_FIRST` rather than wrapping a row in the middle of a time, and labels
        wrap between labels inside their column, never cut at a fixed width."""
        rows = self.rows()
        natural = {t: max([len(t)] + [len(r.cell(t)) for r in rows]) for t in TITLES}
        natural["Name"] = min(natural["Name"], max(NAME_WIDTH, len("Name")))
        titles = list(TITLES)
        if width is not None:
            wanted = min(natural["Labels"], MIN_LABELS_WIDTH)
            for dropped in DROPPED_FIRST:
                if self._labels_room(titles, natural, width) >= wanted:
                    break
                titles.remove(dropped)
            room = self._labels_room(titles, natural, width)
            if room < wanted:  # only Name and Labels left: the name gives way
                natural["Name"] = max(len("Name"), natural["Name"] - (wanted - room))
            natural["Labels"] = max(
                len("Labels"), min(natural["Labels"], self._labels_room(titles, natural, width))
            )

        def line(cells: dict[str, str]) -> str:
            return "  ".join(cells.get(t, "").ljust(natural[t]) for t in titles).rstrip()

        out = [self.heading(), line({t: t for t in titles})]
        for row in rows:
            cells = {t: row.cell(t) for t in titles}
            cells["Name"] = cut(row.name, natural["Name"])
            labels = wrap_items(label_items(row.labels), natural["Labels"])
            cells["Labels"] = labels[0]
            out.append(line(cells))
            out.extend(line({"Labels": more}) for more in labels[1:])
        return "\n".join(out)

    @staticmethod
    def _labels_room(titles: list[str], natural: dict[str, int], width: int) -> int:
        others = [natural[t] for t in titles if t != "Labels"]
        return width - sum(others) - 2 * len(others)

    def html(self) -> str:
        body = [
            tr(
                [
                    td(f"<b>{html.escape(r.name)}</b>", style=_CELL),
                    td(labels_html(r.labels), style=_WRAP),
                    td(r.updated, style=_CELL),
                    td(r.created, style=_CELL),
                    td(f'<code style="font-size:85%">{html.escape(r.id)}</code>', style=_CELL),
                ]
            )
            for r in self.rows()
        ]
        table = html_table(TITLES, body, "sinch-listing-table", style=_CELL)
        return f'<div class="sinch-listing"><div>{html.escape(self.heading())}</div>{table}</div>'


class DisplayLimit:
    """Shows frames that `%sinch list` returned as a `Listing` of at most `limit()` rows.

    Only those exact objects are affected (tracked by identity, weakly); every other DataFrame,
    including copies and slices of a listing, displays as pandas normally does. The returned
    DataFrame always holds every row and every column.
    """

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._frames: dict[int, weakref.ref[pd.DataFrame]] = {}
        self._more: dict[int, bool] = {}
        self._about: dict[int, ListingAbout] = {}
        self._views: dict[int, FrameView] = {}
        self._previous: dict[str, Any] = {}
        self._formatters: dict[str, Any] = {}

    def mark(
        self,
        frame: pd.DataFrame,
        *,
        more: bool = False,
        view: FrameView | None = None,
        about: ListingAbout | None = None,
    ) -> pd.DataFrame:
        """Show `frame` as a listing (`more`: it stopped at --limit and more rows match;
        `about`: its projects and filter), or as `view(frame, limit)` draws it: the view of
        the command that returned it."""
        key = id(frame)

        def forget(_ref: Any, key: int = key) -> None:
            self._frames.pop(key, None)
            self._more.pop(key, None)
            self._about.pop(key, None)
            self._views.pop(key, None)

        self._frames[key] = weakref.ref(frame, forget)
        self._more[key] = more
        if about is not None:
            self._about[key] = about
        if view is not None:
            self._views[key] = view
        return frame

    def listing(self, frame: Any) -> Listing | Table | None:
        """How `frame` shows (a listing, or its command's own view), or None when it displays
        as pandas does."""
        ref = self._frames.get(id(frame))
        if ref is None or ref() is not frame:
            return None
        view = self._views.get(id(frame))
        if view is not None:
            return view(frame, self._limit())
        key = id(frame)
        return Listing(frame, self._limit(), self._more.get(key, False), self._about.get(key))

    def html(self, frame: pd.DataFrame) -> str | None:
        listing = self.listing(frame)
        if listing is not None:
            return listing.html()
        previous = self._previous.get("text/html")
        return previous(frame) if previous else frame._repr_html_()

    def pretty(self, frame: pd.DataFrame, p: Any, cycle: bool) -> None:
        listing = self.listing(frame)
        if listing is not None:
            p.text(listing.text(terminal_width()))
            return
        previous = self._previous.get("text/plain")
        (previous or _repr_pprint)(frame, p, cycle)

    def install(self, shell: Any) -> None:
        self._formatters = shell.display_formatter.formatters
        self._previous = {
            "text/html": self._formatters["text/html"].for_type(pd.DataFrame, self.html),
            "text/plain": self._formatters["text/plain"].for_type(pd.DataFrame, self.pretty),
        }

    def uninstall(self) -> None:
        for mime, previous in self._previous.items():
            formatter = self._formatters[mime]
            if previous is None:
                formatter.pop(pd.DataFrame, None)
            else:
                formatter.for_type(pd.DataFrame, previous)
        self._previous = {}
        self._frames.clear()
        self._more.clear()
        self._about.clear()
        self._views.clear()


class Views:
    """The display hooks the extension adds to a shell, and removes again on unload."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self.frames = DisplayLimit(limit)
        self._shell: Any = None
        self._previous: dict[str, Any] = {}

    def install(self, shell: Any) -> None:
        self._shell = shell
        formatters = shell.display_formatter.formatters
        self._previous = {
            "text/html": formatters["text/html"].for_type(Subproject, subproject_html),
            "text/plain": formatters["text/plain"].for_type(Subproject, _subproject_pretty),
        }
        self.frames.install(shell)

    def uninstall(self) -> None:
        if self._shell is None:
            return
        formatters = self._shell.display_formatter.formatters
        for mime, previous in self._previous.items():
            if previous is None:
                formatters[mime].pop(Subproject, None)
            else:
                formatters[mime].for_type(Subproject, previous)
        self.frames.uninstall()
        self._shell = None

    def show(self, obj: Any) -> None:
        """Display `obj` now (HTML in Jupyter, text in a terminal), through this shell."""
        data, metadata = self._shell.display_formatter.format(obj)
        self._shell.display_pub.publish(data=data, metadata=metadata)
