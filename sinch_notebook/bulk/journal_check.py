"""A journal is checked as a whole before anything of it is sent.

A journal may have been edited by hand, copied from another machine or written by a newer
release. Each line is checked against what this release writes: the plan (line 1: format,
project, API URL, every change with a known operation, names and labels that pass the API's
rules) and every later record. The first problem is a `JournalInvalid` naming the line and the
reason, so every face's resume refuses the journal with nothing sent. The only line
allowed to be unreadable is one torn by a crash: the last line, or the line just before a
`resume` record (a resume after that crash).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..models import parse_time, validate_display_name, validate_labels
from .errors import JournalInvalid
from .plan import Change

FORMAT = 1  # the format this release writes; a higher one is from a newer release
OPS = ("create", "update", "delete")
STATUSES = ("ok", "failed", "unknown", "conflict", "skipped")
KEYED = ("start", "unknown", "outcome", "twin")  # records about one change of the plan


class _Bad(Exception):
    """A problem of one line, before the line number is known."""


def parse_lines(path: Path, text: str) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """(line number, record) for every readable line, and how many torn lines were skipped."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    records: list[tuple[int, dict[str, Any]]] = []
    torn = 0
    for index, (number, line) in enumerate(lines):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if isinstance(record, dict):
            records.append((number, record))
            continue
        following = _json_object(lines[index + 1][1]) if index + 1 < len(lines) else None
        last = index == len(lines) - 1
        if record is None and number > 1 and (last or _type(following) == "resume"):
            torn += 1  # a line torn by a crash mid-write
            continue
        what = "not a JSON object" if record is not None else "not readable JSON"
        raise JournalInvalid(path, number, what)
    return records, torn


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _type(record: dict[str, Any] | None) -> Any:
    return record.get("type") if record is not None else None


def check_header(path: Path, record: dict[str, Any]) -> list[Change]:
    """The plan line: this release's format, where it was written for, and its changes."""
    if record.get("type") != "plan" or "format" not in record:
        raise JournalInvalid(path, 1, "not a sinch-notebook journal (no plan on line 1)")
    version = record.get("format")
    if not _is_int(version) or version < 1:
        raise JournalInvalid(path, 1, f"format {version!r} is not a journal format")
    if version > FORMAT:
        raise JournalInvalid(
            path,
            1,
            f"written by a newer release (journal format {version}; this release reads "
            f"format {FORMAT}); resume it with that release",
        )
    try:
        _text(record, "project_id")
        _optional(record, "api_url", _is_text)
        _optional(record, "allow_mass_delete", lambda v: isinstance(v, bool))
        _optional(record, "allow_mass_update", lambda v: isinstance(v, bool))
        changes = record.get("changes")
        if not isinstance(changes, list):
            raise _Bad("changes: must be a list")
    except _Bad as bad:
        raise JournalInvalid(path, 1, str(bad)) from None
    checked: list[Change] = []
    keys: set[str] = set()
    for number, data in enumerate(changes, 1):
        try:
            change = _change(data)
            if change.key in keys:
                raise _Bad(f"key {change.key!r} is given twice")
        except _Bad as bad:
            raise JournalInvalid(path, 1, f"change {number}: {bad}") from None
        keys.add(change.key)
        checked.append(change)
    return checked


def check_record(path: Path, number: int, record: dict[str, Any], keys: set[str]) -> None:
    """A record after the plan: those about one change must name one of the plan's changes
    and hold what this release writes. Others (resume, end, notes) are informational."""
    kind = record.get("type")
    if not isinstance(kind, str):
        raise JournalInvalid(path, number, "a record without a type")
    if kind not in KEYED:
        return
    try:
        key = _text(record, "key")
        if key not in keys:
            raise _Bad(f"key {key!r} is not a change of the journal's plan")
        if kind == "start":
            _time(record, "since", required=True)
        elif kind == "outcome":
            status = record.get("status")
            if status not in STATUSES:
                raise _Bad(f"status {status!r} is not one of {', '.join(STATUSES)}")
            _optional(record, "subproject_id", _is_text)
            _time(record, "since")
        elif kind == "twin":
            _text(record, "subproject_id")
        _time(record, "at")
    except _Bad as bad:
        raise JournalInvalid(path, number, f"{kind} record: {bad}") from None


def _change(data: Any) -> Change:
    if not isinstance(data, Mapping):
        raise _Bad("not a JSON object")
    op = data.get("op")
    if op not in OPS:
        raise _Bad(f"unknown op {op!r} (this release knows {', '.join(OPS)})")
    key = _text(data, "key")
    where = f"{op} {key!r}"
    try:
        if op == "create":
            _optional(data, "subproject_id", lambda v: v is None)
            if data.get("send_name") is None:
                raise _Bad("a create without send_name")
        else:
            _text(data, "subproject_id")
        _optional(data, "display_name", lambda v: isinstance(v, str))
        if data.get("send_name") is not None:
            validate_display_name(data["send_name"], "send_name")
        if data.get("send_labels") is not None:
            validate_labels(data["send_labels"], "send_labels")
        if op == "update" and data.get("send_name") is None and data.get("send_labels") is None:
            raise _Bad("an update with nothing to send (no send_name, no send_labels)")
        _optional(data, "before_name", lambda v: isinstance(v, str))
        _optional(data, "before_labels", _is_labels)
        _fields(data.get("fields"))
        _time(data, "base_update_time")
        _time(data, "reconcile_since")
        _optional(data, "unknown_at", _is_finite)
        _optional(data, "conflict", lambda v: isinstance(v, str))
        _optional(data, "forced", lambda v: isinstance(v, bool))
        _optional(data, "overrides", _is_overrides)
    except ValidationError as err:
        raise _Bad(f"{where}: {err.message}") from None
    except _Bad as bad:
        raise _Bad(f"{where}: {bad}") from None
    return Change.from_json(data)


def _is_overrides(value: Any) -> bool:
    """The guard rails a change was allowed past (guards.py): a list of known names."""
    from ..guards import OVERRIDES

    return isinstance(value, list) and all(v in OVERRIDES for v in value)


def _fields(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise _Bad("fields: must be an object of [before, after] pairs")
    for name, pair in value.items():
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(v is None or isinstance(v, str) for v in pair)
        ):
            raise _Bad(f"fields: {name!r} must be a [before, after] pair of texts or nulls")


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not _is_text(value):
        raise _Bad(f"{name}: must be a non-empty text, got {value!r}")
    return value


def _optional(data: Mapping[str, Any], name: str, ok: Callable[[Any], bool]) -> None:
    value = data.get(name)
    if value is not None and not ok(value):
        raise _Bad(f"{name}: unexpected value {value!r}")


def _time(data: Mapping[str, Any], name: str, *, required: bool = False) -> None:
    value = data.get(name)
    if value is None and not required:
        return
    if parse_time(value) is None:
        raise _Bad(f"{name}: must be an RFC 3339 time, got {value!r}")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_labels(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )
