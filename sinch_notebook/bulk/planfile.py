"""The plan file: a reviewed plan as versioned, checksummed JSON, to review and apply elsewhere.

    {"format": "sinch-notebook plan", "version": 2,
     "made_at": "2026-12-03T09:00:00.000Z", "made_by": "ana",
     "project_id": ..., "api_url": ..., "api_version": ..., "origin": "frame",
     "server_size": 120, "live_size": 112, "unchanged": 40, "ignored_columns": [],
     "summary": {"create": 1, "update": 7, "delete": 2, "conflict": 0, "invalid": 1},
     "needs": {"allow_mass_delete": false, "allow_mass_update": false},
     "changes": [...], "conflicts": [...], "invalid": [...],
     "refused": [{"rule", "reason", "change"}...],   (only when the guard rails held any back)
     "checksum": "sha256:<hex of the canonical JSON of everything else>"}

One representation of each change, from which both the review and the request are derived
(so they cannot disagree): a create is its name and full label set; an update is the target
(`subproject_id`, the `updateTime` it was planned against, the name and labels it had
`before`) and what is wanted (`name`, `labels`: the full new set; null keeps it); a delete is
its target. A change the guard rails were explicitly overridden for names the override
(`"overrides": ["protected"]`), which every review shows. Loading rebuilds each Change with the
one builder (`change.change_toward`, `change.create_change`): the rows of the review and the
body sent come from the same values.
Nothing in the file changes what apply does without being in every review: a loaded plan is
always re-checked (the stale check, the last-moment check), whatever it was made with.

A reader refuses, before anything is shown, naming the file and the reason: a file that is
not a regular file of at most PLAN_FILE_LIMIT, not UTF-8 JSON, nested too deep, with a
duplicate key, an unknown key, a value of the wrong type or one the API's input rules refuse,
a subproject named twice, a summary or needs that disagree with its changes, a checksum that
does not match (edited by hand), or a version this release does not read.

The checksum is unkeyed SHA-256: it catches accidents (a hand edit, a merge, a truncated copy),
not an attacker, who can recompute it. What protects against a crafted file is that what is
shown is what is sent, and that the file is checked like any input.
The file never holds a credential or a token (nor the Key ID).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..config import API_VERSIONS, check_url
from ..errors import ValidationError
from ..guards import OVERRIDES, Refused
from ..local_files import PLAN_FILE_LIMIT, FileRefused, read_bytes
from ..models import (
    MAX_LABEL_LENGTH,
    MAX_LABELS,
    MAX_NAME_LENGTH,
    validate_display_name,
    validate_labels,
)
from ..shown import visible
from .change import Change, Invalid, change_toward, create_change, jsonable_row
from .errors import PlanFileRefused
from .plan import OPERATIONS, Plan, PlanSource

if TYPE_CHECKING:
    from ..client import SubprojectsClient

FORMAT = "sinch-notebook plan"
VERSION = 2
EDITED = (
    "its checksum does not match its content: it was changed after it was saved (edited by hand?)"
)
MAX_ID_LENGTH = 255
_TOP = {
    "format",
    "version",
    "made_at",
    "made_by",
    "project_id",
    "api_url",
    "api_version",
    "origin",
    "server_size",
    "live_size",
    "unchanged",
    "ignored_columns",
    "summary",
    "needs",
    "changes",
    "conflicts",
    "invalid",
    "checksum",
}
_CHANGE_KEYS = {
    "create": ({"op", "key", "row", "name", "labels"}, {"op", "key", "name", "labels"}),
    "update": (
        {"op", "row", "subproject_id", "base_update_time", "before", "name", "labels", "conflict"},
        {"op", "subproject_id", "base_update_time", "before", "name", "labels"},
    ),
    "delete": (
        {"op", "row", "subproject_id", "base_update_time", "before", "conflict"},
        {"op", "subproject_id", "base_update_time", "before"},
    ),
}
_INVALID_KEYS = {"reason", "row", "subproject_id", "display_name", "op"}
_REFUSED_KEYS = {"rule", "reason", "change"}
_REFUSED_RULES = ("protected", "policy", "unprotect")  # guards.rules: PROTECTED, POLICY, ...


def _user() -> str | None:
    """Who made the plan, when the system knows (never an error)."""
    try:
        return getpass.getuser() or None
    except Exception:
        return None


# -- writing ---------------------------------------------------------------------------------


def _change_json(change: Change) -> dict[str, Any]:
    """The one representation of a change (see the module docstring)."""
    row = jsonable_row(change.row)
    if change.op == "create":
        return _with_overrides(
            {
                "op": "create",
                "key": change.key,
                "row": row,
                "name": change.send_name,
                "labels": dict(change.send_labels or {}),
            },
            change,
        )
    data: dict[str, Any] = {
        "op": change.op,
        "row": row,
        "subproject_id": change.subproject_id,
        "base_update_time": change.base_update_time,
        "before": {"name": change.before_name, "labels": dict(change.before_labels or {})},
    }
    if change.op == "update":
        data["name"] = change.send_name
        data["labels"] = None if change.send_labels is None else dict(change.send_labels)
    if change.conflict is not None:
        data["conflict"] = change.conflict
    return _with_overrides(data, change)


def _with_overrides(data: dict[str, Any], change: Change) -> dict[str, Any]:
    if change.overrides:  # a guard rail explicitly overridden for it (guards.rules)
        data["overrides"] = list(change.overrides)
    return data


def _invalid_json(bad: Invalid) -> dict[str, Any]:
    return {
        "reason": bad.reason,
        "row": jsonable_row(bad.row),
        "subproject_id": bad.subproject_id,
        "display_name": bad.display_name,
        "op": bad.op,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    """The file's content as a dict, checksum included."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "made_at": plan.made_at,
        "made_by": plan.made_by or _user(),
        "project_id": plan.project_id,
        "api_url": plan.api_url,
        "api_version": plan.api_version,
        "origin": plan.origin,
        "server_size": plan.server_size,
        "live_size": plan.live_size,
        "unchanged": plan.unchanged,
        "ignored_columns": list(plan.ignored_columns),
        "summary": plan.summary(),
        "needs": {
            "allow_mass_delete": plan.needs_mass_delete_permission,
            "allow_mass_update": plan.needs_mass_update_permission,
        },
        "changes": [_change_json(change) for change in plan.changes],
        "conflicts": [_change_json(change) for change in plan.conflicts],
        "invalid": [_invalid_json(bad) for bad in plan.invalid],
    }
    if plan.refused:  # held back by the guard rails (guards.rules)
        body["refused"] = [
            {"rule": item.rule, "reason": item.reason, "change": _change_json(item.change)}
            for item in plan.refused
        ]
    body["checksum"] = checksum(body)
    return body


