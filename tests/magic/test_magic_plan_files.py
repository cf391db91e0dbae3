"""%sinch plan FRAME --save FILE, %sinch show FILE, %sinch apply FILE, and the mass-update rule in
the magic (issue 20), in a real IPython shell against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sinch_notebook.bulk import Plan
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell

EDIT = """
df = %sinch list
df = df.sort_values('subprojectId', ignore_index=True)
ids = list(df['subprojectId'][:2])
df.loc[0, 'displayName'] = 'Renamed from a file'
df.loc[1, 'label.tier'] = 'platinum'
"""


@pytest.fixture
def sb(ip: MagicShell, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(subprojects=20, seed=9, retry_after=0) as sandbox:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        ip.ok("%sinch login")
        yield sandbox


def names(sb: Sandbox) -> dict[str, str]:
    return {r["subprojectId"]: r["displayName"] for r in sb.subprojects()}


def test_save_show_and_apply_a_plan_file(ip: MagicShell, sb: Sandbox, tmp_path: Path) -> None:
    ip.ok(EDIT)
    saved = ip.ok("%sinch plan df --save change.json -o p")
    assert "Saved the plan to change.json" in saved.stdout
    assert (tmp_path / "change.json").exists()
    shown = ip.ok("%sinch show change.json")
    assert isinstance(shown.value, Plan) and str(shown.value) == str(ip.user_ns["p"])
    assert "Plan file " in shown.stdout and "project demo-project" in shown.stdout
    assert "Apply with %sinch apply change.json." in shown.formatted["text/plain"]
    run = ip.ok("%sinch apply change.json --no-progress -o r")
    assert ip.user_ns["r"].ok
    sid = ip.user_ns["ids"][0]
    assert names(sb)[sid] == "Renamed from a file"
    assert (tmp_path / "change.journal.jsonl").exists()
    assert run.error is None
    again = ip.fails("%sinch apply change.json")
    assert "already applied" in again.text and "change.journal.jsonl" in again.text


def test_a_stale_plan_file_is_refused(ip: MagicShell, sb: Sandbox) -> None:
    ip.ok(EDIT)
    ip.ok("%sinch plan df --save change.json")
    sid = ip.user_ns["ids"][0]
    sb.connect(activate=False).update(sid, display_name="Changed meanwhile")
    refused = ip.fails("%sinch apply change.json")
    assert "is stale" in refused.text and "Changed meanwhile" in refused.text
    assert names(sb)[sid] == "Changed meanwhile"


def test_show_refuses_a_file_that_is_not_a_plan(ip: MagicShell, sb: Sandbox, tmp_path) -> None:
    (tmp_path / "notes.json").write_text("[1, 2]")
    refused = ip.fails("%sinch show notes.json")
    assert "notes.json: not a plan file" in refused.text


def test_mass_update_needs_the_option(ip: MagicShell, sb: Sandbox) -> None:
    ip.ok("df = %sinch list")
    ip.ok("df['label.tier'] = 'relabelled'  # meant: df['label.tier'].fillna('relabelled')")
    ip.ok("%sinch plan df -o p")
    plan = ip.user_ns["p"]
    assert plan.needs_mass_update_permission
    assert "--allow-mass-update is required" in str(plan)
    refused = ip.fails("%sinch apply p")
    live = plan.live_size
    assert f"updates {plan.updates} of the project's {live} live subprojects" in refused.text
    assert "--allow-mass-update" in refused.text
    assert all(r["labels"].get("tier") != "relabelled" for r in sb.subprojects())
    done = ip.ok("%sinch apply p --allow-mass-update --no-progress -o r")
    assert done.error is None and ip.user_ns["r"].ok
