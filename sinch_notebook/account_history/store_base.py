"""The history store's one interface, and everything its two engines share.

A store keeps snapshots of whole accounts in which unchanged records are shared:

    projects(id, project_id)  the parent projects snapshotted into it
    snapshots(id, project, time, subprojects, deleted, changed, previous, api_url, tag)
    versions(id, project, subproject_id, first, until,
             display_name, labels, create_time, update_time, deleted, extra)

A *version* is one state of one subproject. It belongs to every snapshot of its project whose id
is at least `first` and below `until` (NULL: still current). A snapshot of an unchanged account
therefore adds a single `snapshots` row; only records that changed add a version.

The engines (`store.SQLiteStore`, the embedded default, and `store_postgres.PostgresStore`, a
team's shared database) differ in how they connect, lock, create their schema and write many
rows at once; the queries below are written once, with `?` placeholders, and run on both.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import SinchError, ValidationError
from .changes import changes_between
from .rows import Row, UnreadableRow, by_id, paused_gc, prepare_rows, to_record

FORMAT = "sinch-notebook account history"
_FOREVER = 2**63 - 1  # `until` of a current version, in comparisons

_CONTENT = "display_name, labels, create_time, update_time, deleted, extra"

# The columns both stores' tables share, as SQL both dialects read; each store's schema adds
# its own ids and keys around them.
SNAPSHOT_COUNTS = """\
    time TEXT NOT NULL,
    subprojects INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    changed INTEGER NOT NULL,
"""
VERSION_CONTENT = """\
    display_name TEXT NOT NULL,
    labels TEXT NOT NULL,
    create_time TEXT,
    update_time TEXT,
    deleted INTEGER NOT NULL,
    extra TEXT
);
CREATE INDEX versions_current ON versions(project, subproject_id) WHERE until IS NULL;
"""
_INFO = (
    "s.id, p.project_id, s.time, s.subprojects, s.deleted, s.changed, s.previous, s.api_url, s.tag"
)
_V_CONTENT = ", ".join(f"v.{column}" for column in _CONTENT.split(", "))


@dataclass(frozen=True)
class SnapshotInfo:
    """One row of the snapshots table."""

    id: int
    project: str
    time: datetime
    subprojects: int
    deleted: int
    changed: int  # subprojects the diff from the previous snapshot reports
    previous: int | None  # that snapshot's id (None: the project's first)
    api_url: str | None = None  # where it was listed from (None: before schema 2)
    tag: str | None = None  # "sync": taken by a desired-state sync (SQLite schema 3)


@dataclass(frozen=True)
class VersionInfo:
    """One version of a subproject, with the snapshots that hold it."""

    project: str
    first: int
    until: int | None
    record: dict[str, Any]


def format_time(moment: datetime) -> str:
    """Snapshot times: UTC, microseconds, `Z`; these strings sort in time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stored_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


class StoreBusy(SinchError):
    """Another process kept the store locked for longer than the busy timeout."""

    status = "STORE_BUSY"


class StoreReadOnly(SinchError):
    """The store cannot be written (a read-only file or folder, a role without write grants):
    its snapshots can be read, not added to."""

    status = "STORE_READ_ONLY"


class StoreDamaged(SinchError):
    """A stored value this release cannot read (labels that are not JSON, a garbled time)."""

    status = "STORE_DAMAGED"


class StoreUnreachable(SinchError):
    """The store's database server cannot be reached, refused the login, or went away."""

    status = "STORE_UNREACHABLE"


class SnapshotOutOfOrder(SinchError):
    """A listing older than the latest stored snapshot of its project (another kernel stored a
    newer one meanwhile): storing it would make the history run backwards."""

    status = "SNAPSHOT_OUT_OF_ORDER"


