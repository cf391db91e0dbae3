"""The embedded history store: one SQLite file (the default), and how a store is chosen.

Schema version 3 (`PRAGMA user_version`; `PRAGMA application_id` marks the file as ours):

    meta(key, value)          what the file is, which release made it and when
    projects(id, project_id)  the parent projects snapshotted into it
    snapshots(id, project, time, subprojects, deleted, changed, previous, api_url, tag)
    versions(id, project, subproject_id, first, until,
             display_name, labels, create_time, update_time, deleted, extra)

What the tables mean, and the queries, are the interface's (`store_base.py`); this engine keeps
them in one file. Each snapshot records the API URL it was listed from (schema 2; NULL for older
snapshots), so a snapshot of a sandbox is never taken for one of the real project with the same
id. A snapshot may carry a tag (schema 3): "sync" marks the one a desired-state sync took after
applying, so the next diff can tell what changed on the server since then from what the file
plans. No credential or token is ever written: the store holds subproject data, project ids and
API URLs only.

Safety:
- a new store is built in a temporary file beside the target and linked into place, so a path is
  either absent or a complete store, even when two processes create it at once;
- an existing file is checked before anything is written to it: a file that is not a store (not
  SQLite, another application's database, or a newer schema) is refused and left untouched;
- each snapshot is one `BEGIN IMMEDIATE` transaction in WAL mode with a busy timeout, so
  concurrent writers take turns, readers are never blocked, and a crash leaves no half snapshot.
  The listing happens before the transaction, so a slow listing never holds the lock.
  (WAL does not work over network file systems: a team shares a PostgreSQL store instead.)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from .._version import __version__
from ..errors import ValidationError
from ..local_files import FileRefused, open_regular
from .store_base import (
    FORMAT,
    SNAPSHOT_COUNTS,
    VERSION_CONTENT,
    HistoryStore,
    SnapshotInfo,
    SnapshotOutOfOrder,
    StoreBusy,
    StoreDamaged,
    StoreReadOnly,
    StoreUnreachable,
    VersionInfo,
    format_time,
    newer_schema,
    parse_stored_time,
    refuse,
)

__all__ = [
    "DEFAULT_PATH",
    "HistoryStore",
    "SQLiteStore",
    "SnapshotInfo",
    "SnapshotOutOfOrder",
    "StoreBusy",
    "StoreDamaged",
    "StoreReadOnly",
    "StoreUnreachable",
    "VersionInfo",
    "default_location",
    "engine_for",
    "format_time",
    "open_store",
    "parse_stored_time",
]

APPLICATION_ID = int.from_bytes(b"SNhs", "big")  # PRAGMA application_id of every store
SCHEMA_VERSION = 3
BUSY_SECONDS = 60.0  # how long a writer waits for another one before giving up
DEFAULT_PATH = Path(".sinch") / "history.sqlite"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _add_api_url(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: snapshots record the API URL they were listed from (NULL: unknown)."""
    conn.execute("ALTER TABLE snapshots ADD COLUMN api_url TEXT")


def _add_tag(conn: sqlite3.Connection) -> None:
    """Schema 2 -> 3: a snapshot may carry a tag ("sync": taken by a desired-state sync)."""
    conn.execute("ALTER TABLE snapshots ADD COLUMN tag TEXT")


# Upgrades of older stores: MIGRATIONS[n] turns schema n into n + 1, inside one write
# transaction.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _add_api_url, 2: _add_tag}

SCHEMA = (
    """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE projects (id INTEGER PRIMARY KEY, project_id TEXT NOT NULL UNIQUE);
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project INTEGER NOT NULL REFERENCES projects(id),
"""
    + SNAPSHOT_COUNTS
    + """    previous INTEGER REFERENCES snapshots(id),
    api_url TEXT,
    tag TEXT
);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    project INTEGER NOT NULL REFERENCES projects(id),
    subproject_id TEXT NOT NULL,
    first INTEGER NOT NULL REFERENCES snapshots(id),
    until INTEGER REFERENCES snapshots(id),
"""
    + VERSION_CONTENT
)


