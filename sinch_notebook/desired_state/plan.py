"""A desired state against the account: the Plan a sync would apply, and what it leaves alone.

The comparison only decides what is wanted; the changes are built by the engine's one builder
(`bulk.change.change_toward`) and travel in an ordinary `bulk.Plan`, so review, saving, the
mass-delete and mass-update rules, the stale check, the journal and exactly-once creates are the
engine's. Rules:

- an entry with an `id` is that subproject; one with only a `key` is the one live subproject
  carrying all its key labels (none: it is created; several: it cannot be told, listed invalid);
- `name` and `labels` are set as written (left out: kept as the server has them);
- an id the account no longer has live is "missing", listed invalid (there is no undelete);
- with `managed_by`, creates and listed subprojects get the label managed-by=<value>, and a
  subproject labelled as another owner's is listed invalid unless `takeover`;
- live subprojects the file does not list are unmanaged: reported (or not, with `ignore`), and
  deleted only with `unmanaged: delete` (with `managed_by`, only those carrying its label);
- an entry's `protected: true` adds the protection label (`guards.protect_label(client)`).

The guard rails are the Plan's own (`guards.guard`): deleting or renaming a protected subproject
is a refused row, and a change that would break the label policy (the file's `policy:` section
when it has one, else the active policy) an invalid row naming the rule, unless
`allow_protected` / `allow_policy_violations` let them through (recorded on each change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..account_history.rows import paused_gc
from ..bulk.change import LABEL_PREFIX, Change, Invalid, change_toward
from ..bulk.plan import Plan
from ..guards import protect_label
from .model import MANAGED_BY_LABEL, DesiredState, Entry

Record = Mapping[str, Any]


@dataclass
class Comparison:
    """What the file and the account say of each other, and the plan that makes them agree."""

    plan: Plan
    managed: int = 0  # entries matched to a live subproject
    differ: int = 0  # of them, those a sync would change (or is refused to)
    missing: list[Invalid] = field(default_factory=list)
    unmanaged: list[Record] = field(default_factory=list)  # live, not listed
    live: int = 0

    @property
    def coverage(self) -> float:
        """Managed subprojects as a share of the live ones (1.0 for an empty account)."""
        return self.managed / self.live if self.live else 1.0


def _create(entry: Entry, labels: dict[str, str]) -> Change:
    assert entry.name is not None
    fields: dict[str, tuple[str | None, str | None]] = {"displayName": (None, entry.name)}
    fields.update({f"{LABEL_PREFIX}{k}": (None, v) for k, v in sorted(labels.items())})
    return Change(
        op="create",
        subproject_id=None,
        display_name=entry.name,
        fields=fields,
        key=f"create:line {entry.line}",
        row=entry.line,
        send_name=entry.name,
        send_labels=dict(labels),
    )


class _KeyIndex:
    """Live subprojects by one label's value, built per label name on first use."""

    def __init__(self, live: Mapping[str, Record]) -> None:
        self.live = live
        self.by_name: dict[str, dict[str, list[str]]] = {}

    def matches(self, key: Mapping[str, str]) -> list[str]:
        names = sorted(key)
        first = names[0]
        if first not in self.by_name:
            index: dict[str, list[str]] = {}
            for sid, record in self.live.items():
                value = (record.get("labels") or {}).get(first)
                if value is not None:
                    index.setdefault(value, []).append(sid)
            self.by_name[first] = index
        found = self.by_name[first].get(key[first], [])
        return [
            sid
            for sid in found
            if all((self.live[sid].get("labels") or {}).get(n) == key[n] for n in names[1:])
        ]


@dataclass(frozen=True)
class Allowances:
    """What the caller allows a sync to do that it refuses by default."""

    takeover: bool = False
    allow_protected: bool = False
    allow_policy_violations: bool = False


def compare(
    state: DesiredState,
    client: Any,
    records: Iterable[Record],
    *,
    takeover: bool = False,
    allow_protected: bool = False,
    allow_policy_violations: bool = False,
) -> Comparison:
    """The plan that takes the account (`records`, a listing with or without deleted ones) to
    `state`; nothing is sent."""
    allowed = Allowances(takeover, allow_protected, allow_policy_violations)
    with paused_gc():  # a plan of 100,000 entries: the collector need not walk them meanwhile
        return _compare(state, client, records, allowed)


