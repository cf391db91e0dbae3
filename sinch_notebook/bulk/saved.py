"""Applying a saved plan: the same project, nothing moved since it was made, and only once.

What `Plan.apply` adds for a plan with a file (saved, or loaded with `sn.load_plan`), before
the apply engine (`apply.py`, whose per-change checks still hold) sends anything:

1. the connection is to the project and API URL the plan was made for;
2. the whole plan is re-checked against one listing of the server: an update or delete whose
   target's `updateTime` moved (or that is gone), or a create whose name and labels now exist
   (created since the plan was made), makes it `StalePlan`, each change and what moved listed;
3. the safety rules (`Plan.raise_if_unsafe`), the mass-update rule counting the live
   subprojects of that listing (never the file's own count);
4. it journals next to its file (`change.json` -> `change.journal.jsonl`); the journal is
   claimed atomically (O_EXCL), so the same file is applied once, wherever it is applied: a
   second apply is `PlanAlreadyApplied`, pointing at `sn.resume(journal)` when unfinished.

`replan` makes a new plan from the same intent against the server as it is now.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import SinchError, ValidationError
from ..models import parse_time, same_version
from ..shown import visible
from . import store_journal
from .apply import ApplyOptions, apply_plan
from .change import LABEL_PREFIX, Change
from .errors import JournalError, PlanAlreadyApplied, PlanFileRefused, StalePlan
from .journal import read_journal
from .plan import Plan, make_plan
from .planfile import EDITED, bind
from .render import PYTHON_HINTS

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from .result import ApplyResult

# A create counts as "now exists" when a live subproject with its name and labels was created
# after the plan was made, less this much for the clocks of this machine and the server.
CLOCK_SLACK = timedelta(seconds=60)
MAX_LISTED = 20  # changes named in a StalePlan message (`.moved` holds them all)


def journal_for(plan_file: Path) -> Path:
    """`change.json` -> `change.journal.jsonl`, next to it; with `SINCH_JOURNAL=store`,
    `store:plan-<digest of the file>` in the team's store (the same file applies once there)."""
    if store_journal.in_store():
        return store_journal.plan_journal_name(plan_file)
    return plan_file.with_name(plan_file.stem + ".journal.jsonl")


def journal_exists(journal: Path) -> bool:
    """Whether a saved plan's journal (or, in the store, its claim) exists."""
    if store_journal.is_store_journal(journal):
        return store_journal.journal_exists(journal)
    return journal.exists()


def _connected(plan: Plan) -> SubprojectsClient:
    """The plan's client, checked against where the plan was made (a loaded plan can be on no
    connection: it was reviewed, but cannot be sent)."""
    if plan.client is None:
        raise ValidationError(
            "client",
            f"{plan.file or 'the plan'} was loaded on no connection: load it again once "
            "connected (or with a client) to check it against the server or apply it",
        )
    bind(plan, plan.client)
    return plan.client


def _describe(change: Change, record: dict[str, Any]) -> str:
    """What moved on a target since the plan was made."""
    moved = [f"updateTime {change.base_update_time} -> {record.get('updateTime')}"]
    if record.get("deleted"):
        moved.append("deleted")
    name = record.get("displayName")
    if change.before_name is not None and name != change.before_name:
        moved.append(f"displayName {change.before_name!r} -> {name!r}")
    before = change.before_labels or {}
    now = {str(k): str(v) for k, v in (record.get("labels") or {}).items()}
    for key in sorted(before.keys() | now.keys()):
        if before.get(key) != now.get(key):
            moved.append(f"{visible(LABEL_PREFIX + key)} {before.get(key)!r} -> {now.get(key)!r}")
    return "; ".join(moved)


def _as_before(change: Change, record: dict[str, Any]) -> bool:
    """Whether the server holds what the plan says its target held (a review's "before", and
    the labels an update's full set leaves out, were read from it): a plan file whose "before"
    is not the server's is stale, whatever its updateTime says."""
    if change.before_name is not None and record.get("displayName") != change.before_name:
        return False
    if change.before_labels is None:
        return True
    labels = {str(k): str(v) for k, v in (record.get("labels") or {}).items()}
    return labels == change.before_labels


def _made_at(plan: Plan) -> Any:
    made = parse_time(plan.made_at)
    return None if made is None else made - CLOCK_SLACK