class HistoryStore:
    """One history store. Cheap to make; every operation opens its own short connection.

    So one store object can be shared by threads (the panel's worker) and processes never keep
    the store open between operations. Nothing is created until the first snapshot is written.
    This is the interface: `open_store(location)` gives the engine a location names (a
    `postgresql://` URL, or a path for the embedded SQLite file).
    """

    engine = ""  # "sqlite" or "postgresql"

    def __new__(cls, *args: Any, **kwargs: Any) -> HistoryStore:
        if cls is HistoryStore:
            raise TypeError(
                "HistoryStore is the stores' interface: sn.open_store(path_or_url) gives one"
            )
        return super().__new__(cls)

    @property
    def where(self) -> str:
        """The store as messages name it: a path, or a URL without user info or password."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.where == self.where  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.where))

    # -- what an engine provides ---------------------------------------------------------

    @property
    def exists(self) -> bool:
        """Whether the store has been created (reading one that has not finds nothing)."""
        raise NotImplementedError

    def check_file(self) -> None:
        """Refuse what is not a store this release can read, without connecting when that
        needs a server (the engines check again on every connection)."""

    def ensure(self) -> None:
        """Create the store if it does not exist; check (and migrate) it if it does."""
        raise NotImplementedError

    def _before_write(self) -> None:
        """Create the store before its first write (outside the write transaction)."""
        if not self.exists:
            self.ensure()

    def _q(self, query: str) -> str:
        """A query written with `?` placeholders, in the engine's own style."""
        return query

    def _read(self) -> contextlib.AbstractContextManager[Any]:
        """A read transaction (one consistent view), or None when there is no store yet."""
        raise NotImplementedError

    def _write(self, project: str) -> contextlib.AbstractContextManager[Any]:
        """One write transaction holding `project`'s writer lock: all committed, or none."""
        raise NotImplementedError

    def _end_versions(self, conn: Any, snapshot_id: int, ids: list[int]) -> None:
        raise NotImplementedError

    def _add_versions(self, conn: Any, rows: list[tuple]) -> None:
        """Insert (project, first, subproject_id, display_name, ..., extra) rows."""
        raise NotImplementedError

    def _integrity(self, conn: Any) -> list[str]:
        """The engine's own consistency check, as problem lines."""
        return []

    def size(self) -> int:
        """Bytes the store occupies."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------

    def _damaged(self, what: str) -> StoreDamaged:
        return StoreDamaged(
            f"the history store {self.where} is damaged: {what}; "
            f"sn.open_store({self.where!r}).check() lists what is damaged: restore the store "
            "from a backup, or give another store (store=...)"
        )

    def _fetch(self, query: str, params: tuple = ()) -> list[Any]:
        """Every row of one query, in one read transaction ([] when there is no store yet)."""
        with self._read() as conn:
            return [] if conn is None else conn.execute(self._q(query), params).fetchall()

    # -- writing -----------------------------------------------------------------------------

    def add_snapshot(
        self,
        project: str,
        records: Iterable[Mapping[str, Any]],
        time: datetime,
        api_url: str | None = None,
        tag: str | None = None,
    ) -> SnapshotInfo:
        """Store one listing of `project` (deleted subprojects included) taken at `time`.

        Only records that differ from the project's latest snapshot add a version; the rest
        are shared. The records are prepared before the write lock is taken.
        """
        with paused_gc():  # everything made here is freed before the collector runs again
            rows = prepare_rows(records, project)
            try:
                return self.add_rows(project, rows, time, api_url, tag)
            finally:
                del rows

    def add_rows(
        self,
        project: str,
        rows: Mapping[str, Row],
        time: datetime,
        api_url: str | None = None,
        tag: str | None = None,
    ) -> SnapshotInfo:
        """`add_snapshot` of records already in stored form (a copy from another store)."""
        stamp = format_time(time)
        self._before_write()
        total, deleted = len(rows), sum(row.deleted for row in rows.values())
        with self._write(project) as conn:
            snapshot_id, previous, changed = self._write_rows(
                conn, project, stamp, rows, deleted, api_url
            )
            if tag is not None:
                conn.execute(
                    self._q("UPDATE snapshots SET tag = ? WHERE id = ?"), (tag, snapshot_id)
                )
        return SnapshotInfo(
            snapshot_id,
            project,
            parse_stored_time(stamp),
            total,
            deleted,
            changed,
            previous,
            api_url,
            tag,
        )

    def _write_rows(
        self,
        conn: Any,
        project: str,
        stamp: str,
        rows: Mapping[str, Row],
        deleted: int,
        api_url: str | None = None,
    ) -> tuple[int, int | None, int]:
        """Inside the write transaction: the snapshot row, and a version for each change."""
        q = self._q
        pid = self._project_key(conn, project)
        previous, latest = conn.execute(
            q("SELECT id, time FROM snapshots WHERE project = ? ORDER BY id DESC LIMIT 1"), (pid,)
        ).fetchone() or (None, None)
        if latest is not None:
            try:
                _stored_time(latest)
            except _Unreadable as bad:
                raise self._damaged(f"snapshot {previous}: {bad}") from None
        if latest is not None and stamp < latest:
            raise SnapshotOutOfOrder(
                f"not stored: this listing of project {project} (at {stamp}) is older than "
                f"snapshot {previous} (at {latest}), stored meanwhile in {self.where}; "
                "snapshots are kept in the order of their listings: take it again"
            )
        snapshot_id = conn.execute(
            q(
                "INSERT INTO snapshots (project, time, subprojects, deleted, changed, previous, "
                "api_url) VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING id"
            ),
            (pid, stamp, len(rows), deleted, previous, api_url),
        ).fetchall()[0][0]
        unchanged: set[str] = set()
        ended: list[int] = []
        current = conn.execute(
            q(
                f"SELECT subproject_id, {_CONTENT}, id FROM versions "
                "WHERE project = ? AND until IS NULL"
            ),
            (pid,),
        ).fetchall()
        seen: set[str] = set()
        changed = 0  # subprojects the diff from the previous snapshot reports: one count
        for stored in current:
            content, version_id = stored[:7], stored[7]  # the columns selected just above
            sid = content[0]
            seen.add(sid)
            row = rows.get(sid)
            if row is not None and content == row:
                unchanged.add(sid)
                continue
            ended.append(version_id)
            changed += _reported(content, row, project)
        del current
        added = [(pid, snapshot_id, *row) for sid, row in rows.items() if sid not in unchanged]
        changed += sum(1 for sid in rows if sid not in seen)  # each one "created"
        if ended:
            self._end_versions(conn, snapshot_id, ended)
        if added:
            self._add_versions(conn, added)
        conn.execute(q("UPDATE snapshots SET changed = ? WHERE id = ?"), (changed, snapshot_id))
        return snapshot_id, previous, changed

    def _project_key(self, conn: Any, project: str) -> int:
        conn.execute(
            self._q("INSERT INTO projects (project_id) VALUES (?) ON CONFLICT DO NOTHING"),
            (project,),
        )
        found = conn.execute(self._q("SELECT id FROM projects WHERE project_id = ?"), (project,))
        return found.fetchone()[0]

    # -- reading -----------------------------------------------------------------------------

    def _infos(self, rows: Iterable[tuple]) -> list[SnapshotInfo]:
        try:
            return [_info(row) for row in rows]
        except _Unreadable as bad:
            raise self._damaged(str(bad)) from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Stored records decoded inside are checked: damage is one `StoreDamaged` naming this
        store and what to do, never a JSONDecodeError from deep inside a diff."""
        try:
            yield
        except UnreadableRow as bad:
            raise self._damaged(str(bad)) from None

    def snapshot_infos(self, project: str | None = None) -> list[SnapshotInfo]:
        """Every snapshot (of one project, if given), oldest first."""
        query = f"SELECT {_INFO} FROM snapshots s JOIN projects p ON p.id = s.project"
        params: tuple = ()
        if project is not None:
            query += " WHERE p.project_id = ?"
            params = (project,)
        return self._infos(self._fetch(query + " ORDER BY s.id", params))

    def latest_tagged(self, project: str, tag: str, api_url: str | None) -> SnapshotInfo | None:
        """The project's latest snapshot with `tag` listed from `api_url` (None: there is none)."""
        where = "s.api_url IS NULL" if api_url is None else "s.api_url = ?"
        found = self._fetch(
            f"SELECT {_INFO} FROM snapshots s JOIN projects p ON p.id = s.project "
            f"WHERE p.project_id = ? AND s.tag = ? AND {where} ORDER BY s.id DESC LIMIT 1",
            (project, tag) + (() if api_url is None else (api_url,)),
        )
        return self._infos(found)[0] if found else None

    def snapshot_info(self, snapshot_id: int) -> SnapshotInfo | None:
        found = self._fetch(
            f"SELECT {_INFO} FROM snapshots s JOIN projects p ON p.id = s.project WHERE s.id = ?",
            (snapshot_id,),
        )
        return self._infos(found)[0] if found else None

    def rows(self, snapshot_id: int) -> dict[str, Row]:
        """Every record of a snapshot in stored form, by subprojectId (id order)."""
        with paused_gc():  # 100,000 rows read and made, none in a cycle: see `paused_gc`
            found = self._fetch(
                f"SELECT v.subproject_id, {_V_CONTENT} FROM versions v "
                "JOIN snapshots s ON s.id = ? AND v.project = s.project "
                "WHERE v.first <= s.id AND coalesce(v.until, ?) > s.id",
                (snapshot_id, _FOREVER),
            )
            found.sort()  # id order, as the API lists them (faster here than ORDER BY in SQL)
            return by_id(found)

    def changed_rows(self, a: int, b: int) -> tuple[dict[str, Row], dict[str, Row]]:
        """The records that differ between two snapshots of one project: (in a, in b).

        Found from the versions' intervals alone, so two snapshots of a large, mostly unchanged
        account compare without reading the records they share.
        """
        low, high = min(a, b), max(a, b)
        found = self._fetch(
            f"SELECT v.first, coalesce(v.until, ?), v.subproject_id, {_V_CONTENT} "
            "FROM versions v JOIN snapshots s ON s.id = ? AND v.project = s.project "
            "WHERE v.first <= ? AND coalesce(v.until, ?) > ? "
            "AND NOT (v.first <= ? AND coalesce(v.until, ?) > ?) ORDER BY v.subproject_id",
            (_FOREVER, low, high, _FOREVER, low, low, _FOREVER, high),
        )
        in_a: dict[str, Row] = {}
        in_b: dict[str, Row] = {}
        for first, until, *content in found:  # only what changed: Row._make's cost is small
            row = Row._make(content)
            for snapshot_id, side in ((a, in_a), (b, in_b)):
                if first <= snapshot_id < until:
                    side[row.subproject_id] = row
        return in_a, in_b

    def versions(self, subproject_id: str) -> list[VersionInfo]:
        """Every stored version of one subproject, oldest first."""
        found = self._fetch(
            f"SELECT p.project_id, v.first, v.until, v.subproject_id, {_V_CONTENT} "
            "FROM versions v JOIN projects p ON p.id = v.project "
            "WHERE v.subproject_id = ? ORDER BY v.first",
            (subproject_id,),
        )
        with self.reading():
            return [
                VersionInfo(p, first, until, to_record(row, p)) for p, first, until, *row in found
            ]

    def all_versions(self, project: str) -> list[tuple[int, int | None, dict[str, Any]]]:
        """(first, until, record) of every version of a project, by subproject then time."""
        found = self._fetch(
            f"SELECT v.first, v.until, v.subproject_id, {_V_CONTENT} FROM versions v "
            "JOIN projects p ON p.id = v.project AND p.project_id = ? "
            "ORDER BY v.subproject_id, v.first",
            (project,),
        )
        with self.reading():
            return [(first, until, to_record(row, project)) for first, until, *row in found]

    def projects(self) -> list[str]:
        return [r[0] for r in self._fetch("SELECT project_id FROM projects ORDER BY id")]

    def meta(self) -> dict[str, str]:
        return dict(self._fetch("SELECT key, value FROM meta"))

    def check(self) -> list[str]:
        """Problems found by a full consistency check (an empty list: the store is sound)."""
        problems: list[str] = []
        with self._read() as conn:
            if conn is None:
                return problems
            problems.extend(self._integrity(conn))

            def run(query: str, params: tuple = ()) -> list[Any]:
                return conn.execute(self._q(query), params).fetchall()

            for project, sid, count in run(
                "SELECT project, subproject_id, count(*) FROM versions WHERE until IS NULL "
                "GROUP BY project, subproject_id HAVING count(*) > 1"
            ):
                problems.append(f"project {project}: {sid} has {count} current versions")
            for snapshot_id, expected, held, distinct in run(
                "SELECT s.id, s.subprojects, count(v.id), count(DISTINCT v.subproject_id) "
                "FROM snapshots s LEFT JOIN versions v ON v.project = s.project "
                "AND v.first <= s.id AND coalesce(v.until, ?) > s.id GROUP BY s.id ORDER BY s.id",
                (_FOREVER,),
            ):
                if not expected == held == distinct:
                    problems.append(
                        f"snapshot {snapshot_id}: {expected} subprojects recorded, {held} "
                        f"versions held ({distinct} distinct)"
                    )
            for snapshot_id, stamp in run("SELECT id, time FROM snapshots ORDER BY id"):
                try:
                    _stored_time(stamp)
                except _Unreadable as bad:
                    problems.append(f"snapshot {snapshot_id}: {bad}")
            for snapshot_id, earlier, stamp in run(
                "SELECT s.id, p.time, s.time FROM snapshots s "
                "JOIN snapshots p ON p.id = s.previous WHERE s.time < p.time ORDER BY s.id"
            ):
                problems.append(
                    f"snapshot {snapshot_id} (at {stamp}) is older than the snapshot before it "
                    f"(at {earlier})"
                )
            for column, name in (("labels", "labels"), ("extra", "extra fields")):
                for text, sid, count in run(
                    f"SELECT {column}, min(subproject_id), count(*) FROM versions "
                    f"WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY {column}"
                ):
                    if not _readable_json(text, an_object=column == "extra"):
                        problems.append(
                            f"{count} versions (subproject {sid}, ...) have {name} that are not "
                            f"readable ({text!r:.60})"
                        )
            for (orphans,) in run(
                "SELECT count(*) FROM versions v LEFT JOIN snapshots s ON s.id = v.first "
                "WHERE s.id IS NULL"
            ):
                if orphans:
                    problems.append(f"{orphans} versions start in a snapshot that does not exist")
        return problems


