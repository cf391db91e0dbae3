"""The guard rails as rules (guards.py): which changes a plan refuses, which it lets through
and marks with the override that allowed them. Plans on a sandbox are tests/integration."""

from __future__ import annotations

import pytest

import sinch_notebook as sn
from sinch_notebook.bulk import Plan
from sinch_notebook.bulk.change import change_toward
from sinch_notebook.config import settings
from sinch_notebook.guards import guard, is_protected, refuse_if_protected
from sinch_notebook.guards.policy import parse_policy

SAFE = {"subprojectId": "S1", "displayName": "Safe", "labels": {"tier": "gold"}}
KEPT = {"subprojectId": "P1", "displayName": "Kept", "labels": {"protected": "true"}}


def test_the_label_is_true_in_any_case_and_nothing_else() -> None:
    assert is_protected({"protected": "true"}, "protected")
    assert is_protected({"protected": " TRUE "}, "protected")
    assert not is_protected({"protected": "yes"}, "protected")
    assert not is_protected({"keep": "true"}, "protected")
    assert not is_protected(None, "protected")


def test_deletes_and_renames_of_a_protected_one_are_refused_label_changes_are_not() -> None:
    delete = change_toward(KEPT, delete=True)
    rename = change_toward(KEPT, name="Renamed")
    relabel = change_toward(KEPT, labels={"protected": "true", "tier": "gold"})
    other = change_toward(SAFE, delete=True)
    kept, refused = guard([delete, rename, relabel, other], key="protected", policy=None)
    assert kept == [relabel, other]
    assert [(r.change, r.rule) for r in refused] == [(delete, "protected"), (rename, "protected")]
    assert refused[0].reason == "protected by the label protected=true: deleting it is refused"
    assert refused[1].reason == "protected by the label protected=true: renaming it is refused"


def test_allowing_marks_each_change_it_lets_through() -> None:
    delete = change_toward(KEPT, delete=True)
    other = change_toward(SAFE, delete=True)
    kept, refused = guard([delete, other], key="protected", policy=None, allow_protected=True)
    assert refused == []
    assert [c.overrides for c in kept] == [("protected",), ()]
    again, _ = guard(kept, key="protected", policy=None)  # read back from a journal: kept
    assert again == kept


def test_unprotecting_in_the_plan_that_deletes_or_renames_is_always_refused() -> None:
    both = change_toward(KEPT, name="Renamed", labels={})
    unlabel = change_toward(KEPT, labels={})
    delete = change_toward(KEPT, delete=True)
    for changes in ([both], [unlabel, delete]):
        kept, refused = guard(changes, key="protected", policy=None, allow_protected=True)
        assert kept == []
        assert {r.rule for r in refused} == {"unprotect"}
        assert "remove the label in one reviewed plan" in refused[0].reason
    kept, refused = guard([unlabel], key="protected", policy=None)  # alone: an ordinary change
    assert (kept, refused) == ([unlabel], [])


def test_the_key_is_the_setting() -> None:
    keep = {"subprojectId": "K1", "displayName": "K", "labels": {"keep": "true"}}
    delete = change_toward(keep, delete=True)
    assert guard([delete], key="protected", policy=None)[1] == []
    settings().protect_label = "keep"
    try:
        assert Plan(None, [delete]).refused[0].rule == "protected"
    finally:
        settings().protect_label = "protected"


def test_a_policy_violation_is_refused_only_when_the_change_introduces_it() -> None:
    policy = parse_policy("allowed: {tier: [gold, silver]}\nrequired: [tier]\n")
    broken = {"subprojectId": "B1", "displayName": "B", "labels": {"tier": "lead"}}
    introduces = change_toward(SAFE, labels={"tier": "lead"})
    fixes = change_toward(broken, labels={"tier": "gold"})
    leaves = change_toward(broken, labels={"tier": "lead", "owner": "ana"})
    renames = change_toward(broken, name="B2")
    kept, refused = guard([introduces, fixes, leaves, renames], key="protected", policy=policy)
    assert kept == [fixes, leaves, renames]
    assert [(r.change, r.rule) for r in refused] == [(introduces, "policy")]
    assert refused[0].reason == (
        "policy: allowed (tier): tier='lead' is not allowed (one of gold, silver)"
    )
    kept, refused = guard(
        [introduces], key="protected", policy=policy, allow_policy_violations=True
    )
    assert [c.overrides for c in kept] == [("policy",)] and refused == []


def test_a_plan_counts_refused_and_policy_rows_and_release_lets_them_in() -> None:
    policy = parse_policy("required: [tier]\n")
    delete = change_toward(KEPT, delete=True)
    untier = change_toward(SAFE, labels={})
    plan = Plan(None, [delete, untier], policy=policy)
    assert plan.summary() == {
        "create": 0,
        "update": 0,
        "delete": 0,
        "conflict": 0,
        "invalid": 1,
        "refused": 1,
    }
    text = str(plan)
    assert "# refused  P1 'Kept': protected by the label protected=true" in text
    assert "x invalid  S1 'Safe': policy: required (tier): label 'tier' is required" in text
    assert "apply(allow_protected=True) sends them anyway" in text
    plan.release(allow_protected=True)
    assert [c.overrides for c in plan.changes] == [("protected",)]
    assert "allowed although protected (allow_protected)" in str(plan)
    assert [r.rule for r in plan.refused] == ["policy"]
    plan.release(allow_policy_violations=True)
    assert [c.overrides for c in plan.changes] == [("protected",), ("policy",)]
    assert plan.refused == []
    assert "refused" not in plan.summary()


def test_the_client_rule_on_a_record() -> None:
    with pytest.raises(sn.ProtectedSubproject) as info:
        refuse_if_protected(KEPT, "delete")
    assert str(info.value) == (
        "PROTECTED: 'Kept' (P1) is protected by the label protected=true: deleting it is "
        "refused; to do it anyway, allow it with allow_protected=True (--allow-protected in "
        "%sinch and the command line; in the panel, tick “Delete it although it is protected”)"
    )
    refuse_if_protected(KEPT, "delete", allow=True)
    refuse_if_protected({**KEPT, "deleted": True}, "delete")  # already gone: nothing to refuse
    with pytest.raises(sn.ValidationError, match="allow_protected: must be True or False"):
        refuse_if_protected(SAFE, "delete", allow="yes")  # type: ignore[arg-type]
