"""The plan file: a reviewed plan as versioned, checksummed JSON, to review and apply elsewhere.

    {"format": "sinch-notebook plan", "version": 1,
     "made_at": "2026-12-03T09:00:00.000Z", "made_by": "ana",
     "project_id": ..., "api_url": ..., "api_version": ..., "origin": "frame",
     "server_size": 120, "live_size": 112, "unchanged": 40, "ignored_columns": [],
     "summary": {"create": 1, "update": 7, "delete": 2, "conflict": 0, "invalid": 1},
     "needs": {"allow_mass_delete": false, "allow_mass_update": false},
     "changes": [Change...], "conflicts": [Change...], "invalid": [Invalid...],
     "checksum": "sha256:<hex of the canonical JSON of everything else>"}

Each change is exactly what was reviewed: its operation, subproject id, fields with before and
after, what is sent, the server's name and labels and the `updateTime` it was planned against.
The file never holds a credential or a token (nor the Key ID): only the project and API URL it
was made for. A reader refuses a file whose checksum does not match (edited by hand), of a newer
version, or that is not a plan file, naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .change import Change, Invalid, jsonable_row
from .errors import PlanFileRefused
from .plan import Plan

if TYPE_CHECKING:
    from ..client import SubprojectsClient

FORMAT = "sinch-notebook plan"
VERSION = 1


def _user() -> str | None:
    """Who made the plan, when the system knows (never an error)."""
    try:
        return getpass.getuser() or None
    except Exception:
        return None


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
        "changes": [change.to_json() for change in plan.changes],
        "conflicts": [change.to_json() for change in plan.conflicts],
        "invalid": [_invalid_json(bad) for bad in plan.invalid],
    }
    body["checksum"] = checksum(body)
    return body


def checksum(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of all but the checksum."""
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


_ROWS = ("changes", "conflicts", "invalid")


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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
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


def _read(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileRefused(where, "no such file") from None
    except IsADirectoryError:
        raise PlanFileRefused(where, "is a directory, not a plan file") from None
    except UnicodeDecodeError:
        raise PlanFileRefused(where, "not a plan file (not UTF-8 text)") from None
    except ValueError:  # a NUL character: no file can have that name
        raise PlanFileRefused(repr(where), "not a file name (it holds a NUL character)") from None
    except OSError as err:
        raise PlanFileRefused(where, f"cannot be read: {err.strerror or err}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise PlanFileRefused(where, "not a plan file (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PlanFileRefused(where, f'not a plan file (no "format": "{FORMAT}")')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PlanFileRefused(where, f"not a plan file (version {version!r})")
    if version > VERSION:
        raise PlanFileRefused(
            where,
            f"written in plan format version {version}, newer than this sinch-notebook reads "
            f"(up to {VERSION}); upgrade sinch-notebook to review or apply it",
        )
    if document.get("checksum") != checksum(document):
        raise PlanFileRefused(
            where,
            "its checksum does not match its content: it was changed after it was saved "
            "(edited by hand?); only the plan that was reviewed can be applied",
        )
    return document


def load_plan(path: str | os.PathLike[str], client: SubprojectsClient | None = None) -> Plan:
    """The plan saved in `path`, reviewing exactly like the original.

    On `client`, which must be to the project and API URL the plan was made for; with none it
    can be reviewed but not applied.
    """
    plan = read_plan(path)
    if client is not None:
        bind(plan, client)
    return plan


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """The plan saved in `path`, on no connection (to review it anywhere)."""
    source = Path(path)
    document = _read(source)
    try:
        changes = [Change.from_json(c) for c in document.get("changes") or []]
        conflicts = [Change.from_json(c) for c in document.get("conflicts") or []]
        invalid = [Invalid(**bad) for bad in document.get("invalid") or []]
        plan = Plan(
            None,
            changes,
            conflicts=conflicts,
            invalid=invalid,
            unchanged=int(document.get("unchanged") or 0),
            ignored_columns=[str(c) for c in document.get("ignored_columns") or []],
            origin=str(document.get("origin") or "frame"),
            server_size=document.get("server_size"),
            live_size=document.get("live_size"),
        )
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise PlanFileRefused(str(source), f"has an unreadable plan ({err})") from None
    plan.project_id = document.get("project_id")
    plan.api_url = document.get("api_url")
    plan.api_version = document.get("api_version")
    plan.made_at = str(document.get("made_at") or "")
    plan.made_by = document.get("made_by")
    plan.file = source.resolve()
    plan.loaded = True
    return plan


def heading(plan: Plan) -> str:
    """Where a plan file comes from: the file, the project and API URL, when and by whom."""
    by = f" by {plan.made_by}" if plan.made_by else ""
    return (
        f"Plan file {plan.file}: project {plan.project_id} at {plan.api_url}, "
        f"made {plan.made_at}{by}."
    )


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
