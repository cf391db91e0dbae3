"""Protected subprojects and the label policy, over real HTTP to the sandbox: the client refuses
before sending, and every way of making a plan (a frame, a saved plan, resume, undo, revert)
holds the same rules; each override works and is recorded (issue 29)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.config import reset_settings, settings
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.helpers import journal_in_tmp, journal_records  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("journal_in_tmp")

POLICY = """\
required: [tier]
allowed:
  tier: [gold, silver, bronze]
keys: {pattern: "^[a-z-]+$"}
"""


@pytest.fixture
def cl(sandbox: Sandbox) -> sn.SubprojectsClient:
    return sandbox.connect(retry=FAST_RETRY, activate=True)


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    reset_settings()
    yield
    reset_settings()


def record(sandbox: Sandbox, sid: str) -> dict:
    return next(r for r in sandbox.subprojects() if r["subprojectId"] == sid)


def deleting_all(cl: sn.SubprojectsClient) -> pd.DataFrame:
    """The account as a frame whose every row is marked for deletion."""
    return cl.frame().assign(delete=True)


def protected(cl: sn.SubprojectsClient, name: str = "Crown Jewels") -> sn.Subproject:
    return cl.create(name, {"protected": "true", "tier": "gold"})


def test_the_client_refuses_a_delete_before_sending_it(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    sp = protected(cl)
    sandbox.reset_stats()
    with pytest.raises(sn.ProtectedSubproject) as info:
        cl.delete(sp.id)
    assert f"'Crown Jewels' ({sp.id}) is protected by the label protected=true" in str(info.value)
    assert "allow_protected=True" in str(info.value)
    assert sandbox.stats["operations"] == {"get": 1}  # read, never deleted
    with pytest.raises(sn.ProtectedSubproject):
        cl.delete_if_unchanged(sp)
    assert not record(sandbox, sp.id)["deleted"]
    assert cl.delete(sp.id, allow_protected=True) is True
    assert record(sandbox, sp.id)["deleted"]


def test_the_client_refuses_a_rename_but_not_a_label_change(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    sp = protected(cl)
    with pytest.raises(sn.ProtectedSubproject, match="renaming it is refused"):
        cl.update(sp.id, display_name="Other")
    with pytest.raises(sn.ProtectedSubproject, match="renaming it is refused"):
        cl.edit(sp.id, display_name="Other")
    cl.edit(sp.id, set_labels={"tier": "silver"})
    assert record(sandbox, sp.id)["labels"] == {"protected": "true", "tier": "silver"}
    cl.edit(sp.id, display_name="Other", allow_protected=True)
    assert record(sandbox, sp.id)["displayName"] == "Other"


def test_a_protected_subproject_survives_a_frame_plan_that_drops_it(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    sp = protected(cl)
    plain = cl.create("Plain")
    df = deleting_all(cl)
    plan = cl.plan(df)
    assert plan.summary()["delete"] == 1 and plan.summary()["refused"] == 1
    assert plan.conflicts == []  # refused, not a conflict
    assert plan.frame.set_index("subprojectId").loc[sp.id, "operation"] == "refused"
    assert "refused" in plan._repr_html_() and "Crown Jewels" in plan.to_markdown()
    result = plan.apply(progress=False)
    assert record(sandbox, plain.id)["deleted"] and not record(sandbox, sp.id)["deleted"]
    assert result.frame.set_index("subprojectId").loc[sp.id, "status"] == "skipped"
    assert "refused: protected by the label protected=true" in str(result)


def test_allow_protected_deletes_it_and_the_journal_records_it(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    sp = protected(cl)
    df = deleting_all(cl)
    result = cl.plan(df).apply(progress=False, allow_protected=True)
    assert record(sandbox, sp.id)["deleted"]
    first = journal_records(result.journal_path)[0]
    assert [c["overrides"] for c in first["changes"]] == [["protected"]]
    # allowed when planning: the review shows it
    again = cl.create("Second", {"protected": "TRUE"})
    df = deleting_all(cl)
    plan = cl.plan(df, allow_protected=True)
    assert "allowed although protected (allow_protected)" in str(plan)
    plan.apply(progress=False)
    assert record(sandbox, again.id)["deleted"]


def test_removing_the_label_and_renaming_in_one_plan_is_two_steps(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    sp = protected(cl)
    df = cl.frame()
    df.loc[0, ["displayName", "label.protected"]] = ["Renamed", None]
    plan = cl.plan(df, allow_protected=True)
    assert len(plan) == 0 and [r.rule for r in plan.refused] == ["unprotect"]
    plan.apply(progress=False, allow_protected=True)
    assert record(sandbox, sp.id)["displayName"] == "Crown Jewels"
    sn.unprotect(sp.id).apply(progress=False)  # step one, reviewed on its own
    df = cl.frame()
    df.loc[0, "displayName"] = "Renamed"
    cl.plan(df).apply(progress=False)  # step two
    assert record(sandbox, sp.id)["displayName"] == "Renamed"


def test_protect_and_unprotect_are_reviewed_plans(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    a, b = cl.create("A", {"tier": "gold"}), cl.create("B")
    plan = sn.protect([a.id, b.id, "01NOSUCHSUBPROJECT00000000"])
    assert plan.summary() == {"create": 0, "update": 2, "delete": 0, "conflict": 0, "invalid": 1}
    assert record(sandbox, a.id)["labels"] == {"tier": "gold"}  # nothing sent yet
    plan.apply(progress=False)
    assert record(sandbox, a.id)["labels"] == {"tier": "gold", "protected": "true"}
    assert len(sn.protect(a.id)) == 0  # already protected: unchanged
    with pytest.raises(sn.ProtectedSubproject):
        cl.delete(b.id)
    sn.unprotect([b.id]).apply(progress=False)
    assert cl.delete(b.id) is True


def test_a_saved_plan_keeps_its_refused_rows_and_its_overrides(
    cl: sn.SubprojectsClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    sp = protected(cl)
    df = deleting_all(cl)
    cl.plan(df).save(tmp_path / "refused.json")
    loaded = sn.load_plan(tmp_path / "refused.json")
    assert len(loaded) == 0 and [r.rule for r in loaded.refused] == ["protected"]
    assert "# refused" in str(loaded)
    loaded.apply(progress=False)
    assert not record(sandbox, sp.id)["deleted"]

    cl.plan(df, allow_protected=True).save(tmp_path / "allowed.json")
    text = (tmp_path / "allowed.json").read_text()
    assert '"overrides": ["protected"]' in text
    loaded = sn.load_plan(tmp_path / "allowed.json")
    assert "allowed although protected" in loaded.to_markdown()
    result = loaded.apply(progress=False)
    assert record(sandbox, sp.id)["deleted"]
    assert journal_records(result.journal_path)[0]["changes"][0]["overrides"] == ["protected"]


def test_a_saved_plan_applied_with_the_override(
    cl: sn.SubprojectsClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    sp = protected(cl)
    df = deleting_all(cl)
    cl.plan(df).save(tmp_path / "change.json")
    result = sn.load_plan(tmp_path / "change.json").apply(progress=False, allow_protected=True)
    assert record(sandbox, sp.id)["deleted"]
    assert journal_records(result.journal_path)[0]["changes"][0]["overrides"] == ["protected"]


def test_a_resume_holds_the_rule_and_the_recorded_override(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    plain = cl.create("Plain")
    df = deleting_all(cl)
    stopped = cl.plan(df).apply(progress=lambda *_: False)  # stopped before anything is sent
    assert stopped.interrupted and not record(sandbox, plain.id)["deleted"]
    sn.protect(plain.id).apply(progress=False)  # protected meanwhile
    resumed = sn.resume(stopped.journal_path, progress=False)
    assert not record(sandbox, plain.id)["deleted"]
    assert resumed.counts["conflict"] == 1

    jewel = protected(cl)
    df = cl.frame()
    df = df[df["subprojectId"] == jewel.id].assign(delete=True)
    stopped = cl.plan(df, allow_protected=True).apply(progress=lambda *_: False)
    assert not record(sandbox, jewel.id)["deleted"]
    sn.resume(stopped.journal_path, progress=False)  # the override was reviewed and journaled
    assert record(sandbox, jewel.id)["deleted"]


def test_undo_of_its_creation_is_refused_unless_allowed(
    cl: sn.SubprojectsClient, sandbox: Sandbox
) -> None:
    new = pd.DataFrame({"displayName": ["Made"], "label.protected": ["true"]})
    result = cl.plan(new).apply(progress=False)
    sid = result.outcomes[0].subproject_id
    undo = result.undo()
    assert len(undo) == 0 and [r.rule for r in undo.refused] == ["protected"]
    undo.apply(progress=False)
    assert not record(sandbox, sid)["deleted"]
    undone = result.undo().apply(progress=False, allow_protected=True)
    assert record(sandbox, sid)["deleted"]
    assert journal_records(undone.journal_path)[0]["changes"][0]["overrides"] == ["protected"]


def test_a_revert_does_not_delete_a_protected_one_created_since(
    cl: sn.SubprojectsClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    store = tmp_path / "history.sqlite"
    before = sn.snapshot(cl, store=store)
    sp = protected(cl, "Made Since")
    plain = cl.create("Also Since")
    revert = sn.diff(before, "now", store=store).revert()
    assert revert.summary()["delete"] == 1 and [r.rule for r in revert.refused] == ["protected"]
    revert.apply(progress=False)
    assert record(sandbox, plain.id)["deleted"] and not record(sandbox, sp.id)["deleted"]


def test_the_policy_refuses_what_a_change_introduces(
    cl: sn.SubprojectsClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    old = cl.create("Old", {"tier": "lead"})  # broke the policy before it existed
    good = cl.create("Good", {"tier": "gold"})
    settings().policy = str(tmp_path / "policy.yaml")
    df = cl.frame().set_index("subprojectId")
    df.loc[old.id, "label.tier"] = "lead"  # unchanged: left alone
    df.loc[old.id, "displayName"] = "Old Renamed"  # leaves its violation alone: allowed
    df.loc[good.id, "label.tier"] = "platinum"  # introduces one: refused
    new = pd.DataFrame({"displayName": ["New"], "label.Tier": ["gold"]})
    edited = pd.concat([df.reset_index(), new], ignore_index=True)
    plan = cl.plan(edited)
    assert plan.summary()["invalid"] == 2 and plan.summary()["update"] == 1
    text = str(plan)
    assert "policy: allowed (tier): tier='platinum' is not allowed" in text
    assert "policy: required (tier): label 'tier' is required; keys (Tier)" in text
    plan.apply(progress=False)
    assert record(sandbox, good.id)["labels"] == {"tier": "gold"}
    assert record(sandbox, old.id)["displayName"] == "Old Renamed"

    result = cl.plan(edited).apply(progress=False, allow_policy_violations=True)
    assert record(sandbox, good.id)["labels"] == {"tier": "platinum"}
    overrides = [c["overrides"] for c in journal_records(result.journal_path)[0]["changes"]]
    assert sorted(overrides) == [["policy"], ["policy"]]


def test_compliance_now_and_at_a_stored_snapshot(
    cl: sn.SubprojectsClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    store = tmp_path / "history.sqlite"
    cl.create("Fine", {"tier": "gold"})
    drifting = cl.create("Drifting", {"tier": "silver"})
    taken = sn.snapshot(cl, store=store)
    cl.update(drifting.id, labels={"tier": "Silver"})
    gone = cl.create("Gone", {"Tier": "x"})
    cl.delete(gone.id)  # deleted subprojects are not checked
    report = sn.compliance(tmp_path / "policy.yaml")
    assert report[["displayName", "rule", "key", "value"]].values.tolist() == [
        ["Drifting", "allowed", "tier", "Silver"]
    ]
    assert report.attrs["summary"]["checked"] == 2
    assert report.attrs["summary"]["coverage"] == {"tier": 1.0}
    then = sn.compliance(tmp_path / "policy.yaml", at=taken.id, store=store)
    assert len(then) == 0 and then.attrs["summary"]["violating"] == 0
    with pytest.raises(sn.ValidationError, match="no policy to check against"):
        sn.compliance()
    settings().policy = str(tmp_path / "policy.yaml")
    assert len(sn.compliance()) == 1


def test_the_label_key_and_the_policy_come_from_settings_and_profiles(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SINCH_PROTECT_LABEL", "keep")
    reset_settings()
    assert settings().protect_label == "keep"
    with pytest.raises(sn.ValidationError, match=r"Sinch\.protect_label: must be 1\.\.255"):
        settings().protect_label = ""
    (tmp_path / "policy.yaml").write_text(POLICY)
    sn.save_profile(
        "guarded",
        key_id=sandbox.key_id,
        key_secret=sandbox.env()["SINCH_KEY_SECRET"],
        project_id=sandbox.project_id,
        api_url=sandbox.url,
        auth_url=sandbox.token_url,
        protect_label="do-not-delete",
        policy=str(tmp_path / "policy.yaml"),
    )
    client = sn.connect(profile="guarded")
    assert (client.protect_label, client.policy) == ("do-not-delete", str(tmp_path / "policy.yaml"))
    sp = client.create("Kept", {"do-not-delete": "true", "tier": "gold"})
    with pytest.raises(sn.ProtectedSubproject, match="label do-not-delete=true"):
        client.delete(sp.id)
    assert client.delete(client.create("Loose", {"keep": "true"}).id)  # the profile's key wins
    assert len(sn.compliance()) == 0


def test_a_resume_is_held_to_the_policy_active_now(
    cl: sn.SubprojectsClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    sp = cl.create("Acme", {"tier": "gold"})
    df = cl.frame().assign(**{"label.tier": "lead"})
    stopped = cl.plan(df).apply(progress=lambda *_: False)  # planned with no policy
    (tmp_path / "policy.yaml").write_text(POLICY)
    settings().policy = str(tmp_path / "policy.yaml")
    held = sn.resume(stopped.journal_path, progress=False)
    assert record(sandbox, sp.id)["labels"] == {"tier": "gold"}
    assert "policy: allowed (tier)" in str(held)
    sn.resume(stopped.journal_path, progress=False, allow_policy_violations=True)
    assert record(sandbox, sp.id)["labels"] == {"tier": "lead"}
    lines = journal_records(stopped.journal_path)
    assert "overrides" not in lines[0]["changes"][0]  # planned with none
    (resumed,) = [line for line in lines if line["type"] == "resume"]  # the first sent nothing
    assert list(resumed["overrides"].values()) == [["policy"]]
