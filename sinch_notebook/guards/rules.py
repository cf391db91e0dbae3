"""Guard rails, written once for every face: protected subprojects and the label policy.

The API has no undelete, so a subproject carrying the protection label (`protected=true`; the
key is `%config Sinch.protect_label`, `SINCH_PROTECT_LABEL` or a profile's `protect_label`) is
never deleted or renamed unless the caller allows it explicitly:

- the client refuses before sending (`client.delete`, `client.update` with a new name,
  `client.edit`, `client.delete_if_unchanged`; `allow_protected=True` overrides);
- a plan lists such changes as *refused*, not as conflicts (`guard`), and so does every plan
  built anywhere (a frame, undo, revert, resume, a saved plan, a desired-state sync), since
  `Plan` calls `guard` itself. Label changes stay allowed, except removing the protection label
  in the same plan that deletes or renames the subproject: that is always two reviewed steps.

A change that would make a subproject break a rule of the active label policy (`guards/policy.py`)
that it did not break before is refused too, naming the rule, unless
`allow_policy_violations=True`. An override is kept on each change it lets through
(`Change.overrides`): the journal and the saved plan record it and every review shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..config import settings
from ..errors import SinchError, ValidationError
from ..models import LABEL_PREFIX

if TYPE_CHECKING:
    from ..bulk.change import Change, Invalid
    from .policy import Policy

PROTECTED = "protected"  # the override of the protection (Change.overrides, Refused.rule)
POLICY = "policy"  # the override of the label policy
UNPROTECT = "unprotect"  # removing the label while deleting or renaming: never overridden
OVERRIDES = (PROTECTED, POLICY)
HOW_TO_ALLOW = {
    PROTECTED: "allow_protected=True (--allow-protected in %sinch and the command line; in "
    "the panel, tick “Delete it although it is protected”)",
    POLICY: "allow_policy_violations=True (--allow-policy-violations)",
}

__all__ = [
    "POLICY",
    "PROTECTED",
    "ProtectedSubproject",
    "Refused",
    "guard",
    "is_protected",
    "protect_label",
    "refuse_if_protected",
]


class ProtectedSubproject(SinchError):
    """Deleting or renaming a protected subproject was refused; nothing was sent."""

    status = "PROTECTED"

    def __init__(self, message: str, subproject_id: str, label: str) -> None:
        super().__init__(message)
        self.subproject_id = subproject_id
        self.label = label


def protect_label(client: Any = None) -> str:
    """The protection label's key: the client's (from its profile), else the setting."""
    key = getattr(client, "protect_label", None) if client is not None else None
    return key or settings().protect_label


def is_protected(labels: Mapping[str, Any] | None, key: str) -> bool:
    """Whether `labels` carry `<key>=true` (any case, surrounding spaces ignored)."""
    value = (labels or {}).get(key)
    return isinstance(value, str) and value.strip().lower() == "true"


def _verb(op: str) -> str:
    return "deleting" if op == "delete" else "renaming"


def protected_message(
    subproject_id: str, name: str | None, key: str, op: str, how: str | None = None
) -> str:
    """The one sentence every face shows: which subproject, which label, how to override
    (`how`, in the face's words; by default every face's)."""
    how = how or f"allow it with {HOW_TO_ALLOW[PROTECTED]}"
    return (
        f"{name!r} ({subproject_id}) is protected by the label {key}=true: {_verb(op)} it is "
        f"refused; to do it anyway, {how}"
    )


def refuse_if_protected(
    record: Mapping[str, Any], op: str, client: Any = None, allow: bool = False
) -> None:
    """Raise `ProtectedSubproject` when `record` (the server's, just read) is protected and
    `op` ("delete" or "rename") is not allowed. A deleted record is never refused."""
    if not isinstance(allow, bool):
        raise ValidationError("allow_protected", f"must be True or False, got {allow!r}")
    key = protect_label(client)
    if allow or record.get("deleted") or not is_protected(record.get("labels"), key):
        return
    sid = str(record.get("subprojectId") or "")
    raise ProtectedSubproject(protected_message(sid, record.get("displayName"), key, op), sid, key)


# -- plans -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A change a plan holds back: `rule` is "protected", "policy" or "unprotect"; `reason` is
    what the review shows. `apply(allow_protected=True)` / `allow_policy_violations=True` sends
    the first two kinds anyway (`Plan.release`)."""

    change: Change
    rule: str
    reason: str

    def as_invalid(self, prefix: bool = True) -> Invalid:
        """The row as an invalid one (a result lists it so); the reason starts "refused:" or
        "policy:" unless `prefix` is False (a review shows it under "refused")."""
        from ..bulk.change import Invalid

        c = self.change
        reason = self.reason if self.rule == POLICY or not prefix else f"refused: {self.reason}"
        return Invalid(reason, c.row, c.subproject_id, c.display_name, c.op)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason, "change": self.change.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Refused:
        from ..bulk.change import Change

        return cls(Change.from_json(data["change"]), str(data["rule"]), str(data["reason"]))


def _renames(change: Change) -> bool:
    return change.op == "update" and "displayName" in change.fields


def _removes_protection(change: Change, key: str) -> bool:
    before, after = change.fields.get(f"{LABEL_PREFIX}{key}", (None, None))
    return is_protected({key: before or ""}, key) and not is_protected({key: after or ""}, key)


def _after_labels(change: Change) -> dict[str, str]:
    if change.send_labels is not None:
        return dict(change.send_labels)
    return dict(change.before_labels or {})


def _needs(
    change: Change, key: str, policy: Policy | None, unprotecting: set[str]
) -> list[tuple[str, str]]:
    """(rule, reason) for each guard this change needs an override of; the reasons are said
    of the row a review shows (its id and name are beside them; the review's footer says how
    to override, in the face's words)."""
    needs: list[tuple[str, str]] = []
    sid = change.subproject_id or ""
    touching = change.op == "delete" or _renames(change)
    if touching and is_protected(change.before_labels, key):
        what = _verb(change.op)
        if sid in unprotecting:
            return [(UNPROTECT, _two_steps(key, f"{what} it"))]
        needs.append((PROTECTED, f"protected by the label {key}=true: {what} it is refused"))
    if policy is not None and change.op in ("create", "update"):
        before = None if change.op == "create" else dict(change.before_labels or {})
        introduced = policy.introduced(before, _after_labels(change))
        if introduced:
            rules = "; ".join(f"{v.rule} ({v.key}): {v.text}" for v in introduced)
            needs.append((POLICY, f"policy: {rules}"))
    return needs


def _two_steps(key: str, what: str) -> str:
    return (
        f"removing the label {key}=true and {what} in one plan is refused: remove the label "
        "in one reviewed plan, then delete or rename in another"
    )


def guard(
    changes: Iterable[Change],
    *,
    key: str,
    policy: Policy | None,
    allow_protected: bool = False,
    allow_policy_violations: bool = False,
) -> tuple[list[Change], list[Refused]]:
    """Split `changes` into those that may be sent and those refused.

    A change let through by an override carries it in `overrides` (so a journal, a saved plan
    and a review show it); a change that already carries an override (read back from a journal
    or a saved plan) keeps it.
    """
    for name, value in (
        ("allow_protected", allow_protected),
        ("allow_policy_violations", allow_policy_violations),
    ):
        if not isinstance(value, bool):
            raise ValidationError(name, f"must be True or False, got {value!r}")
    items = list(changes)
    guarded = [c for c in items if is_protected(c.before_labels, key)]
    if not guarded and policy is None:
        return items, []  # the common case, in one pass (a 10,000-row plan is re-made per edit)
    unprotecting = {
        c.subproject_id or "" for c in guarded if c.op == "update" and _removes_protection(c, key)
    }
    touched = {c.subproject_id or "" for c in guarded if c.op == "delete" or _renames(c)}
    unprotecting &= touched
    allowed = {PROTECTED: allow_protected, POLICY: allow_policy_violations}
    kept: list[Change] = []
    refused: list[Refused] = []
    for change in items:
        sid = change.subproject_id or ""
        needs = _needs(change, key, policy, unprotecting)
        if sid in unprotecting and not needs:  # the label's removal itself: also held back
            needs = [(UNPROTECT, _two_steps(key, "deleting or renaming it"))]
        blocked = [
            (rule, reason)
            for rule, reason in needs
            if rule == UNPROTECT or not (allowed[rule] or rule in change.overrides)
        ]
        if blocked:
            rule = blocked[0][0]
            refused.append(Refused(change, rule, "; ".join(reason for _, reason in blocked)))
            continue
        extra = tuple(rule for rule, _ in needs if rule not in change.overrides)
        kept.append(replace(change, overrides=change.overrides + extra) if extra else change)
    return kept, refused
