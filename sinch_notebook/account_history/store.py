"""The history store: one SQLite file of account snapshots in which unchanged records are shared.

Schema version 2 (`PRAGMA user_version`; `PRAGMA application_id` marks the file as ours):

    meta(key, value)          what the file is, which release made it and when
    projects(id, project_id)  the parent projects snapshotted into it
    snapshots(id, project, time, subprojects, deleted, changed, previous, api_url)
    versions(id, project, subproject_id, first, until,
             display_name, labels, create_time, update_time, deleted, extra)

A *version* is one state of one subproject. It belongs to every snapshot of its project whose id
is at least `first` and below `until` (NULL: still current). A snapshot of an unchanged account
therefore adds a single `snapshots` row; only records that changed add a version. Each snapshot
records the API URL it was listed from (schema 2; NULL for older snapshots), so a snapshot of a
sandbox is never taken for one of the real project with the same id. No credential or token is
ever written: the store holds subproject data, project ids and API URLs only.

Safety:
- a new store is built in a temporary file beside the target and linked into place, so a path is
  either absent or a complete store, even when two processes create it at once;
- an existing file is checked before anything is written to it: a file that is not a store (not
  SQLite, another application's database, or a newer schema) is refused and left untouched;
- each snapshot is one `BEGIN IMMEDIATE` transaction in WAL mode with a busy timeout, so
  concurrent writers take turns, readers are never blocked, and a crash leaves no half snapshot.
  The listing happens before the transaction, so a slow listing never holds the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from .._version import __version__
from ..errors import SinchError, ValidationError
from ..models import rfc3339
from .rows import Row, UnreadableRow, paused_gc, prepare_rows, to_record

APPLICATION_ID = int.from_bytes(b"SNhs", "big")  # PRAGMA application_id of every store
SCHEMA_VERSION = 2
FORMAT = "sinch-notebook account history"
BUSY_SECONDS = 60.0  # how long a writer waits for another one before giving up
DEFAULT_PATH = Path(".sinch") / "history.sqlite"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_FOREVER = 2**63 - 1  # `until` of a current version, in comparisons


def _add_api_url(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: snapshots record the API URL they were listed from (NULL: unknown)."""
    conn.execute("ALTER TABLE snapshots ADD COLUMN api_url TEXT")


# Upgrades of older stores: MIGRATIONS[n] turns schema n into n + 1, inside one write
# transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _add_api_url}

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE projects (id INTEGER PRIMARY KEY, project_id TEXT NOT NULL UNIQUE);
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project INTEGER NOT NULL REFERENCES projects(id),
    time TEXT NOT NULL,
    subprojects INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    previous INTEGER REFERENCES snapshots(id),
    api_url TEXT
);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    project INTEGER NOT NULL REFERENCES projects(id),
    subproject_id TEXT NOT NULL,
    first INTEGER NOT NULL REFERENCES snapshots(id),
    until INTEGER REFERENCES snapshots(id),
    display_name TEXT NOT NULL,
    labels TEXT NOT NULL,
    create_time TEXT,
    update_time TEXT,
    deleted INTEGER NOT NULL,
    extra TEXT
);
CREATE INDEX versions_current ON versions(project, subproject_id) WHERE until IS NULL;
"""

_CONTENT = "display_name, labels, create_time, update_time, deleted, extra"
_INFO = "s.id, p.project_id, s.time, s.subprojects, s.deleted, s.changed, s.previous, s.api_url"
_V_CONTENT = ", ".join(f"v.{column}" for column in _CONTENT.split(", "))


@dataclass(frozen=True)
class SnapshotInfo:
    """One row of the snapshots table."""

    id: int
    project: str
    time: datetime
    subprojects: int
    deleted: int
    changed: int  # records that differ from the previous snapshot of the project
    previous: int | None  # that snapshot's id (None: the project's first)
    api_url: str | None = None  # where it was listed from (None: before schema 2)


@dataclass(frozen=True)
class VersionInfo:
    """One version of a subproject, with the snapshots that hold it."""

    project: str
    first: int
    until: int | None
    record: dict[str, Any]


def format_time(moment: datetime) -> str:
    """Snapshot times: UTC, microseconds, `Z`; these strings sort in time order."""
    return rfc3339(moment, "microseconds") or ""


def parse_stored_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


class StoreBusy(SinchError):
    """Another process kept the store locked for longer than the busy timeout."""

    status = "STORE_BUSY"


class StoreReadOnly(SinchError):
    """The store's file or folder cannot be written: its snapshots can be read, not added to."""

    status = "STORE_READ_ONLY"