def stale_changes(plan: Plan, records: dict[str, dict[str, Any]]) -> list[tuple[Change, str]]:
    """Each change of `plan` that the server as listed in `records` makes stale, and why."""
    since = _made_at(plan)
    creates = {
        (c.send_name, tuple(sorted((c.send_labels or {}).items())))
        for c in plan.changes
        if c.op == "create"
    }
    names = {name for name, _labels in creates}
    twins: dict[tuple, list[dict[str, Any]]] = {}
    for record in records.values():
        if record.get("deleted") or record.get("displayName") not in names:
            continue
        created = parse_time(record.get("createTime"))
        if since is not None and created is not None and created < since:
            continue
        labels = {str(k): str(v) for k, v in (record.get("labels") or {}).items()}
        key = (record.get("displayName"), tuple(sorted(labels.items())))
        twins.setdefault(key, []).append(record)
    moved: list[tuple[Change, str]] = []
    for change in plan.changes:
        if change.op == "create":
            key = (change.send_name, tuple(sorted((change.send_labels or {}).items())))
            found = twins.get(key)
            if found:
                ids = ", ".join(str(r.get("subprojectId")) for r in found)
                moved.append((change, f"now exists with the same name and labels ({ids})"))
            continue
        record = records.get(change.subproject_id or "")
        if record is None:
            moved.append((change, "no longer exists on the server"))
            continue
        now = record.get("updateTime")
        # the same text is the same version (parsing is for spellings that differ)
        same = (now is not None and now == change.base_update_time) or same_version(
            change.base_update_time, now
        )
        if not same or not _as_before(change, record):
            moved.append((change, _describe(change, record)))
    return moved


def check_fresh(plan: Plan) -> None:
    """Raise StalePlan when anything the plan touches moved since it was made (one listing);
    PlanAlreadyApplied first when its plan file was applied already (its own changes moved).
    The listing's count of live subprojects becomes the plan's (the mass-update rule's base)."""
    raise_if_applied(plan)
    client = _connected(plan)
    if not plan.changes:
        return
    records = client.records(show_deleted=True)
    plan.count_live(records)
    moved = stale_changes(plan, records)
    if not moved:
        return
    where = f"the plan {plan.file.name}" if plan.file is not None else "the plan"
    lines = [
        f"{where} is stale: {len(moved)} of its {len(plan.changes)} changes moved on the "
        f"server since it was made ({plan.made_at}); nothing was sent:"
    ]
    for change, what in moved[:MAX_LISTED]:
        target = change.subproject_id or "(new)"
        lines.append(f"  {change.op} {target} {change.display_name!r}: {what}")
    if len(moved) > MAX_LISTED:
        lines.append(f"  ... and {len(moved) - MAX_LISTED} more (see the error's .moved)")
    lines.append((plan.hints or PYTHON_HINTS).replan)
    raise StalePlan("\n".join(lines), moved)


def raise_if_applied(plan: Plan) -> None:
    """PlanAlreadyApplied when the plan's file has a journal (a file, or its claim in the team's
    store): it was applied (or is being)."""
    if plan.file is not None and journal_exists(journal_for(plan.file)):
        raise _already_applied(plan.file, journal_for(plan.file))


def _already_applied(plan_file: Path, journal: Path) -> PlanAlreadyApplied:
    try:
        state = read_journal(journal)
    except SinchError:
        state = None
    if state is None:
        error = PlanAlreadyApplied(
            f"{plan_file.name} is being applied, or was: its journal {journal} exists; a plan "
            "file applies once (plan again for a new apply)"
        )
    else:
        left = len(state.pending())
        if left:
            how = f"sn.resume({str(journal)!r}) applies the {left} not done"
            done = f"unfinished ({len(state.done)} of {len(state.changes)} done)"
        else:
            how = "plan again for a new apply"
            done = f"finished ({len(state.done)} of {len(state.changes)} done)"
        error = PlanAlreadyApplied(
            f"{plan_file.name} was already applied; its journal {journal} is {done}: {how}"
        )
        error.unfinished = bool(left)
    error.journal = str(journal)
    return error


