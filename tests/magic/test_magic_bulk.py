"""%sinch plan / apply: review an edited DataFrame's changes, then apply them as reviewed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinch_notebook.bulk import ApplyResult, Plan
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, answer

EDIT = """
import pandas as pd
df = %sinch list
df = df.sort_values('subprojectId', ignore_index=True)
ids = list(df['subprojectId'][:3])
df.loc[0, 'displayName'] = 'Renamed by the magic'
df.loc[1, 'label.tier'] = 'platinum'
df['delete'] = False
df.loc[2, 'delete'] = True
df = pd.concat([df, pd.DataFrame({'displayName': ['Brand new'], 'label.region': ['apac']})],
               ignore_index=True)
"""


@pytest.fixture
def edited(ip: MagicShell, seeded: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Logged in to a seeded sandbox; `df` holds one rename, one relabel, one delete, one new."""
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    ip.ok(EDIT)
    return seeded


def server(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects()}


def test_plan_shows_the_changes(ip: MagicShell, edited: Sandbox) -> None:
    run = ip.ok("%sinch plan df -o p")
    plan = run.value
    assert isinstance(plan, Plan)
    assert ip.user_ns["p"] is plan
    assert plan.summary() == {
        "create": 1,
        "update": 2,
        "delete": 1,
        "conflict": 0,
        "invalid": 0,
    }
    assert "Renamed by the magic" in run.formatted["text/html"]
    assert "Renamed by the magic" in run.formatted["text/plain"]
    assert not plan.applied


def test_plan_takes_an_expression(ip: MagicShell, edited: Sandbox) -> None:
    plan = ip.ok('%sinch plan "df.head(2)"').value
    assert plan.summary()["update"] == 2
    assert plan.summary()["delete"] == 0


def test_plan_rejects_what_is_not_a_frame(ip: MagicShell, edited: Sandbox) -> None:
    assert ip.fails("%sinch plan nope").lines() == [
        "%sinch plan: the frame: there is no variable named 'nope'"
    ]
    assert ip.fails("%sinch plan ids").lines() == ["%sinch plan: 'ids' is a list, not a DataFrame"]
    assert "could not evaluate 'df[' (SyntaxError" in ip.fails('%sinch plan "df["').lines()[0]
    ip.ok("bad = df.drop(columns=['subprojectId', 'displayName'])")
    run = ip.fails("%sinch plan bad")
    assert run.lines() == [
        "%sinch plan: edited: needs a subprojectId column (to update or delete) or a "
        "displayName column (to create)"
    ]


