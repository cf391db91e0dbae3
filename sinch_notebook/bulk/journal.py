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
import stat
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..models import parse_time, rfc3339
from .errors import JournalError, JournalInvalid, JournalLocked
from .journal_check import FORMAT, check_header, check_record, parse_lines
from .plan import Change

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from .plan import Plan
    from .result import Outcome

JOURNAL_DIR = ".sinch"


def _now() -> str:
    return rfc3339(datetime.now(timezone.utc)) or ""


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
            fd = open_no_symlink(self.path, os.O_RDWR | os.O_CREAT, "lock file")
            try:
                _plain_file(fd, self.path)
            except JournalError:
                os.close(fd)
                raise
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
                same = os.fstat(fd).st_ino == os.lstat(self.path).st_ino
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


NOT_FOLLOWED = "it is not followed, and what it points to is left alone"


def open_no_symlink(path: Path, flags: int, what: str = "journal") -> int:
    """`os.open` that never follows a symbolic link at `path` (one placed there is refused), so
    nothing the journal or its lock writes can land in a file it points to."""
    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o600)
    except OSError as err:
        if os.path.islink(path):
            raise JournalError(
                f"the {what} {path} is a symbolic link; remove it or give another path "
                f"({NOT_FOLLOWED})"
            ) from None
        raise JournalError(f"cannot open the {what} {path}: {err.strerror or err}") from None


def _plain_file(fd: int, path: Path) -> None:
    """The lock is written to, so it must be a plain file of its own (no device, no hard link
    to some other file)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        raise JournalError(
            f"the lock file {path} is not a plain file of its own; remove it "
            "(it was not written to)"
        )


def _own_file(fd: int, path: Path, what: str) -> None:
    """Checked after the open: a journal that is a hard link to another file is not appended
    to (a device such as /dev/full is allowed: writing to it fails on its own)."""
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        os.close(fd)
        raise JournalError(
            f"the {what} {path} is a hard link to another file; remove it or give another "
            "path (it was not written to)"
        )


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


def _ends_torn(fd: int) -> bool:
    """Whether the file's last line has no newline (it was being written when a crash hit)."""
    try:
        size = os.fstat(fd).st_size
        return size > 0 and os.pread(fd, 1, size - 1) != b"\n"
    except OSError:
        return False


class JournalWriter:
    """Appends records to a journal file, holding its lock; safe to call from many threads."""

    def __init__(
        self, path: str | os.PathLike[str], *, append: bool = False, what: str = "an apply"
    ) -> None:
        self.path = Path(path)
        if self.path.is_symlink():
            raise JournalError(
                f"the journal {self.path} is a symbolic link; remove it or give another path "
                f"({NOT_FOLLOWED})"
            )
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
        create = os.O_CREAT | os.O_EXCL if self.created else 0  # a new journal is ours alone
        try:
            fd = open_no_symlink(self.path, os.O_RDWR | os.O_APPEND | create)
            _own_file(fd, self.path, "journal")
        except JournalError:
            self._release()
            raise
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._closed = False
        if append and _ends_torn(fd):  # a crash tore the last line: keep it a line of its own
            self._file.write("\n")

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
    def allows_mass_delete(self) -> bool:
        """Whether the apply that wrote it was allowed to delete more than 10 at once."""
        return self.header.get("allow_mass_delete") is True

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


def _text_of(path: Path) -> str:
    if not os.path.lexists(path):
        raise ValidationError("journal_path", f"no such file: {path}")
    fd = open_no_symlink(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO there must not hang
    try:
        with os.fdopen(fd, "rb") as file:
            return file.read().decode("utf-8", errors="replace")
    except OSError as err:
        raise JournalError(f"cannot read the journal {path}: {err}") from None


def read_journal(path: str | os.PathLike[str]) -> JournalState:
    """Parse and check a journal as a whole (`journal_check`): a problem anywhere is a
    `JournalInvalid` naming the line; only a line torn by a crash is skipped."""
    path = Path(path)
    records, torn = parse_lines(path, _text_of(path))
    if not records or records[0][0] != 1:
        raise JournalInvalid(path, 1, "not a sinch-notebook journal (no plan on line 1)")
    header = records[0][1]
    changes = check_header(path, header)
    keys = {change.key for change in changes}
    state = JournalState(path, header, changes, unreadable=torn)
    for number, record in records[1:]:
        check_record(path, number, record, keys)
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
