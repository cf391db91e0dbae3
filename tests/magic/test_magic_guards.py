"""The guard rails in `%sinch` (a real IPython shell, the sandbox over HTTP): delete, update,
plan, apply and resume refuse a protected subproject unless `--allow-protected`; protect and
unprotect are reviewed plans; `compliance` reports on the label policy (issue 29)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinch_notebook.sandbox import Sandbox
from tests.helpers import journal_records
from tests.magic_shell import MagicShell, answer


@pytest.fixture
def on_empty(ip: MagicShell, sandbox_env: Sandbox, tmp_path: Path, monkeypatch) -> Sandbox:
    monkeypatch.chdir(tmp_path)
    ip.ok("%sinch login")
    return sandbox_env


def record(sb: Sandbox, sid: str) -> dict:
    return next(r for r in sb.subprojects() if r["subprojectId"] == sid)


def test_delete_of_a_protected_one_is_refused_before_asking_or_sending(
    ip: MagicShell, on_empty: Sandbox
) -> None:
    sp = ip.ok("%sinch create Jewels --label protected=true").value
    on_empty.reset_stats()
    run = ip.fails(f"%sinch delete {sp.id} --yes")
    assert f"'Jewels' ({sp.id}) is protected by the label protected=true" in run.text
    assert "--allow-protected" in run.text
    assert on_empty.stats["operations"] == {"get": 1}
    assert not record(on_empty, sp.id)["deleted"]
    ip.fails(f"%sinch update {sp.id} --name Other")
    assert record(on_empty, sp.id)["displayName"] == "Jewels"


def test_allow_protected_deletes_after_the_question(
    ip: MagicShell, on_empty: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = ip.ok("%sinch create Jewels --label protected=true").value
    answer(monkeypatch, "y")
    run = ip.ok(f"%sinch delete {sp.id} --allow-protected")
    assert f"Deleted 'Jewels' ({sp.id})." in run.stdout
    assert record(on_empty, sp.id)["deleted"]


def test_protect_is_a_reviewed_plan_then_plan_and_apply_respect_it(
    ip: MagicShell, on_empty: Sandbox
) -> None:
    a = ip.ok("%sinch create Alpha").value
    b = ip.ok("%sinch create Beta").value
    review = ip.ok(f"%sinch protect {a.id} -o p")
    assert "label.protected: + 'true'" in review.everything()
    assert record(on_empty, a.id)["labels"] == {}  # reviewed, not sent
    ip.ok("%sinch apply p --no-progress")
    assert record(on_empty, a.id)["labels"] == {"protected": "true"}

    ip.ok("df = %sinch list")
    ip.ok("df['delete'] = True")
    shown = ip.ok("%sinch plan df -o q").everything()
    assert "1 refused" in shown and "%sinch apply q --allow-protected sends them anyway" in shown
    run = ip.fails("%sinch apply q --yes --no-progress")  # the refused row is not applied
    assert "1 of 2 changes were not applied (1 skipped)" in run.text
    assert record(on_empty, b.id)["deleted"] and not record(on_empty, a.id)["deleted"]

    ip.ok("df = %sinch list")
    ip.ok("df['delete'] = True")
    ip.ok("%sinch plan df -o r")
    result = ip.ok("%sinch apply r --yes --no-progress --allow-protected -o done").value
    assert record(on_empty, a.id)["deleted"]
    first = journal_records(result.journal_path)[0]
    assert [c["overrides"] for c in first["changes"]] == [["protected"]]


def test_unprotect_then_delete(ip: MagicShell, on_empty: Sandbox) -> None:
    sp = ip.ok("%sinch create Jewels --label protected=true").value
    ip.ok(f"%sinch unprotect {sp.id} -o u")
    ip.ok("%sinch apply u --no-progress")
    ip.ok(f"%sinch delete {sp.id} --yes")
    assert record(on_empty, sp.id)["deleted"]


def test_plan_allow_policy_violations_and_compliance(
    ip: MagicShell, on_empty: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "policy.yaml").write_text("allowed: {tier: [gold, silver]}\n")
    sp = ip.ok("%sinch create Acme --label tier=gold").value
    ip.ok(f"%config Sinch.policy = '{tmp_path / 'policy.yaml'}'")
    ip.ok("df = %sinch list")
    ip.ok("df['label.tier'] = 'lead'")
    shown = ip.ok("%sinch plan df -o p").everything()
    assert "policy: allowed (tier): tier='lead' is not allowed (one of gold, silver)" in shown
    run = ip.fails("%sinch apply p --no-progress")
    assert "nothing to apply" in run.text
    ip.ok("%sinch apply p --no-progress --allow-policy-violations")
    assert record(on_empty, sp.id)["labels"] == {"tier": "lead"}

    run = ip.ok("%sinch compliance -o report")
    assert "Checked 1 subproject against" in run.stdout and "1 violate it" in run.stdout
    assert ip.user_ns["report"][["rule", "key", "value"]].values.tolist() == [
        ["allowed", "tier", "lead"]
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("allowed: {tier: {pattern: '('}}\n")
    run = ip.fails(f"%sinch compliance --policy {bad}")
    assert f"{bad}, line 1: allowed.tier: bad regular expression" in run.text