def test_apply_asks_before_deleting_and_yes_applies(
    ip: MagicShell, edited: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ip.ok("%sinch plan df -o p")
    answer(monkeypatch, "yes")
    run = ip.ok("%sinch apply p -o result --no-progress")
    assert "Apply 4 changes, including 1 delete (there is no undelete)? [y/N] " in run.stdout
    result = run.value
    assert isinstance(result, ApplyResult)
    assert ip.user_ns["result"] is result
    assert result.ok
    assert result.counts["ok"] == 4
    ids = ip.user_ns["ids"]
    truth = server(edited)
    assert truth[ids[0]]["displayName"] == "Renamed by the magic"
    assert truth[ids[1]]["labels"]["tier"] == "platinum"
    assert truth[ids[2]]["deleted"] is True
    assert [r["labels"] for r in truth.values() if r["displayName"] == "Brand new"] == [
        {"region": "apac"}
    ]
    assert "Applied 4 changes" in run.formatted["text/html"]


def test_apply_cancelled_applies_nothing(
    ip: MagicShell, edited: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = server(edited)
    ip.ok("%sinch plan df -o p")
    answer(monkeypatch, "n")
    run = ip.ok("%sinch apply p")
    assert "Cancelled: nothing was applied." in run.stdout
    assert server(edited) == before
    assert not ip.user_ns["p"].applied


def test_apply_refuses_deletes_when_nobody_can_confirm(ip: MagicShell, edited: Sandbox) -> None:
    before = server(edited)
    ip.ok("%sinch plan df -o p")
    run = ip.fails("%sinch apply p")
    assert run.lines() == [
        "%sinch apply: not applying: the plan deletes 1 subproject and nobody can confirm in "
        "this non-interactive run; add --yes"
    ]
    assert server(edited) == before
    ok = ip.ok("%sinch apply p --yes --no-progress")
    assert ok.value.ok
    assert server(edited)[ip.user_ns["ids"][2]]["deleted"] is True


def test_apply_without_deletes_needs_no_confirmation(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("df['delete'] = False")
    ip.ok("%sinch plan df -o p")
    result = ip.ok("%sinch apply p --workers 2").value
    assert result.ok
    assert result.counts["ok"] == 3


def test_confirm_deletes_setting_off_applies_unattended(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("%config Sinch.confirm_deletes = False")
    ip.ok("%sinch plan df -o p")
    assert ip.ok("%sinch apply p --no-progress").value.ok


def test_apply_takes_only_a_reviewed_plan(ip: MagicShell, edited: Sandbox) -> None:
    assert ip.fails("%sinch apply df").lines() == [
        "%sinch apply: 'df' is a DataFrame; review its changes first: "
        "%sinch plan df -o p, then %sinch apply p"
    ]
    assert ip.fails("%sinch apply ids").lines() == ["%sinch apply: 'ids' is a list, not a plan"]
    assert ip.fails("%sinch apply missing").lines() == [
        "%sinch apply: the plan: there is no variable named 'missing'"
    ]


def test_a_plan_applies_once(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("%sinch plan df -o p")
    ip.ok("%sinch apply p --yes --no-progress")
    run = ip.fails("%sinch apply p --yes")
    assert "this plan was already applied" in run.lines()[0]


def test_nothing_to_apply(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("%sinch list -o same")
    ip.ok("%sinch plan same -o p")
    assert ip.ok("%sinch apply p").stdout == "Nothing to apply: the plan has no changes.\n"


def test_a_plan_of_only_conflicts_is_an_error(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("%sinch list -o mine")
    ip.ok("first = mine['subprojectId'][0]")
    ip.ok("%sinch update {first} --name Changed elsewhere")
    ip.ok("mine.loc[0, 'displayName'] = 'My change'")
    ip.ok("%sinch plan mine -o p")
    run = ip.fails("%sinch apply p")
    assert run.lines() == [
        "%sinch apply: nothing to apply: the plan has only 1 conflicts and 0 invalid rows (see "
        "the plan; %sinch plan --force applies rows changed on the server)"
    ]
    forced = ip.ok("%sinch plan mine --force -o p")
    assert forced.value.summary()["update"] == 1
    assert ip.ok("%sinch apply p --no-progress").value.ok


def test_mass_delete_needs_its_own_flag(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("df['delete'] = df['subprojectId'].notna() & (df.index < 12)")
    ip.ok("%sinch plan df -o p")
    before = server(edited)
    run = ip.fails("%sinch apply p --yes")
    assert run.lines() == [
        "%sinch apply: the plan deletes 12 subprojects (more than 10); review it, then add "
        "--allow-mass-delete"
    ]
    assert server(edited) == before
    result = ip.ok("%sinch apply p --yes --allow-mass-delete --no-progress").value
    assert result.ok
    assert (
        sum(r["deleted"] for r in server(edited).values())
        == sum(r["deleted"] for r in before.values()) + 12
    )


def test_partial_failure_shows_the_result_and_fails_the_cell(
    ip: MagicShell, edited: Sandbox
) -> None:
    ip.ok("%sinch plan df -o p")
    body = '{"error": {"code": 400, "message": "nope", "status": "INVALID_ARGUMENT"}}'
    edited.inject(400, method="PATCH", times=1, body=body)
    run = ip.fails("%sinch apply p --yes --workers 1 -o result --no-progress")
    result = ip.user_ns["result"]
    assert result.counts["ok"] == 3
    assert result.counts["failed"] == 1
    assert [line for line in run.lines() if line.startswith("%sinch")] == [
        "%sinch apply: 1 of 4 changes were not applied (1 failed); the result is in result: "
        "its .failed and .remaining are plans of what is left"
    ]
    assert run.error.result is result
    assert any("text/html" in shown for shown in run.displayed)  # the result, shown first
    assert ip.ok("%sinch plan df -o again").value.summary()["update"] == 1


def test_apply_writes_a_journal_unless_told_not_to(
    ip: MagicShell, edited: Sandbox, tmp_path: Path
) -> None:
    ip.ok("%sinch plan df -o p")
    ip.ok("%sinch apply p --yes --no-journal --no-progress")
    assert not list(tmp_path.glob(".sinch/*.jsonl"))
    ip.ok("%sinch list -o fresh")
    ip.ok("fresh.loc[0, 'displayName'] = 'Journaled'")
    ip.ok("%sinch plan fresh -o p2")
    result = ip.ok("%sinch apply p2 --no-progress").value
    assert result.journal_path is not None
    assert list(tmp_path.glob(".sinch/*.jsonl")) == [result.journal_path.resolve()]


def test_progress_bar_goes_to_stderr(ip: MagicShell, edited: Sandbox) -> None:
    ip.ok("%sinch plan df -o p")
    run = ip.ok("%sinch apply p --yes")
    assert "4/4" in run.stderr


def test_partial_failure_without_output_keeps_the_result_on_the_error(
    ip: MagicShell, edited: Sandbox
) -> None:
    ip.ok("%sinch plan df -o p")
    body = '{"error": {"code": 400, "message": "nope", "status": "INVALID_ARGUMENT"}}'
    edited.inject(400, method="PATCH", times=2, body=body)
    run = ip.fails("%sinch apply p --yes --no-progress")
    assert run.lines()[-1] == (
        "%sinch apply: 2 of 4 changes were not applied (2 failed); the result is in "
        "sys.last_value.result (-o VAR keeps it): its .failed and .remaining are plans of what "
        "is left"
    )
    retry = ip.ok("import sys\nretry = sys.last_value.result.failed\nretry")
    assert len(retry.value) == 2
    assert ip.ok("%sinch apply retry --no-progress").value.ok


# -- hints in the magic's words, and %sinch resume -------------------------------------------


def test_the_magics_plans_and_results_suggest_magic_commands(
    ip: MagicShell, edited: Sandbox
) -> None:
    run = ip.ok("%sinch plan df -o p")
    shown = run.formatted["text/plain"] + run.formatted["text/html"]
    assert "Apply with %sinch apply p." in shown and ".apply()" not in shown
    edited.inject(503, method="PATCH", times=100)
    ip.ok("%config Sinch.confirm_deletes = False")
    failed = ip.fails("%sinch apply p -o r --no-progress")
    text = failed.everything()
    assert "%sinch apply r.failed re-applies" in text and ".failed.apply()" not in text
    ip.ok("import sinch_notebook as sn; q = sn.plan(df)")  # a plan made in Python ...
    assert "Apply it with its .apply()." in str(ip.user_ns["q"])  # ... speaks Python


def test_resume_finishes_an_interrupted_apply_and_asks_before_deleting(
    ip: MagicShell, edited: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ip.ok("p = %sinch plan df")
    edited.latency = 0.2  # so the Ctrl-C below lands with changes still unsent
    stops = "def stop(done, total, counts):\n    if done >= 1:\n        raise KeyboardInterrupt"
    ip.ok(stops)
    ip.ok("r = p.apply(workers=1, progress=stop)")
    result = ip.user_ns["r"]
    assert result.interrupted and result.counts["skipped"] >= 1
    journal = result.journal_path
    pending_deletes = sum(
        1 for o in result.outcomes if o.status == "skipped" and o.change.op == "delete"
    )
    if pending_deletes:
        refused = ip.fails(f"%sinch resume {journal}")  # unattended: nobody can confirm
        assert "nobody can confirm" in refused.lines()[0]
        answer(monkeypatch, "y")
    done = ip.ok(f"%sinch resume {journal} -o again --no-progress")
    assert isinstance(done.value, ApplyResult) and done.value.ok
    assert done.value.earlier_done == result.counts["ok"]
    truth = server(edited)
    assert truth[ip.user_ns["ids"][2]]["deleted"]
    assert "Nothing to resume" in ip.ok(f"%sinch resume {journal}").stdout