def _claim(path: Path, plan: Plan) -> None:
    """Create the journal file exclusively (in the store: insert the plan's claim, keyed by its
    file's digest): the one apply of this plan file."""
    plan_file = plan.file
    assert plan_file is not None
    if store_journal.is_store_journal(path):
        project = plan.client.project_id if plan.client is not None else None
        if not store_journal.claim(plan_file, path, project):
            raise _already_applied(plan_file, path)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _already_applied(plan_file, path) from None
    except OSError as err:
        raise JournalError(
            f"cannot write the journal {path} ({err.strerror or err}); nothing was sent: copy "
            f"{plan_file.name} to a folder you can write and apply it there, or give "
            "journal=<a path you can write>"
        ) from None
    os.close(fd)


def _released(options: ApplyOptions, journal: Any) -> ApplyOptions:
    """The options the engine gets: the overrides were released already, the journal chosen."""
    return replace(options, journal=journal, allow_protected=False, allow_policy_violations=False)


def apply_saved(plan: Plan, options: ApplyOptions) -> ApplyResult:
    """See the module docstring: every check here happens before any request is sent."""
    assert plan.file is not None
    journal = options.journal
    allow_mass_delete, allow_mass_update = options.allow_mass_delete, options.allow_mass_update
    if plan.edited:
        raise PlanFileRefused(str(plan.file), f"{EDITED}; only the plan that was reviewed applies")
    plan.release(
        options.allow_protected, options.allow_policy_violations
    )  # then checked fresh with the rest
    if plan.applied:
        plan.mark_applied()  # raises PlanAlreadyApplied
    if journal is False:
        raise ValidationError(
            "journal",
            "a saved plan is always journaled (that is how it applies once); give None (next "
            "to the plan file) or a path",
        )
    if journal is None or journal is True:
        path = journal_for(plan.file)
    elif isinstance(journal, (str, Path)):
        path = Path(journal)
    else:
        raise ValidationError("journal", "must be None (next to the plan file) or a path")
    _connected(plan)
    plan.raise_if_unsafe(allow_mass_delete, allow_mass_update)  # before a listing, when it can
    if journal_exists(path):
        raise _already_applied(plan.file, path)
    check_fresh(plan)
    plan.raise_if_unsafe(allow_mass_delete, allow_mass_update)  # on the live count just listed
    if not plan.changes:  # nothing to send, nothing to journal
        return apply_plan(plan, _released(options, journal=False))
    _claim(path, plan)
    try:
        return apply_plan(plan, _released(options, journal=path))
    except BaseException:
        # nothing was journaled, so nothing was sent: the plan file may be applied again
        if store_journal.is_store_journal(path):
            with contextlib.suppress(SinchError):
                store_journal.release(plan.file, path)
            raise
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0:
                path.unlink()
        raise


def replan(plan: Plan, client: SubprojectsClient | None = None) -> Plan:
    """A new plan of the same intent against the server now: each update's new values over the
    subproject as it is now, each delete, each create (conflicting and invalid rows stay out)."""
    if client is None:
        client = _connected(plan)
    elif plan.project_id is not None:
        bind(plan, client)
    records = client.records(show_deleted=True)
    rows = []
    for change in plan.changes:
        rows.append(_intent_row(change, records.get(change.subproject_id or "")))
    index = [change.row for change in plan.changes]
    if None in index or len(set(map(repr, index))) != len(index):
        index = list(range(len(rows)))
    frame = pd.DataFrame(
        rows,
        columns=["subprojectId", "displayName", "labels", "delete", "updateTime"],
        index=index,
        dtype=object,
    )
    # a change that carries a conflict was forced when planned (a loaded one is never marked)
    forced = any(c.forced or c.conflict is not None for c in plan.changes)
    fresh = make_plan(client, frame, force=forced)
    fresh.hints = plan.hints
    fresh.origin = plan.origin
    return fresh


def _intent_row(change: Change, record: dict[str, Any] | None) -> list[Any]:
    if change.op == "create":
        return [None, change.send_name, dict(change.send_labels or {}), False, None]
    if record is None:  # gone: the planner lists it as an unknown subprojectId
        return [change.subproject_id, change.display_name, None, change.op == "delete", None]
    name = record.get("displayName")
    labels = {str(k): str(v) for k, v in (record.get("labels") or {}).items()}
    if change.op == "update":
        for field, (_before, after) in change.fields.items():
            if field == "displayName":
                name = after
            elif field.startswith(LABEL_PREFIX):
                key = field[len(LABEL_PREFIX) :]
                if after is None:
                    labels.pop(key, None)
                else:
                    labels[key] = after
    return [
        change.subproject_id,
        name,
        labels,
        change.op == "delete",
        record.get("updateTime"),
    ]
