"""The apply journal: one JSON line per event, appended (and fsynced) the moment it happens.

A crash, a dropped kernel or Ctrl-C therefore never loses what was done, and `sn.resume(path)`
applies exactly the changes without an "ok" outcome. Records:

    {"type": "plan", "format": 1, "project_id": ..., "changes": [...], ...}   first line
    {"type": "start", "key": ..., "since": ...}       a create is about to be sent
    {"type": "unknown", "key": ..., "reason": ...}    a create's outcome is unknown for now
    {"type": "outcome", "key": ..., "status": "ok" | "failed" | "unknown" | "conflict", ...}
    {"type": "twin", "key": ..., "subproject_id": ...}  a late commit's duplicate, deleted
    {"type": "resume", ...} / {"type": "end", "interrupted": ..., "counts": {...}}

A create with a "start" but no "ok" may have reached the server: resume looks for it (one
listing for all such creates, after the commit grace has passed) before sending it again. The
journal holds names and labels, never credentials or tokens.

One apply or resume per journal: a writer holds an exclusive lock (`<journal>.lock`, flock,
so it holds across processes and is released when the process dies); a second one fails at
once with `JournalLocked`, naming the process that holds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..models import parse_time
from .errors import JournalError, JournalLocked
from .plan import Change

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from .plan import Plan
    from .result import Outcome

FORMAT = 1
JOURNAL_DIR = ".sinch"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def default_journal_path() -> Path:
    """`.sinch/journal-<UTC time>-<random>.jsonl` under the working directory."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / JOURNAL_DIR / f"journal-{stamp}-{secrets.token_hex(3)}.jsonl"


