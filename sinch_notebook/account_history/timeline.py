"""Snapshots of an account: take one, list them, follow one subproject through them.

    snap = sn.snapshot()            # the whole account, deleted included, into the store
    sn.snapshots()                  # DataFrame: id, time, project, counts
    sn.history(subproject_id)       # DataFrame: that subproject's versions over time

A snapshot is read with `client.iter_pages(show_deleted=True)` first and written afterwards in
one transaction, so a slow listing never holds the store's lock.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..client import SubprojectsClient
from ..display import exact_time
from ..errors import ValidationError
from ..models import parse_time
from .changes import changes_between, describe
from .rows import Row, paused_gc, prepare_rows, to_record
from .store import HistoryStore, SnapshotInfo, SnapshotOutOfOrder, open_store

if TYPE_CHECKING:
    import pandas as pd

LISTINGS = 5  # listings of one snapshot, when newer ones keep being stored meanwhile
SNAPSHOT_COLUMNS = ["id", "time", "project", "subprojects", "live", "deleted", "changed"]
HISTORY_COLUMNS = [
    "first_seen",
    "last_seen",
    "displayName",
    "labels",
    "deleted",
    "updateTime",
    "changes",
    "first_snapshot",
    "last_snapshot",
]


_when = exact_time  # a snapshot's time, to the second (display.py owns the formats)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The whole account at one time. `id` is None for a fresh listing ("now") not stored."""

    id: int | None
    time: datetime
    project: str
    subprojects: int
    deleted: int
    changed: int | None = None
    previous: int | None = None
    store: HistoryStore | None = field(default=None, repr=False)
    _rows: Mapping[str, Row] | None = field(default=None, repr=False)
    api_url: str | None = None  # the API it was listed from (None: stored before schema 2)

    @classmethod
    def from_store(cls, info: SnapshotInfo, store: HistoryStore) -> Snapshot:
        """The snapshot `info` describes in `store` (rows read from the store when asked)."""
        return cls(
            info.id,
            info.time,
            info.project,
            info.subprojects,
            info.deleted,
            info.changed,
            info.previous,
            store,
            api_url=info.api_url,
        )

    @property
    def live(self) -> int:
        """Subprojects not deleted at this time."""
        return self.subprojects - self.deleted

    @property
    def stored(self) -> bool:
        """Whether the snapshot is in the history store (a fresh listing, "now", is not)."""
        return self.id is not None and self.store is not None

    @property
    def name(self) -> str:
        """How a diff names it: "snapshot 3" or "now"."""
        return f"snapshot {self.id}" if self.id is not None else "now"

    def rows(self) -> Mapping[str, Row]:
        """Every record in stored form, by subprojectId (for comparisons)."""
        if self._rows is not None:
            return self._rows
        assert self.id is not None and self.store is not None
        return self.store.rows(self.id)

    def records(self) -> list[dict[str, Any]]:
        """Every subproject as the API returned it (deleted included), in id order."""
        rows = self.rows()
        if self.store is None:
            return [to_record(row, self.project) for row in rows.values()]
        with self.store.reading():
            return [to_record(row, self.project) for row in rows.values()]

    @property
    def frame(self) -> pd.DataFrame:
        """The snapshot as `client.frame(show_deleted=True)` would have returned it then."""
        from ..frames import records_frame

        return records_frame(self.records())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return (self.id, self.store) == (other.id, other.store)

    def __hash__(self) -> int:
        return hash((self.id, self.store)) if self.id is not None else id(self)

    def _facts(self) -> str:
        facts = f"{self.subprojects:,} subprojects ({self.deleted:,} deleted)"
        if self.id is None:
            return facts
        if self.previous is None:
            return facts + ", the project's first snapshot"
        return facts + f", {self.changed:,} changed since snapshot {self.previous}"

    def __repr__(self) -> str:
        what = f"Snapshot {self.id}" if self.id is not None else "Listing (not stored)"
        return f"{what} of project {self.project!r} at {_when(self.time)}: {self._facts()}"

    def _repr_html_(self) -> str:
        what = f"Snapshot {self.id}" if self.id is not None else "Listing (not stored)"
        where = f" in <code>{html.escape(self.store.where)}</code>" if self.store else ""
        return (
            f"<div class='sinch-snapshot'><b>{what}</b> of project "
            f"<code>{html.escape(self.project)}</code> at {html.escape(_when(self.time))}: "
            f"{html.escape(self._facts())}{where}</div>"
        )


# What the core is handed: a client, or a function that gives one when it is needed.
ClientArg = SubprojectsClient | Callable[[], SubprojectsClient]


def given_client(client: Any) -> SubprojectsClient:
    """The client a face handed over, checked: a `SubprojectsClient`, or a function that gives
    one when it is needed (a face that picks the connection at use time, such as the active
    one, hands over how it picks it)."""
    if callable(client) and not isinstance(client, SubprojectsClient):
        client = client()
    if not isinstance(client, SubprojectsClient):
        raise ValidationError(
            "client",
            f"must be a SubprojectsClient (from sn.connect()), got {type(client).__name__}",
        )
    return client