class SQLiteStore(HistoryStore):
    """One history file (WAL mode); every operation opens its own short connection."""

    engine = "sqlite"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()

    @property
    def where(self) -> str:
        return str(self.path)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    # -- opening ---------------------------------------------------------------------------

    def _refuse(self, reason: str) -> ValidationError:
        return refuse(str(self.path), reason)

    def check_file(self) -> None:
        """Refuse, without writing a byte, a file that is not a store this release can read
        (a file that does not exist yet is fine: it is created by the first snapshot)."""
        if not self.path.exists():
            return
        try:
            fd = open_regular(self.path, None)  # a FIFO put there never blocks: it is refused
        except FileRefused as refused:
            if refused.reason.startswith(("is ", "does not")):
                raise self._refuse(f"{refused.reason} (give a history store: store=...)") from None
            raise ValidationError("store", f"{self.path} {refused.reason}") from None
        try:
            head = os.read(fd, 100)
        except OSError as err:
            raise ValidationError(
                "store", f"{self.path} cannot be read ({err.strerror or err})"
            ) from None
        finally:
            os.close(fd)
        if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
            raise self._refuse("is not a history store (not a SQLite database)")
        if int.from_bytes(head[68:72], "big") != APPLICATION_ID:
            raise self._refuse(
                "is another application's SQLite database, not a sinch-notebook history store"
            )
        self._check_version(int.from_bytes(head[60:64], "big"))

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise newer_schema(str(self.path), version, SCHEMA_VERSION)
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
    def _write(self, project: str = "") -> Iterator[sqlite3.Connection]:
        """One write transaction (`BEGIN IMMEDIATE`: the one writer lock of the file, so every
        project's snapshots are in listing order): all of it is committed, or none of it."""
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

    def _end_versions(self, conn: Any, snapshot_id: int, ids: list[int]) -> None:
        conn.executemany(
            "UPDATE versions SET until = ? WHERE id = ?", [(snapshot_id, i) for i in ids]
        )

    def _add_versions(self, conn: Any, rows: list[tuple]) -> None:
        conn.executemany(
            "INSERT INTO versions (project, first, subproject_id, display_name, labels, "
            "create_time, update_time, deleted, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def _integrity(self, conn: Any) -> list[str]:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        return [] if integrity == ["ok"] else [f"integrity: {line}" for line in integrity]

    def size(self) -> int:
        """Bytes the database occupies (page_count * page_size, committed writes included)."""
        with self._read() as conn:
            if conn is None:
                return 0
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            return pages * conn.execute("PRAGMA page_size").fetchone()[0]


def _busy(err: sqlite3.OperationalError) -> bool:
    return "locked" in str(err) or "busy" in str(err)


def is_postgres_url(location: object) -> bool:
    """Whether a store location names a PostgreSQL database (else it is a SQLite file)."""
    return isinstance(location, str) and location.strip().lower().startswith(POSTGRES_SCHEMES)


def engine_for(location: Any) -> type[HistoryStore]:
    """The engine a location selects: a `postgresql://` URL, or a path (SQLite)."""
    if is_postgres_url(location):
        from .store_postgres import PostgresStore

        return PostgresStore
    return SQLiteStore


def default_location(profile: str | None = None) -> str | Path:
    """`store=None`: `%config Sinch.history` (default: `SINCH_HISTORY`), else the `history`
    field of the profile in use (`profile`, else `SINCH_PROFILE` or the default one), else
    .sinch/history.sqlite under the working directory."""
    from ..config import profile_history, settings

    configured = (settings().history or "").strip()
    if configured:
        return configured
    return profile_history(profile) or DEFAULT_PATH


def default_path() -> Path:
    """The default store's path (a SQLite store; a PostgreSQL URL is not a path)."""
    location = default_location()
    if is_postgres_url(location):
        raise ValidationError("store", "the default history store is a PostgreSQL database")
    return Path(location)


def open_store(store: HistoryStore | str | os.PathLike[str] | None = None) -> HistoryStore:
    """The store a `store=` argument names: a HistoryStore, a `postgresql://` URL, a path, or
    None for the default (`default_location`).

    Nothing is created or written here (no server is contacted); a file that exists must be a
    store this release reads.
    """
    if isinstance(store, HistoryStore):
        result = store
    elif store is None:
        location = default_location()
        result = engine_for(location)(location)  # type: ignore[call-arg]
    elif isinstance(store, (str, os.PathLike)):
        if not str(store).strip():
            raise ValidationError(
                "store", "must be a path to a history file or a postgresql:// URL, got an empty one"
            )
        result = engine_for(store)(store)  # type: ignore[call-arg]
    else:
        raise ValidationError(
            "store",
            f"must be a path, a postgresql:// URL or a HistoryStore, got {type(store).__name__}",
        )
    result.check_file()
    return result