def checksum(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of all but the checksum.
    Unkeyed: it finds accidental edits, not deliberate ones (see the module docstring)."""
    content = {k: v for k, v in document.items() if k != "checksum"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_json(plan: Plan) -> str:
    """The document with one field per line and one change per line: readable, diffable line by
    line in a pull request, and written by json's C encoder (an indented dump is pure Python)."""
    document = plan_document(plan)
    lines = []
    for key, value in document.items():
        head = f"  {json.dumps(key)}: "
        if key in _ROWS and value:
            rows = ",\n".join(f"    {_compact(row)}" for row in value)
            lines.append(f"{head}[\n{rows}\n  ]")
        else:
            lines.append(head + _compact(value))
    return "{\n" + ",\n".join(lines) + "\n}\n"


_ROWS = ("changes", "conflicts", "invalid", "refused")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write the file atomically (a temporary file renamed over it), then remember it."""
    target = Path(path)
    if target.is_dir():
        raise PlanFileRefused(str(target), "is a directory; give a file path such as change.json")
    if plan.applied:
        raise PlanFileRefused(str(target), "this plan was already applied; plan again to save")
    text = plan_json(plan)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise PlanFileRefused(
            str(target), f"cannot be written ({err.strerror or err}); give a folder you can write"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    plan.file = target.resolve()
    return target


# -- reading ---------------------------------------------------------------------------------


class _Bad(Exception):
    """One thing wrong in the document: where (a JSON path) and what."""


def _fail(where: str, what: str) -> NoReturn:
    raise _Bad(f"{where}: {what}" if where else what)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _Bad(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return obj


def _no_constant(name: str) -> NoReturn:
    raise _Bad(f"{name} is not a JSON number")


def _parse(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Bad("not a plan file (not UTF-8 text)") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise _Bad("not a plan file (JSON nested deeper than Python can read)") from None
    except json.JSONDecodeError:
        raise _Bad("not a plan file (not JSON)") from None


def _object(value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(where, f"must be an object, got {_kind(value)}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        _fail(where, f"unknown key {unknown[0]!r} (this release reads {sorted(allowed)})")
    missing = sorted(required - set(value))
    if missing:
        _fail(where, f"the key {missing[0]!r} is missing")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(value: Any, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        _fail(where, f"must be text, got {_kind(value)}")
    return value


def _count(value: Any, where: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, f"must be a whole number of at least 0, got {value!r}"[:200])
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(where, f"must be a list, got {_kind(value)}")
    return value


def _row(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    _fail(where, f"must be text, a number or null, got {_kind(value)}")


def _ruled(check: Callable[..., Any], value: Any, where: str) -> Any:
    """`value` through one of the API's input rules (models.py), its refusal as one reason."""
    try:
        return check(value, where)
    except ValidationError as err:
        _fail("", err.message)


def _subproject_id(value: Any, where: str) -> str:
    text = _text(value, where)
    if not text or text != text.strip() or len(text) > MAX_ID_LENGTH:
        _fail(where, f"must be a subproject id (1..{MAX_ID_LENGTH} characters, no spaces around)")
    if not text.isprintable():
        _fail(where, "must be a subproject id (no control or invisible characters)")
    return text


# RFC 3339 as the API writes times (checked by pattern: parsing 10,000 of them is slow)
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)\Z", re.I)