def listing(client: SubprojectsClient) -> Snapshot:
    """The account now (deleted included), not stored: what `diff(..., "now")` compares with."""
    with paused_gc():
        pages = client.iter_pages(show_deleted=True)
        rows = prepare_rows((record for page in pages for record in page), client.project_id)
    deleted = sum(row.deleted for row in rows.values())
    moment = datetime.now(timezone.utc)
    return Snapshot(
        None,
        moment,
        client.project_id,
        len(rows),
        deleted,
        _rows=rows,
        api_url=client.endpoints.api_url,
    )


def snapshot(client: SubprojectsClient, store: Any = None, tag: str | None = None) -> Snapshot:
    """List the whole account (deleted included) and store it as a new snapshot.

    `store` defaults to `%config Sinch.history`,
    `SINCH_HISTORY` or `.sinch/history.sqlite` under the working directory. The store is checked
    (and created) before anything is sent, so a wrong path fails before the listing. Snapshots
    are stored in the order of their listings: when another kernel stored a newer listing
    meanwhile, the account is listed again (`SnapshotOutOfOrder` after LISTINGS tries).
    `tag` marks it ("sync": taken by a desired-state sync, see `sinch_notebook.desired`).
    """
    target = open_store(store)
    source = given_client(client)
    target.ensure()
    for attempt in range(1, LISTINGS + 1):
        with paused_gc():  # until the listing is freed again, so the collector never walks it
            # The snapshot's time is when its listing started (before the first page is asked
            # for): a listing that overlaps a later one is older than it, so it is refused and
            # the account listed again, never stored as the newest with what it read first.
            started = datetime.now(timezone.utc)
            records = [record for page in source.iter_pages(show_deleted=True) for record in page]
            try:
                info = target.add_snapshot(
                    source.project_id,
                    records,
                    started,
                    source.endpoints.api_url,
                    tag,
                )
            except SnapshotOutOfOrder:
                if attempt == LISTINGS:
                    raise
                continue
            finally:
                del records
        return Snapshot.from_store(info, target)
    raise AssertionError("unreachable")  # pragma: no cover


def to_seconds(times: pd.Series) -> pd.Series:
    """Snapshot times to the whole second, as they are shown everywhere: the microseconds of
    the moment a snapshot was taken only make a table wider (and wrap)."""
    return times.dt.floor("s").dt.as_unit("s")


def snapshots(store: Any = None, project: str | None = None) -> pd.DataFrame:
    """Every snapshot in the store (of one project, if given), oldest first.

    Columns: id, time (UTC), project, subprojects (deleted included), live, deleted, changed
    (subprojects that differ from the project's previous snapshot; all of them for the first).
    """
    import pandas as pd

    infos = open_store(store).snapshot_infos(project)
    frame = pd.DataFrame(
        {
            "id": pd.Series([i.id for i in infos], dtype="int64"),
            "time": pd.to_datetime(pd.Series([i.time for i in infos], dtype=object), utc=True),
            "project": pd.Series([i.project for i in infos], dtype="string"),
            "subprojects": pd.Series([i.subprojects for i in infos], dtype="int64"),
            "live": pd.Series([i.subprojects - i.deleted for i in infos], dtype="int64"),
            "deleted": pd.Series([i.deleted for i in infos], dtype="int64"),
            "changed": pd.Series([i.changed for i in infos], dtype="int64"),
        },
        columns=SNAPSHOT_COLUMNS,
    )
    frame["time"] = to_seconds(frame["time"])
    return frame


def history(subproject_id: str, store: Any = None) -> pd.DataFrame:
    """One row per distinct version of a subproject across every snapshot in the store.

    Columns: first_seen / last_seen (times of the first and last snapshot holding that version),
    displayName, labels (a dict), deleted, updateTime, changes (what differs from the version
    before), first_snapshot / last_snapshot (their ids).
    """
    import pandas as pd

    if not isinstance(subproject_id, str) or not subproject_id.strip():
        raise ValidationError("subproject_id", "must be a non-empty string")
    sid = subproject_id.strip()
    target = open_store(store)
    versions = target.versions(sid)
    if not versions:
        raise ValidationError("subproject_id", f"no snapshot in {target.where} holds {sid!r}")
    infos = target.snapshot_infos()
    by_project: dict[str, list[SnapshotInfo]] = {}
    for info in infos:
        by_project.setdefault(info.project, []).append(info)
    rows = []
    previous: dict[str, Any] | None = None
    for version in versions:
        taken = by_project[version.project]
        ids = [info.id for info in taken]
        first = taken[bisect.bisect_left(ids, version.first)]
        end = bisect.bisect_left(ids, version.until) if version.until is not None else len(ids)
        last = taken[end - 1]
        record = version.record
        changes = describe(changes_between(previous, record)) if previous else "first seen"
        rows.append(
            {
                "first_seen": first.time,
                "last_seen": last.time,
                "displayName": record["displayName"],
                "labels": dict(record["labels"]),
                "deleted": bool(record["deleted"]),
                "updateTime": parse_time(record.get("updateTime")),
                "changes": changes or "no change in name, labels or deleted",
                "first_snapshot": first.id,
                "last_snapshot": last.id,
            }
        )
        previous = record
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    for name in ("first_seen", "last_seen"):
        frame[name] = to_seconds(pd.to_datetime(frame[name], utc=True))
    frame["updateTime"] = pd.to_datetime(frame["updateTime"], utc=True).dt.as_unit("us")
    for name in ("displayName", "changes"):
        frame[name] = frame[name].astype("string")
    return frame
