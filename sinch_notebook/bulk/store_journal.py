"""A team's journals and applied plans in its PostgreSQL history store (`SINCH_JOURNAL=store`).

With `SINCH_JOURNAL=store` and a PostgreSQL history store (`SINCH_HISTORY=postgresql://...`,
`%config Sinch.history` or the profile's), an apply's journal is kept in the store instead of a
file beside the notebook, under a name `store:journal-<time>-<random>` (or, for a saved plan,
`store:plan-<digest>`), so:

- `sn.resume("store:journal-...")` continues it from any machine that reaches the store;
- a saved plan is claimed in the store by the digest of its file's bytes (a unique key): the
  same plan file, wherever it was copied, is applied once for the whole team;
- `applied_plans` (bulk/applied.py) lists who applied which plan, when, with the counts.

Each record is one autocommitted INSERT (durable before the next request, as a journal file's
fsync), read back in order as the same JSON lines a file holds, so `read_journal` checks both
alike. One writer per journal, across machines: a session advisory lock on the journal's name,
released by the server when the writer's connection ends (its process died).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import secrets
import socket
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..redact import redact
from .errors import JournalError, JournalLocked
from .journal_records import RecordKinds, now

if TYPE_CHECKING:
    from ..account_history.store_postgres import PostgresStore

ENV_JOURNAL = "SINCH_JOURNAL"
PREFIX = "store:"
JOURNAL_LOCK_SPACE = 0x534E6A6C  # the advisory locks of journals ("SNjl")


def in_store() -> bool:
    """Whether journals go to the history store (`SINCH_JOURNAL=store`; default: files)."""
    from ..config import env

    value = (env(ENV_JOURNAL) or "file").strip().lower()
    if value not in ("file", "store"):
        raise ValidationError(ENV_JOURNAL, f"must be 'file' or 'store', got {value!r}")
    return value == "store"


def is_store_journal(path: Any) -> bool:
    return str(path).startswith(PREFIX)


def team_store() -> PostgresStore:
    """The history store the journals live in: it must be a PostgreSQL one."""
    from ..account_history.store import open_store

    store = open_store(None)
    if store.engine != "postgresql":
        raise ValidationError(
            ENV_JOURNAL,
            "'store' keeps journals in a PostgreSQL history store, but the history store is "
            f"{store.where}: set SINCH_HISTORY (or %config Sinch.history) to postgresql://...",
        )
    return store  # type: ignore[return-value]


def new_journal_name() -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(f"{PREFIX}journal-{stamp}-{secrets.token_hex(3)}")


def plan_journal_name(plan_file: Path) -> Path:
    """A saved plan's journal: named by the digest of the plan file's bytes."""
    return Path(f"{PREFIX}plan-{plan_digest(plan_file)[:24]}")


def plan_digest(plan_file: Path) -> str:
    return hashlib.sha256(Path(plan_file).read_bytes()).hexdigest()


def _name(path: Path) -> str:
    return str(path)[len(PREFIX) :]


class StoreJournalWriter(RecordKinds):
    """`journal.JournalWriter`'s interface, writing to the store (see the module docstring)."""

    def __init__(self, path: Path, *, append: bool = False, what: str = "an apply") -> None:
        self.path = Path(path)
        self.store = team_store()
        self._lock = threading.Lock()
        self._closed = False
        self._session = self.store.session()
        self._conn = self._session.__enter__()
        try:
            locked = self._conn.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                (JOURNAL_LOCK_SPACE, _name(self.path)),
            ).fetchone()[0]
            if not locked:
                raise JournalLocked(
                    f"the journal {self.path} is in use by another apply or resume (on this or "
                    f"another machine); {what} waits for it to finish"
                )
            held = self._count()
            if not append and held:
                raise ValidationError(
                    "journal",
                    f"{self.path} already exists; continue it with sn.resume({str(self.path)!r}) "
                    "or give a new path",
                )
            self.created = held == 0
        except BaseException:
            self._end()
            raise

    def _count(self) -> int:
        return self._conn.execute(
            "SELECT count(*) FROM journal_records WHERE journal = %s", (_name(self.path),)
        ).fetchone()[0]

    def _end(self) -> None:
        with contextlib.suppress(Exception):
            self._session.__exit__(None, None, None)  # closing ends the lock too

    def write(self, record: dict[str, Any]) -> None:
        """One record, committed before returning."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        with self._lock:
            if self._closed:
                raise JournalError(f"the journal {self.path} is closed")
            try:
                self._conn.execute(
                    "INSERT INTO journal_records (journal, record) VALUES (%s, %s)",
                    (_name(self.path), line),
                )
            except Exception as err:
                why = (str(err).splitlines() or [type(err).__name__])[0]
                raise JournalError(f"cannot write the journal {self.path}: {redact(why)}") from None

    def close(self) -> None:
        """End the journal in the store, once (closing again does nothing)."""
        with self._lock:
            closing, self._closed = not self._closed, True
        if closing:
            self._end()

    def discard(self) -> None:
        """Close, and remove its records if this writer began the journal (nothing applied)."""
        if self.created and not self._closed:
            with contextlib.suppress(Exception):
                self._conn.execute(
                    "DELETE FROM journal_records WHERE journal = %s", (_name(self.path),)
                )
        self.close()


def journal_text(path: Path) -> str:
    """A store journal as the JSON lines a file journal holds."""
    with team_store().session() as conn:
        found = conn.execute(
            "SELECT record FROM journal_records WHERE journal = %s ORDER BY seq",
            (_name(Path(path)),),
        ).fetchall()
    if not found:
        raise ValidationError("journal_path", f"no such journal in the history store: {path}")
    return "".join(record + "\n" for (record,) in found)


def journal_exists(path: Path) -> bool:
    with team_store().session() as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM journal_records WHERE journal = %s LIMIT 1", (_name(path),)
            ).fetchone()
        ) or bool(
            conn.execute("SELECT 1 FROM applied_plans WHERE journal = %s", (str(path),)).fetchone()
        )


def claim(plan_file: Path, journal: Path, project_id: str | None) -> bool:
    """Claim a saved plan for this apply (False: someone, somewhere, claimed it before)."""
    with team_store().session() as conn:
        row = conn.execute(
            "INSERT INTO applied_plans (plan_key, plan_name, journal, project_id, applied_by, "
            "host, applied_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (plan_key) DO NOTHING RETURNING plan_key",
            (
                plan_digest(plan_file),
                Path(plan_file).name,
                str(journal),
                project_id,
                _user(),
                socket.gethostname(),
                now(),
            ),
        ).fetchone()
    return row is not None


def release(plan_file: Path, journal: Path) -> None:
    """Undo a claim whose apply sent nothing (its journal is empty): it may be applied again."""
    with team_store().session() as conn:
        conn.execute(
            "DELETE FROM applied_plans WHERE plan_key = %s AND journal = %s AND NOT EXISTS "
            "(SELECT 1 FROM journal_records WHERE journal = %s)",
            (plan_digest(plan_file), str(journal), _name(journal)),
        )


def _user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return os.environ.get("USER", "unknown")