def refuse(where: str, reason: str) -> ValidationError:
    """What is not a store this release can use, named with the rule it breaks."""
    return ValidationError("store", f"{where} {reason}; it was left untouched")


def newer_schema(where: str, version: int, newest: int) -> ValidationError:
    return refuse(
        where,
        f"was written by a newer sinch-notebook (store schema {version}; this release "
        f"reads up to {newest}): upgrade sinch-notebook to use it",
    )


def _info(row: tuple) -> SnapshotInfo:
    sid, project, stamp, total, deleted, changed, previous, api_url, tag = row
    return SnapshotInfo(
        sid, project, _stored_time(stamp), total, deleted, changed, previous, api_url, tag
    )


class _Unreadable(ValueError):
    """A stored value that cannot be read; the store names itself in the error it raises."""


def _stored_time(stamp: Any) -> datetime:
    try:
        return parse_stored_time(stamp)
    except (TypeError, ValueError):
        raise _Unreadable(f"a snapshot time is not readable ({stamp!r})") from None


def _readable_json(text: Any, *, an_object: bool) -> bool:
    """Whether stored text is JSON (extra fields: a JSON object), as `rows.to_record` needs."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return False
    return isinstance(value, dict) or not an_object


def _reported(before: tuple, after: Row | None, project: str) -> bool:
    """Whether a diff reports this stored version's change (`changes_between`: names, labels,
    deletions; a new `updateTime` alone is not a change), so a snapshot's "N changed" and
    the diff of the same span count the same subprojects."""
    try:
        old = to_record(before, project)
        new = to_record(after, project) if after is not None else None
    except UnreadableRow:
        return True  # a damaged version: the diff will say so; count it rather than hide it
    return bool(changes_between(old, new))
