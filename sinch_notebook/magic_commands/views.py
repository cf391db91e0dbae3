"""What the magic shows: each object renders as HTML in Jupyter and as plain text in a terminal.

Nothing here ever receives the Key Secret or a token: statuses are built from
`SubprojectsClient.status()`, which leaves both out.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from IPython.lib.pretty import _repr_pprint

from ..display import (
    TABLE,
    ConnectionStatus,
    html_rows,
    subproject_html,
    subproject_text,
    text_rows,
)
from ..models import Subproject

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
        return self.status.title("run %sinch login (or %sinch login --sandbox for a demo)")

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


# -- frames returned by `%sinch list`: the display limit -------------------------------------


class DisplayLimit:
    """Shows frames that `%sinch list` returned with at most `limit()` rows.

    Only those exact objects are affected (tracked by identity, weakly); every other DataFrame,
    including copies and slices of a listing, displays as pandas normally does. The returned
    DataFrame always holds every row.
    """

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._frames: dict[int, weakref.ref[pd.DataFrame]] = {}
        self._previous: dict[str, Any] = {}
        self._formatters: dict[str, Any] = {}

    def mark(self, frame: pd.DataFrame) -> pd.DataFrame:
        key = id(frame)
        self._frames[key] = weakref.ref(frame, lambda _ref, key=key: self._frames.pop(key, None))
        return frame

    def rows_for(self, frame: Any) -> int | None:
        """The row limit for `frame`, or None when it displays as usual."""
        ref = self._frames.get(id(frame))
        if ref is None or ref() is not frame:
            return None
        limit = self._limit()
        return limit if limit and len(frame) > limit else None

    def _options(self, frame: pd.DataFrame) -> Any:
        rows = self.rows_for(frame)
        if rows is None:
            return nullcontext()
        return pd.option_context("display.max_rows", rows, "display.min_rows", rows)

    def html(self, frame: pd.DataFrame) -> str | None:
        previous = self._previous.get("text/html")
        with self._options(frame):
            return previous(frame) if previous else frame._repr_html_()

    def pretty(self, frame: pd.DataFrame, p: Any, cycle: bool) -> None:
        previous = self._previous.get("text/plain")
        with self._options(frame):
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