def _compare(
    state: DesiredState, client: Any, records: Iterable[Record], allowed: Allowances
) -> Comparison:
    every = {str(r["subprojectId"]): r for r in records}
    live = {sid: r for sid, r in every.items() if not r.get("deleted")}
    owner = state.managed_by
    guarded = protect_label(client)
    new = [e for e in state.entries if e.id is None]  # key entries need the listed ids
    listed_ids = {e.id: e.line for e in state.entries if e.id is not None} if new else {}
    keys = _KeyIndex(live)
    changes: list[Change] = []
    invalid: list[Invalid] = []
    result = Comparison(Plan(client, policy=state.policy), live=len(live))
    taken: set[str] = set()
    unchanged = 0
    for entry in state.entries:
        record = live.get(entry.id) if entry.id is not None else None  # the common case
        problem = None
        if record is None:
            record, problem = _find(entry, every, live, keys, listed_ids)
        if problem is not None:
            invalid.append(problem)
            if entry.id is not None:
                result.missing.append(problem)
            continue
        labels = entry.labels
        if owner is not None or entry.protected:
            base = labels if labels is not None else dict((record or {}).get("labels") or {})
            added = {guarded: "true"} if entry.protected else {}
            if owner is not None:
                added[MANAGED_BY_LABEL] = owner
            labels = {**base, **added}
        if record is None:
            changes.append(_create(entry, labels or {}))
            continue
        sid = record["subprojectId"]
        taken.add(sid)
        result.managed += 1
        current = record.get("labels") or {}
        if (entry.name is None or entry.name == record.get("displayName")) and (
            labels is None or labels == current
        ):
            unchanged += 1  # the common case, decided without building anything
            continue
        holder = current.get(MANAGED_BY_LABEL)
        change = change_toward(record, name=entry.name, labels=labels, row=entry.line)
        if change is None:
            unchanged += 1
            continue
        result.differ += 1
        if owner is not None and holder is not None and holder != owner and not allowed.takeover:
            invalid.append(
                Invalid(
                    f"managed by {holder!r}, not {owner!r} (line {entry.line}): not changed "
                    "unless taken over (--takeover, takeover=True)",
                    entry.line,
                    sid,
                    str(record.get("displayName") or ""),
                    "update",
                )
            )
            continue
        changes.append(change)
    for sid, record in live.items():
        if sid in taken:
            continue
        result.unmanaged.append(record)
        ours = owner is None or (record.get("labels") or {}).get(MANAGED_BY_LABEL) == owner
        if state.unmanaged == "delete" and ours:
            change = change_toward(record, delete=True)
            if change is not None:
                changes.append(change)
    result.unmanaged.sort(key=lambda r: (str(r.get("displayName") or ""), str(r["subprojectId"])))
    result.plan = Plan(
        client,
        changes,
        invalid=invalid,
        unchanged=unchanged,
        origin="desired",
        server_size=len(every),
        live_size=len(live),
        policy=state.policy,  # None: the active one
        allow_protected=allowed.allow_protected,
        allow_policy_violations=allowed.allow_policy_violations,
    )
    return result


def _find(
    entry: Entry,
    every: Mapping[str, Record],
    live: Mapping[str, Record],
    keys: _KeyIndex,
    listed_ids: Mapping[str, int],
) -> tuple[Record | None, Invalid | None]:
    """The live subproject an entry is (None: to create), or why it cannot be planned."""
    if entry.id is not None:
        record = live.get(entry.id)
        if record is not None:
            return record, None
        why = "is deleted" if entry.id in every else "is not in the account"
        return None, Invalid(
            f"{why} (line {entry.line}): remove it from the file, or remove its id to create "
            "a new one (there is no undelete)",
            entry.line,
            entry.id,
            entry.name,
            "update",
        )
    assert entry.key
    found = keys.matches(entry.key)
    if not found:
        return None, None
    if len(found) > 1:
        return None, Invalid(
            f"{entry.identity} (line {entry.line}) matches {len(found)} subprojects "
            f"({', '.join(sorted(found)[:3])}{', ...' if len(found) > 3 else ''}): give its id",
            entry.line,
            None,
            entry.name,
            "update",
        )
    sid = found[0]
    if sid in listed_ids:
        return None, Invalid(
            f"{entry.identity} (line {entry.line}) is {sid}, which line {listed_ids[sid]} "
            "lists by id",
            entry.line,
            sid,
            entry.name,
            "update",
        )
    return live[sid], None