def _time(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _RFC3339.match(value):
        _fail(where, f"must be an RFC 3339 time, got {value!r}"[:200])
    return value


def _labels(value: Any, where: str) -> dict[str, str]:
    """Labels by the API's rules (`validate_labels`); ASCII text of allowed lengths, the usual
    case, is recognised without a Python loop over the labels."""
    if not isinstance(value, dict):
        _fail(where, f"must be an object of labels, got {_kind(value)}")
    if len(value) <= MAX_LABELS and _text_map(value):
        keys, values = value.keys(), value.values()
        lengths = [*map(len, keys), *map(len, values)]
        ascii_text = ("".join(keys) + "".join(values)).isascii()
        fits = min(lengths, default=1) > 0 and max(lengths, default=0) <= MAX_LABEL_LENGTH
        if ascii_text and fits:
            return dict(value)
    return _ruled(validate_labels, value, where)


def _text_map(value: Any) -> bool:
    """Whether `value` is an object of text values (a JSON object's keys are always text)."""
    if not isinstance(value, dict):
        return False
    try:
        "".join(value.values())  # C-fast: a TypeError for any value that is not text
    except TypeError:
        return False
    return True


def _name(value: Any, where: str) -> str:
    """A display name by the API's rule (`validate_display_name`); short ASCII text, the usual
    case, needs no encoding check."""
    if type(value) is str and 0 < len(value) <= MAX_NAME_LENGTH and value.isascii():
        return value
    return _ruled(validate_display_name, value, where)


def _change(data: Any, where: str, *, conflict_list: bool) -> Change:
    """The Change a file's entry describes, built by the one builder (never read field by
    field), so the review and the request come from the same values. (Paths into the file
    are spelled out only for a refusal: a plan file may hold 100,000 changes.)"""
    op = data.get("op") if isinstance(data, dict) else None
    if op not in OPERATIONS:
        _fail(f"{where}.op", f"must be one of {list(OPERATIONS)}, got {op!r}"[:200])
    if conflict_list and op == "create":
        _fail(f"{where}.op", "a conflict is an update or a delete")
    allowed, required = _CHANGE_KEYS[op]
    allowed = allowed | {"overrides"}
    if conflict_list:
        required = required | {"conflict"}
    if not required <= data.keys() <= allowed:
        _object(data, where, allowed, required)
    row = data.get("row")
    if row is not None and not isinstance(row, (str, int, float)):
        _row(row, f"{where}.row")
    if op == "create":
        key = data["key"]
        if not isinstance(key, str) or not key.startswith("create:"):
            _fail(f"{where}.key", "must be text starting with 'create:'")
        name = _name(data["name"], f"{where}.name")
        labels = _labels(data["labels"], f"{where}.labels")
        created = create_change(row=row, key=key, name=name, labels=labels)
        return _overridden(created, data, where)
    sid = data["subproject_id"]
    if not (isinstance(sid, str) and 0 < len(sid) <= MAX_ID_LENGTH and sid.isprintable()):
        _subproject_id(sid, f"{where}.subproject_id")
    if sid != sid.strip():
        _subproject_id(sid, f"{where}.subproject_id")
    before = data["before"]
    if not isinstance(before, dict) or before.keys() != {"name", "labels"}:
        _object(before, f"{where}.before", {"name", "labels"}, {"name", "labels"})
    if not _text_map(before["labels"]):
        _fail(f"{where}.before.labels", "must be an object of text values")
    if not isinstance(before["name"], str):
        _text(before["name"], f"{where}.before.name")
    record = {
        "subprojectId": sid,
        "displayName": before["name"],
        "labels": before["labels"],
        "updateTime": _time(data["base_update_time"], f"{where}.base_update_time"),
    }
    conflict = data.get("conflict")
    if conflict is not None and not isinstance(conflict, str):
        _text(conflict, f"{where}.conflict")
    if op == "delete":
        change = change_toward(record, delete=True, row=row, conflict=conflict)
    else:
        name = data["name"]
        if name is not None:
            name = _name(name, f"{where}.name")
        labels = data["labels"]
        if labels is not None:
            labels = _labels(labels, f"{where}.labels")
        change = change_toward(record, name=name, labels=labels, row=row, conflict=conflict)
    if change is None:
        _fail(where, "changes nothing (its name and labels are those it had before)")
    return _overridden(change, data, where)


def _overridden(change: Change, data: dict[str, Any], where: str) -> Change:
    """The change with the overrides its entry names (each one every review shows)."""
    if "overrides" not in data:
        return change
    names = _list(data["overrides"], f"{where}.overrides")
    if not names or any(name not in OVERRIDES for name in names) or len(set(names)) < len(names):
        _fail(f"{where}.overrides", f"must name some of {list(OVERRIDES)} once each")
    return replace(change, overrides=tuple(names))


def _refused(data: Any, where: str) -> Refused:
    _object(data, where, _REFUSED_KEYS, _REFUSED_KEYS)
    if data["rule"] not in _REFUSED_RULES:
        _fail(f"{where}.rule", f"must be one of {list(_REFUSED_RULES)}")
    change = _change(data["change"], f"{where}.change", conflict_list=False)
    return Refused(change, data["rule"], _text(data["reason"], f"{where}.reason"))


def _invalid(data: Any, where: str) -> Invalid:
    _object(data, where, _INVALID_KEYS, {"reason"})
    op = data.get("op")
    if op is not None and op not in OPERATIONS:
        _fail(f"{where}.op", f"must be one of {list(OPERATIONS)} or null")
    return Invalid(
        reason=_text(data["reason"], f"{where}.reason"),
        row=_row(data.get("row"), f"{where}.row"),
        subproject_id=_text(data.get("subproject_id"), f"{where}.subproject_id", optional=True),
        display_name=_text(data.get("display_name"), f"{where}.display_name", optional=True),
        op=op,
    )


def _header(data: Any, edited_ok: bool = False) -> dict[str, Any]:
    """The format and version, before anything else is read (a newer file is named as such)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        _fail("", f'not a plan file (no "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        _fail("", f"not a plan file (version {version!r})"[:200])
    if version > VERSION:
        _fail(
            "",
            f"written in plan format version {version}, newer than this sinch-notebook reads "
            f"(up to {VERSION}); upgrade sinch-notebook to review or apply it",
        )
    if version < VERSION:
        _fail(
            "",
            f"written in plan format version {version} by an older sinch-notebook, which this "
            "release does not apply (it could not be checked); make the plan again from the "
            "edited frame and save it",
        )
    if data.get("checksum") != checksum(data) and not edited_ok:
        _fail("", f"{EDITED}; only the plan that was reviewed can be applied")
    return _object(data, "", _TOP | {"refused"}, _TOP)


def _checked_plan(document: dict[str, Any]) -> Plan:
    changes = [
        _change(c, f"changes[{i}]", conflict_list=False)
        for i, c in enumerate(_list(document["changes"], "changes"))
    ]
    conflicts = [
        _change(c, f"conflicts[{i}]", conflict_list=True)
        for i, c in enumerate(_list(document["conflicts"], "conflicts"))
    ]
    invalid = [
        _invalid(bad, f"invalid[{i}]")
        for i, bad in enumerate(_list(document["invalid"], "invalid"))
    ]
    refused = [
        _refused(item, f"refused[{i}]")
        for i, item in enumerate(_list(document.get("refused", []), "refused"))
    ]
    seen: dict[str, str] = {}
    held = [item.change for item in refused]
    for kind, listed in (("changes", changes), ("conflicts", conflicts), ("refused", held)):
        for i, change in enumerate(listed):
            key = change.key if change.op == "create" else change.subproject_id or ""
            if key in seen:
                _fail(f"{kind}[{i}]", f"{key} is already in {seen[key]}: one change each")
            seen[key] = f"{kind}[{i}]"
    columns = [
        _text(c, f"ignored_columns[{i}]")
        for i, c in enumerate(_list(document["ignored_columns"], "ignored_columns"))
    ]
    plan = Plan(
        None,
        changes,
        conflicts=conflicts,
        invalid=invalid,
        unchanged=_count(document["unchanged"], "unchanged"),
        ignored_columns=columns,
        origin=_text(document["origin"], "origin"),
        server_size=_count(document["server_size"], "server_size", optional=True),
        live_size=_count(document["live_size"], "live_size", optional=True),
        refused=refused,
    )
    if document["summary"] != plan.summary():
        _fail("summary", f"says {document['summary']!r}, but its changes are {plan.summary()}")
    needs = {
        "allow_mass_delete": plan.needs_mass_delete_permission,
        "allow_mass_update": plan.needs_mass_update_permission,
    }
    if document["needs"] != needs:
        _fail("needs", f"says {document['needs']!r}, but its changes need {needs}"[:300])
    project_id = _text(document["project_id"], "project_id")
    api_url = _ruled(check_url, _text(document["api_url"], "api_url"), "api_url")
    version = document["api_version"]
    if version not in API_VERSIONS:
        _fail("api_version", f"must be one of {list(API_VERSIONS)}, got {version!r}"[:200])
    made_at = _time(document["made_at"], "made_at")
    made_by = _text(document["made_by"], "made_by", optional=True)
    plan.source = PlanSource(project_id, api_url, version, made_at, made_by)
    return plan


def _read(path: Path, edited_ok: bool = False) -> Plan:
    """The checked plan; with `edited_ok`, one whose checksum does not match is read too (every
    other check still holds), marked `edited`: shown as the file says, never applied."""
    where = str(path)
    try:
        data = read_bytes(path, PLAN_FILE_LIMIT)
    except FileRefused as refused:
        reason = "no such file" if refused.reason == "does not exist" else refused.reason
        raise PlanFileRefused(where, reason) from None
    try:
        document = _header(_parse(data), edited_ok)
        plan = _checked_plan(document)
        plan.edited = document["checksum"] != checksum(document)
        return plan
    except _Bad as bad:
        raise PlanFileRefused(where, str(bad)) from None
    except ValidationError as err:  # a rule of Plan itself (distinct keys)
        raise PlanFileRefused(where, err.message) from None


def load_plan(path: str | os.PathLike[str], client: SubprojectsClient | None = None) -> Plan:
    """The plan saved in `path`, reviewing exactly like the original.

    On `client`, which must be to the project and API URL the plan was made for; with none it
    can be reviewed but not applied.
    """
    plan = read_plan(path)
    if client is not None:
        bind(plan, client)
    return plan


def read_plan(path: str | os.PathLike[str], *, edited_ok: bool = False) -> Plan:
    """The plan saved in `path`, on no connection (to review it anywhere): every part checked
    before anything is shown (see the module docstring). With `edited_ok`, a file changed after
    it was saved is read too, as a plan marked `edited` that never applies (a reviewer sees
    what was changed)."""
    source = Path(path)
    plan = _read(source, edited_ok)
    plan.file = source.resolve()
    plan.loaded = True
    return plan


def heading(plan: Plan) -> str:
    """Where a plan file comes from: the file, the project and API URL, when and by whom."""
    by = f" by {plan.made_by}" if plan.made_by else ""
    text = visible(
        f"Plan file {plan.file}: project {plan.project_id} at {plan.api_url}, "
        f"made {plan.made_at}{by}."
    )
    if plan.edited:
        text += (
            f"\nEDITED: {EDITED}; shown as the file says, it cannot be applied (only the plan "
            "that was reviewed can be)."
        )
    return text


def bind(plan: Plan, client: SubprojectsClient) -> None:
    """Put a loaded plan on `client`, refused when it is another project or API URL."""
    project, url = client.project_id, client.endpoints.api_url
    if (plan.project_id, _same_url(plan.api_url)) != (project, _same_url(url)):
        raise PlanFileRefused(
            str(plan.file or "the plan"),
            f"was made for project {plan.project_id!r} at {plan.api_url}, but the connection "
            f"is to project {project!r} at {url}",
        )
    plan.client = client


def _same_url(url: str | None) -> str | None:
    return url.rstrip("/") if url else url
