"""`sn.protect(ids)` / `sn.unprotect(ids)`: set or remove the protection label as an ordinary
plan, reviewed and then applied like any other (the rule itself is `../guards.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, ValidationError
from ..guards import protect_label
from .change import Change, Invalid, change_toward
from .plan import Plan

if TYPE_CHECKING:
    from ..client import SubprojectsClient

MAX_GETS = 50  # more ids than this are looked up in one listing instead of one GET each


def _ids(ids: Any) -> list[str]:
    items = [ids] if isinstance(ids, str) else ids
    if not isinstance(items, Iterable):
        raise ValidationError("ids", f"must be a subproject id or a list of them, got {ids!r}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValidationError("ids", f"each must be a subproject id (text), got {item!r}")
        out.append(item.strip())
    if not out:
        raise ValidationError("ids", "give at least one subproject id")
    return list(dict.fromkeys(out))


def protection_plan(client: SubprojectsClient, ids: Any, protect: bool = True) -> Plan:
    """The plan that gives (`protect`) or takes away the protection label `<key>=true` on each
    subproject of `ids`; nothing is sent until `plan.apply()`."""
    wanted = _ids(ids)
    key = protect_label(client)
    if len(wanted) > MAX_GETS:
        records = client.records(show_deleted=True)
        found = {sid: records.get(sid) for sid in wanted}
    else:
        found = {}
        for sid in wanted:
            try:
                found[sid] = client.get_record(sid)
            except NotFound:
                found[sid] = None
    changes: list[Change] = []
    invalid: list[Invalid] = []
    unchanged = 0
    for sid, record in found.items():
        if record is None:
            invalid.append(
                Invalid("unknown subprojectId: no such subproject in this project", sid, sid)
            )
            continue
        name = record.get("displayName")
        if record.get("deleted"):
            invalid.append(
                Invalid("the subproject is deleted (there is no undelete)", sid, sid, name)
            )
            continue
        labels = {str(k): str(v) for k, v in (record.get("labels") or {}).items()}
        if protect:
            labels[key] = "true"
        else:
            labels.pop(key, None)
        change = change_toward({**record, "subprojectId": sid}, labels=labels, row=sid)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    return Plan(
        client,
        changes,
        invalid=invalid,
        unchanged=unchanged,
        origin="protect" if protect else "unprotect",
    )