class StoreDamaged(SinchError):
    """A stored value this release cannot read (labels that are not JSON, a garbled time)."""

    status = "STORE_DAMAGED"


class SnapshotOutOfOrder(SinchError):
    """A listing older than the latest stored snapshot of its project (another kernel stored a
    newer one meanwhile): storing it would make the history run backwards."""

    status = "SNAPSHOT_OUT_OF_ORDER"


class HistoryStore:
    """One history file. Cheap to make; every operation opens its own short connection.

    So one store object can be shared by threads (the panel's worker) and processes never keep
    the file open between operations. Nothing is created until the first snapshot is written.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HistoryStore) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    # -- opening ---------------------------------------------------------------------------

    def _refuse(self, reason: str) -> ValidationError:
        return ValidationError("store", f"{self.path} {reason}; it was left untouched")

    def check_file(self) -> None:
        """Refuse, without writing a byte, a file that is not a store this release can read."""
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(100)
        except IsADirectoryError:
            raise self._refuse("is a directory, not a history store") from None
        except OSError as err:
            raise ValidationError(
                "store", f"{self.path} cannot be read ({err.strerror or err})"
            ) from None
        if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
            raise self._refuse("is not a history store (not a SQLite database)")
        if int.from_bytes(head[68:72], "big") != APPLICATION_ID:
            raise self._refuse(
                "is another application's SQLite database, not a sinch-notebook history store"
            )
        self._check_version(int.from_bytes(head[60:64], "big"))

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise self._refuse(
                f"was written by a newer sinch-notebook (store schema {version}; this release "
                f"reads up to {SCHEMA_VERSION}): upgrade sinch-notebook to use it"
            )
        if version < 1:
            raise self._refuse("is not a complete history store (it has no schema version)")

    def ensure(self) -> None:
        """Create the store if it does not exist; check (and migrate) it if it does."""
        if not self.path.exists():
            self._create()
        with self._connection(write=True):
            pass

    def _create(self) -> None:
        """Build the store in a temporary file and link it into place (never half a store)."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".new", dir=folder
            )
        except OSError as err:
            raise ValidationError(
                "store",
                f"{self.path}: cannot create it ({err.strerror or err}); give a store path you "
                "can write (store=..., %config Sinch.history)",
            ) from None
        os.close(handle)
        try:
            conn = sqlite3.connect(temporary, isolation_level=None)
            try:
                # Not linked into place until complete, so no transaction is needed here.
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(SCHEMA)
                meta = {
                    "format": FORMAT,
                    "created": format_time(datetime.now(timezone.utc)),
                    "created_by": f"sinch-notebook {__version__}",
                }
                conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except sqlite3.Error as err:
                raise ValidationError(
                    "store", f"{self.path}: cannot create it ({err}); give another store path"
                ) from None
            finally:
                conn.close()
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                pass  # another process created it first: theirs is as good as ours
            except OSError:  # a file system without hard links
                if not self.path.exists():
                    os.replace(temporary, self.path)
        finally:
            for leftover in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)

    def _writable(self) -> None:
        """Refuse to write, before anything is sent or opened, where the store cannot be
        written (SQLite also writes `-wal` and `-shm` files beside it)."""
        folder = self.path.parent
        for what, where in (("the file", self.path), ("its folder", folder)):
            if where.exists() and not os.access(where, os.W_OK):
                raise self._read_only(what)

    def _read_only(self, what: str = "the file or its folder") -> StoreReadOnly:
        return StoreReadOnly(
            f"the history store {self.path} is read-only ({what} cannot be written): its "
            "snapshots can be read, not added to; make it writable, or give another store "
            "(store=..., %config Sinch.history)"
        )

    def _damaged(self, what: str) -> StoreDamaged:
        return StoreDamaged(
            f"the history store {self.path} is damaged: {what}; "
            f"sn.open_store({str(self.path)!r}).check() lists what is damaged: restore the file "
            "from a backup, or give another store (store=...)"
        )

    def _uris(self, write: bool) -> list[str]:
        """How to open it: as usual; for reads where that fails (a read-only file or folder:
        SQLite cannot make its `-shm` file), read-only, then immutable."""
        plain = f"file:{pathname2url(str(self.path))}"
        if write:
            return [plain]
        read_only = [f"{plain}?mode=ro", f"{plain}?immutable=1"]
        writable = all(os.access(p, os.W_OK) for p in (self.path, self.path.parent))
        return [plain, *read_only] if writable else read_only

    def _open(self, write: bool) -> tuple[sqlite3.Connection, int]:
        """A connection and the schema version it reads, in the first mode that works."""
        uris = self._uris(write)
        for index, uri in enumerate(uris):
            try:
                conn = sqlite3.connect(
                    uri,
                    uri=True,
                    timeout=BUSY_SECONDS,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as err:
                raise ValidationError("store", f"{self.path} cannot be opened ({err})") from None
            try:
                return conn, conn.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.OperationalError as err:
                conn.close()
                if _busy(err) or index == len(uris) - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _connection(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A checked connection in autocommit mode (transactions are explicit)."""
        self.check_file()
        if write:
            self._writable()
        conn: sqlite3.Connection | None = None
        try:
            conn, version = self._open(write)
            self._check_version(version)
            if version < SCHEMA_VERSION:
                self._migrate(conn)
            # WAL with synchronous=NORMAL: no crash ever leaves a half snapshot or a damaged
            # file; after a power cut the latest snapshot may be missing (take it again), which
            # is worth not waiting for every page of a large snapshot to reach the disk twice.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        except sqlite3.OperationalError as err:
            if _busy(err):
                raise StoreBusy(
                    f"the history store {self.path} is busy: another process has been writing "
                    f"to it for more than {BUSY_SECONDS:.0f} s"
                ) from None
            if "readonly" in str(err) or "read-only" in str(err):
                raise self._read_only() from None
            raise ValidationError("store", f"{self.path} cannot be used ({err})") from None
        except sqlite3.DatabaseError as err:
            if type(err) is not sqlite3.DatabaseError:  # integrity or programming errors: bugs
                raise
            raise ValidationError(
                "store", f"{self.path} is damaged or unreadable ({err})"
            ) from None
        finally:
            if conn is not None:
                conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring an older store up to SCHEMA_VERSION, one registered step at a time."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # someone else may have
            while version < SCHEMA_VERSION:
                step = MIGRATIONS.get(version)
                if step is None:
                    raise self._refuse(f"has store schema {version}, which cannot be upgraded")
                step(conn)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it."""
        with self._connection(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection | None]:
        """A read transaction (one consistent view), or None when there is no store yet."""
        if not self.path.exists():
            yield None
            return
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _fetch(self, query: str, params: tuple = ()) -> list[Any]:
        """Every row of one query, in one read transaction ([] when there is no store yet)."""
        with self._read() as conn:
            return [] if conn is None else conn.execute(query, params).fetchall()

    # -- writing -----------------------------------------------------------------------------

    def add_snapshot(
        self,
        project: str,
        records: Iterable[Mapping[str, Any]],
        time: datetime,
        api_url: str | None = None,
    ) -> SnapshotInfo:
        """Store one listing of `project` (deleted subprojects included) taken at `time`.

        Only records that differ from the project's latest snapshot add a version; the rest
        are shared. The records are prepared before the write lock is taken.
        """
        stamp = format_time(time)
        if not self.path.exists():
            self._create()
        with paused_gc():  # everything made here is freed before the collector runs again
            rows = prepare_rows(records, project)
            total, deleted = len(rows), sum(row[5] for row in rows.values())
            with self._write() as conn:
                snapshot_id, previous, changed = self._write_rows(
                    conn, project, stamp, rows, deleted, api_url
                )
            del rows
        return SnapshotInfo(
            snapshot_id,
            project,
            parse_stored_time(stamp),
            total,
            deleted,
            changed,
            previous,
            api_url,
        )

    def _write_rows(
        self,
        conn: sqlite3.Connection,
        project: str,
        stamp: str,
        rows: dict[str, Row],
        deleted: int,
        api_url: str | None = None,
    ) -> tuple[int, int | None, int]:
        """Inside the write transaction: the snapshot row, and a version for each change."""
        pid = self._project_key(conn, project)
        previous, latest = conn.execute(
            "SELECT id, time FROM snapshots WHERE project = ? ORDER BY id DESC LIMIT 1", (pid,)
        ).fetchone() or (None, None)
        if latest is not None:
            try:
                _stored_time(latest)
            except _Unreadable as bad:
                raise self._damaged(f"snapshot {previous}: {bad}") from None
        if latest is not None and stamp < latest:
            raise SnapshotOutOfOrder(
                f"not stored: this listing of project {project} (at {stamp}) is older than "
                f"snapshot {previous} (at {latest}), stored meanwhile in {self.path}; "
                "snapshots are kept in the order of their listings: take it again"
            )
        snapshot_id = conn.execute(
            "INSERT INTO snapshots (project, time, subprojects, deleted, changed, previous, "
            "api_url) VALUES (?, ?, ?, ?, 0, ?, ?)",
            (pid, stamp, len(rows), deleted, previous, api_url),
        ).lastrowid
        unchanged: set[str] = set()
        ended: list[tuple[int, int]] = []
        vanished = 0  # current versions no longer listed at all
        current = conn.execute(
            f"SELECT subproject_id, {_CONTENT}, id FROM versions "
            "WHERE project = ? AND until IS NULL",
            (pid,),
        ).fetchall()
        for stored in current:
            row = rows.get(stored[0])
            if row is not None and stored[:7] == row:
                unchanged.add(row[0])
                continue
            ended.append((snapshot_id, stored[7]))
            vanished += row is None
        added = [(pid, snapshot_id, *row) for sid, row in rows.items() if sid not in unchanged]
        conn.executemany("UPDATE versions SET until = ? WHERE id = ?", ended)
        conn.executemany(
            "INSERT INTO versions (project, first, subproject_id, "
            f"{_CONTENT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            added,
        )
        changed = len(added) + vanished
        conn.execute("UPDATE snapshots SET changed = ? WHERE id = ?", (changed, snapshot_id))
        return snapshot_id, previous, changed

    @staticmethod
    def _project_key(conn: sqlite3.Connection, project: str) -> int:
        conn.execute("INSERT OR IGNORE INTO projects (project_id) VALUES (?)", (project,))
        return conn.execute("SELECT id FROM projects WHERE project_id = ?", (project,)).fetchone()[
            0
        ]

    # -- reading -----------------------------------------------------------------------------

    def _infos(self, rows: Iterable[tuple]) -> list[SnapshotInfo]:
        try:
            return [_info(row) for row in rows]
        except _Unreadable as bad:
            raise self._damaged(str(bad)) from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Stored records decoded inside are checked: damage is one `StoreDamaged` naming this
        file and what to do, never a JSONDecodeError from deep inside a diff."""
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

    def snapshot_info(self, snapshot_id: int) -> SnapshotInfo | None:
        with self._read() as conn:
            if conn is None:
                return None
            row = conn.execute(
                f"SELECT {_INFO} FROM snapshots s JOIN projects p ON p.id = s.project "
                "WHERE s.id = ?",
                (snapshot_id,),
            ).fetchone()
        return None if row is None else self._infos([row])[0]

    def rows(self, snapshot_id: int) -> dict[str, Row]:
        """Every record of a snapshot in stored form, by subprojectId (id order)."""
        found = self._fetch(
            f"SELECT v.subproject_id, {_V_CONTENT} FROM versions v "
            "JOIN snapshots s ON s.id = ? AND v.project = s.project "
            "WHERE v.first <= s.id AND coalesce(v.until, ?) > s.id",
            (snapshot_id, _FOREVER),
        )
        found.sort()  # id order, as the API lists them (faster here than ORDER BY in SQL)
        return {row[0]: row for row in found}

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
        for first, until, *row in found:
            for snapshot_id, side in ((a, in_a), (b, in_b)):
                if first <= snapshot_id < until:
                    side[row[0]] = tuple(row)
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

    def size(self) -> int:
        """Bytes the database occupies (page_count * page_size, committed writes included)."""
        with self._read() as conn:
            if conn is None:
                return 0
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            return pages * conn.execute("PRAGMA page_size").fetchone()[0]

    def check(self) -> list[str]:
        """Problems found by a full consistency check (an empty list: the store is sound)."""
        problems: list[str] = []
        with self._read() as conn:
            if conn is None:
                return problems
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems.extend(f"integrity: {line}" for line in integrity)
            for project, sid, count in conn.execute(
                "SELECT project, subproject_id, count(*) FROM versions WHERE until IS NULL "
                "GROUP BY project, subproject_id HAVING count(*) > 1"
            ):
                problems.append(f"project {project}: {sid} has {count} current versions")
            for snapshot_id, expected, held, distinct in conn.execute(
                "SELECT s.id, s.subprojects, count(v.id), count(DISTINCT v.subproject_id) "
                "FROM snapshots s LEFT JOIN versions v ON v.project = s.project "
                "AND v.first <= s.id AND coalesce(v.until, ?) > s.id GROUP BY s.id",
                (_FOREVER,),
            ):
                if not expected == held == distinct:
                    problems.append(
                        f"snapshot {snapshot_id}: {expected} subprojects recorded, {held} "
                        f"versions held ({distinct} distinct)"
                    )
            for snapshot_id, stamp in conn.execute("SELECT id, time FROM snapshots ORDER BY id"):
                try:
                    _stored_time(stamp)
                except _Unreadable as bad:
                    problems.append(f"snapshot {snapshot_id}: {bad}")
            for snapshot_id, earlier, stamp in conn.execute(
                "SELECT s.id, p.time, s.time FROM snapshots s "
                "JOIN snapshots p ON p.id = s.previous WHERE s.time < p.time"
            ):
                problems.append(
                    f"snapshot {snapshot_id} (at {stamp}) is older than the snapshot before it "
                    f"(at {earlier})"
                )
            for column, name in (("labels", "labels"), ("extra", "extra fields")):
                for text, sid, count in conn.execute(
                    f"SELECT {column}, min(subproject_id), count(*) FROM versions "
                    f"WHERE {column} IS NOT NULL GROUP BY {column}"
                ):
                    if not _readable_json(text, an_object=column == "extra"):
                        problems.append(
                            f"{count} versions (subproject {sid}, ...) have {name} that are not "
                            f"readable ({text!r:.60})"
                        )
            for (orphans,) in conn.execute(
                "SELECT count(*) FROM versions v LEFT JOIN snapshots s ON s.id = v.first "
                "WHERE s.id IS NULL"
            ):
                if orphans:
                    problems.append(f"{orphans} versions start in a snapshot that does not exist")
        return problems


def _info(row: tuple) -> SnapshotInfo:
    sid, project, stamp, total, deleted, changed, previous, api_url = row
    return SnapshotInfo(
        sid, project, _stored_time(stamp), total, deleted, changed, previous, api_url
    )


class _Unreadable(ValueError):
    """A stored value that cannot be read; the store names its file in the error it raises."""


def _stored_time(stamp: Any) -> datetime:
    try:
        return parse_stored_time(stamp)
    except (TypeError, ValueError):
        raise _Unreadable(f"a snapshot time is not readable ({stamp!r})") from None


def _busy(err: sqlite3.OperationalError) -> bool:
    return "locked" in str(err) or "busy" in str(err)


def _readable_json(text: Any, *, an_object: bool) -> bool:
    """Whether stored text is JSON (extra fields: a JSON object), as `rows.to_record` needs."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return False
    return isinstance(value, dict) or not an_object


def default_path() -> Path:
    """`store=None`: `%config Sinch.history`, else `SINCH_HISTORY`, else .sinch/history.sqlite."""
    from ..config import settings

    configured = (settings().history or "").strip()
    return Path(configured) if configured else DEFAULT_PATH


def open_store(store: HistoryStore | str | os.PathLike[str] | None = None) -> HistoryStore:
    """The store a `store=` argument names: a HistoryStore, a path, or None for the default.

    Nothing is created or written here; a file that exists must be a store this release reads.
    """
    if isinstance(store, HistoryStore):
        result = store
    elif store is None:
        result = HistoryStore(default_path())
    elif isinstance(store, (str, os.PathLike)):
        if not str(store).strip():
            raise ValidationError("store", "must be a path to a history file, got an empty one")
        result = HistoryStore(store)
    else:
        raise ValidationError(
            "store", f"must be a path or a HistoryStore, got {type(store).__name__}"
        )
    if result.path.exists():
        result.check_file()
    return result
