"""The apply journal: one JSON line per event, appended (and fsynced) the moment it happens.

A crash, a dropped kernel or Ctrl-C therefore never loses what was done, and `sn.resume(path)`
applies exactly the changes without an "ok" outcome. Records:

    {"type": "plan", "format": 1, "project_id": ..., "changes": [...], ...}   first line
    {"type": "start", "key": ..., "since": ...}       a create is about to be sent
    {"type": "outcome", "key": ..., "status": "ok" | "failed", ...}
    {"type": "resume", ...} / {"type": "end", "interrupted": ..., "counts": {...}}

A create with a "start" but no "ok" may have reached the server: resume looks for it (one
listing for all such creates) before sending it again. The journal holds names and labels, never
credentials or tokens.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from .errors import JournalError
from .plan import Change

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


class JournalWriter:
    """Appends records to a journal file; safe to call from many worker threads."""

    def __init__(self, path: str | os.PathLike[str], *, append: bool = False) -> None:
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
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as err:
            raise JournalError(f"cannot open the journal {self.path}: {err}") from None
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._closed = False

    def write(self, record: dict[str, Any]) -> None:
        """One line, flushed and fsynced before returning."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
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
        with self._lock:
            if not self._closed:
                self._closed = True
                self._file.close()


@dataclass
class JournalState:
    """What a journal says: the plan, and per change whether it is done."""

    path: Path
    header: dict[str, Any]
    changes: list[Change]
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> last outcome
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> its "ok" outcome
    started: dict[str, str] = field(default_factory=dict)  # create key -> earliest "since"
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
                change = _with_since(change, since)
            out.append(change)
        return out


def _with_since(change: Change, since: str) -> Change:
    from dataclasses import replace

    earlier = change.reconcile_since
    return replace(change, reconcile_since=min(since, earlier) if earlier else since)


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
        if record.get("type") == "start" and isinstance(record.get("since"), str):
            state.started.setdefault(key, record["since"])
        elif record.get("type") == "outcome":
            state.last[key] = record
            if record.get("status") == "ok":
                state.done.setdefault(key, record)
    return state