class JournalLock:
    """An exclusive, cross-process lock on one journal, held by whoever applies it."""

    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(journal.name + ".lock")
        self._fd: int | None = None

    def acquire(self, what: str) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _lock(fd)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                raise JournalLocked(
                    f"the journal {self.path.with_suffix('').name} is being applied by {holder}; "
                    "wait until it has finished (one apply or resume per journal at a time)"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the holder removed the file between our open and our lock
                os.close(fd)
                continue
            info = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": _now(),
                "what": what,
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
            self._fd = fd
            return

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(fd)


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another apply"
    here = " (this process)" if info.get("pid") == os.getpid() else ""
    return (
        f"{info.get('what') or 'an apply'} in process {info['pid']}{here} on "
        f"{info.get('host', '?')} since {info.get('since', '?')}"
    )


class JournalWriter:
    """Appends records to a journal file, holding its lock; safe to call from many threads."""

    def __init__(
        self, path: str | os.PathLike[str], *, append: bool = False, what: str = "an apply"
    ) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValidationError("journal", f"{self.path} is a directory; give a file path")
        if not append and self.path.exists() and self.path.stat().st_size > 0:
            raise ValidationError(
                "journal",
                f"{self.path} already exists; continue it with sn.resume({str(self.path)!r}) "
                "or give a new path",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise JournalError(f"cannot open the journal {self.path}: {err}") from None
        self._lock_file = (
            JournalLock(self.path) if self.path.is_file() or not self.path.exists() else None
        )
        try:
            if self._lock_file is not None:
                self._lock_file.acquire(what)
        except OSError as err:
            raise JournalError(f"cannot lock the journal {self.path}: {err}") from None
        # Whether this writer made the file: only then may `discard` remove it (never /dev/full,
        # never a journal being continued). The lock makes the check and the open one step.
        self.created = not self.path.exists()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as err:
            self._release()
            raise JournalError(f"cannot open the journal {self.path}: {err}") from None
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._closed = False

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.release()

    def discard(self) -> None:
        """Close, and remove the file if this writer created it (nothing was applied)."""
        with contextlib.suppress(JournalError):
            self.close()
        if self.created and self.path.is_file():
            self.path.unlink(missing_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        """One line, flushed and fsynced before returning."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError as err:
            raise JournalError(
                f"cannot write the journal {self.path}: text that UTF-8 cannot encode ({err})"
            ) from None
        try:
            with self._lock:
                if self._closed:
                    raise JournalError(f"the journal {self.path} is closed")
                self._file.write(line + "\n")
                self._file.flush()
                fd = self._file.fileno()
            # outside the lock: one fsync covers every line written before it (group commit)
            os.fsync(fd)
        except OSError as err:
            raise JournalError(f"cannot write the journal {self.path}: {err}") from None

    def plan(self, plan: Plan, *, allow_mass_delete: bool) -> None:
        client = plan.client
        self.write(
            {
                "type": "plan",
                "format": FORMAT,
                "at": _now(),
                "project_id": client.project_id if client is not None else None,
                "api_url": client.endpoints.api_url if client is not None else None,
                "api_version": client.endpoints.api_version if client is not None else None,
                "origin": plan.origin,
                "allow_mass_delete": allow_mass_delete,
                "changes": [change.to_json() for change in plan.changes],
            }
        )

    def started(self, change: Change, since: str) -> None:
        self.write({"type": "start", "key": change.key, "since": since, "at": _now()})

    def unknown(self, change: Change, reason: str) -> None:
        self.write({"type": "unknown", "key": change.key, "reason": reason, "at": _now()})

    def twin(self, change: Change, subproject_id: str, deleted: bool) -> None:
        self.write(
            {
                "type": "twin",
                "key": change.key,
                "subproject_id": subproject_id,
                "deleted": deleted,
                "at": _now(),
            }
        )

    def outcome(self, outcome: Outcome) -> None:
        self.write(
            {
                "type": "outcome",
                "key": outcome.key,
                "status": outcome.status,
                "subproject_id": outcome.subproject_id,
                "update_time": outcome.update_time,
                "http_status": outcome.http_status,
                "error": outcome.error,
                "attempts": outcome.attempts,
                "unknown": outcome.unknown,
                "note": outcome.note,
                "since": outcome.since,
                "at": _now(),
            }
        )

    def note(self, kind: str, **fields: Any) -> None:
        self.write({"type": kind, "at": _now(), **fields})

    def close(self) -> None:
        """Close the file and release the lock; a failing close (a full disk) is a JournalError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._file.close()
            except OSError as err:
                raise JournalError(f"cannot write the journal {self.path}: {err}") from None
            finally:
                self._release()


@dataclass
class JournalState:
    """What a journal says: the plan, and per change whether it is done."""

    path: Path
    header: dict[str, Any]
    changes: list[Change]
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> last outcome
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> its "ok" outcome
    started: dict[str, str] = field(default_factory=dict)  # create key -> earliest "since"
    unknown_at: dict[str, float] = field(default_factory=dict)  # create key -> last send/unknown
    unreadable: int = 0  # torn or garbled lines, skipped

    @property
    def project_id(self) -> str | None:
        return self.header.get("project_id")

    @property
    def created_ids(self) -> set[str]:
        return {o["subproject_id"] for o in self.done.values() if o.get("subproject_id")}

    def pending(self) -> list[Change]:
        """Changes not done, in plan order; creates that may have happened get reconcile_since."""
        out = []
        for change in self.changes:
            if change.key in self.done:
                continue
            since = self.started.get(change.key) or (self.last.get(change.key) or {}).get("since")
            if change.op == "create" and since:
                change = _with_since(change, since, self.unknown_at.get(change.key))
            out.append(change)
        return out


def _with_since(change: Change, since: str, unknown_at: float | None) -> Change:
    from dataclasses import replace

    earlier = change.reconcile_since
    latest = max(filter(None, (unknown_at, change.unknown_at)), default=None)
    return replace(
        change,
        reconcile_since=min(since, earlier) if earlier else since,
        unknown_at=latest,
    )


def _epoch(value: Any) -> float | None:
    stamp = parse_time(value)
    return None if stamp is None else stamp.timestamp()


def _records(path: Path) -> tuple[list[dict[str, Any]], int]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ValidationError("journal_path", f"no such file: {path}") from None
    except OSError as err:
        raise JournalError(f"cannot read the journal {path}: {err}") from None
    records, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad += 1  # a line torn by a crash mid-write
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad += 1
    return records, bad


def read_journal(path: str | os.PathLike[str]) -> JournalState:
    """Parse a journal; tolerates a torn last line (the process died while writing it)."""
    path = Path(path)
    records, bad = _records(path)
    if not records or records[0].get("type") != "plan" or records[0].get("format") != FORMAT:
        raise ValidationError("journal_path", f"{path} is not a sinch-notebook journal")
    header = records[0]
    try:
        changes = [Change.from_json(c) for c in header.get("changes") or []]
    except (TypeError, ValueError) as err:
        raise ValidationError("journal_path", f"{path} has an unreadable plan: {err}") from None
    state = JournalState(path, header, changes, unreadable=bad)
    for record in records[1:]:
        key = record.get("key")
        if not isinstance(key, str):
            continue
        kind = record.get("type")
        if kind in ("start", "unknown") or record.get("status") == "unknown":
            at = _epoch(record.get("at"))
            if at is not None:
                state.unknown_at[key] = max(at, state.unknown_at.get(key, at))
        if kind == "start" and isinstance(record.get("since"), str):
            state.started.setdefault(key, record["since"])
        elif kind == "outcome":
            state.last[key] = record
            if record.get("status") == "ok":
                state.done.setdefault(key, record)
    return state
