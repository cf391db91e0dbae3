"""`sinch-notebook plan show FILE` and `sinch-notebook apply FILE`, run as real subprocesses against
a sandbox, with the [y/N] question answered through standard input (issue 20)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

SECRET = "cli-plan-s3cr3t-Never-Shown"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(subprojects=20, seed=5, retry_after=0, key_secret=SECRET) as sandbox:
        yield sandbox


def cli(
    sb: Sandbox, *args: str, answer: str | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env.update(sb.env())
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", *args],
        input=answer if answer is not None else "",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def saved_plan(sb: Sandbox, path: Path, *, updates: int = 2) -> list[str]:
    """Save a plan renaming `updates` live subprojects; their ids."""
    client = sb.connect(retry=FAST_RETRY, activate=False)
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out.loc[: updates - 1, "displayName"] = [f"Renamed {i}" for i in range(updates)]
    client.plan(out).save(path)
    return list(out.loc[: updates - 1, "subprojectId"])


def names(sb: Sandbox) -> dict[str, str]:
    return {r["subprojectId"]: r["displayName"] for r in sb.subprojects()}


def test_plan_show_prints_the_review(sb: Sandbox, tmp_path: Path) -> None:
    ids = saved_plan(sb, tmp_path / "change.json")
    shown = cli(sb, "plan", "show", "change.json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Plan: 0 to create, 2 to update, 0 to delete" in shown.stdout
    assert ids[0] in shown.stdout and "'Renamed 0'" in shown.stdout
    assert "project demo-project at " + sb.url in shown.stdout
    assert "Apply with sinch-notebook apply change.json." in shown.stdout
    markdown = cli(sb, "plan", "show", "change.json", "--markdown", cwd=tmp_path)
    assert "| ~ update | " + ids[0] in markdown.stdout
    (tmp_path / "bad.json").write_text("{}")
    bad = cli(sb, "plan", "show", "bad.json", cwd=tmp_path)
    assert bad.returncode == 1 and "bad.json: not a plan file" in bad.stderr


def test_apply_answered_no_sends_nothing(sb: Sandbox, tmp_path: Path) -> None:
    saved_plan(sb, tmp_path / "change.json")
    before = names(sb)
    run = cli(sb, "apply", "change.json", answer="n\n", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "Apply 2 changes to project demo-project? [y/N]" in run.stdout
    assert "Cancelled: nothing was applied." in run.stdout
    assert names(sb) == before
    assert not (tmp_path / "change.journal.jsonl").exists()


def test_apply_answered_yes_applies_with_per_row_results(sb: Sandbox, tmp_path: Path) -> None:
    ids = saved_plan(sb, tmp_path / "change.json")
    run = cli(sb, "apply", "change.json", answer="y\n", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"ok       update {ids[0]} 'Renamed 0'" in run.stdout
    assert "Applied 2 changes" in run.stdout
    assert "apply:" in run.stderr  # the progress bar (tqdm writes to standard error)
    assert names(sb)[ids[1]] == "Renamed 1"
    assert (tmp_path / "change.journal.jsonl").exists()
    again = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert again.returncode == 1 and "change.json was already applied" in again.stderr
    for text in (run.stdout, run.stderr, again.stdout, again.stderr):
        assert SECRET not in text


def test_apply_refuses_a_stale_plan_before_asking(sb: Sandbox, tmp_path: Path) -> None:
    ids = saved_plan(sb, tmp_path / "change.json")
    sb.connect(activate=False).update(ids[0], display_name="A colleague")
    run = cli(sb, "apply", "change.json", answer="y\n", cwd=tmp_path)
    assert run.returncode == 1
    assert "[y/N]" not in run.stdout
    assert "is stale" in run.stderr and "A colleague" in run.stderr
    assert names(sb)[ids[1]] != "Renamed 1"


def test_apply_needs_allow_mass_update_for_a_mass_update(sb: Sandbox, tmp_path: Path) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    count = int(live * 0.3) + 1
    ids = saved_plan(sb, tmp_path / "change.json", updates=count)
    refused = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert refused.returncode == 1
    assert f"updates {count} of the project's {live} live subprojects" in refused.stderr
    assert "--allow-mass-update is required" in refused.stdout  # the review says so first
    assert names(sb)[ids[0]] != "Renamed 0"
    run = cli(
        sb, "apply", "change.json", "--yes", "--allow-mass-update", "--no-progress", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert names(sb)[ids[0]] == "Renamed 0"


def test_apply_with_nobody_to_answer_sends_nothing(sb: Sandbox, tmp_path: Path) -> None:
    saved_plan(sb, tmp_path / "change.json")
    before = names(sb)
    run = cli(sb, "apply", "change.json", cwd=tmp_path)  # standard input closed at once
    assert run.returncode == 1 and "nobody answered" in run.stderr
    assert names(sb) == before


def test_pandas_is_not_needed_to_parse_the_command_line() -> None:
    code = (
        "import sys, sinch_notebook.cli.commands as c; c.build_parser(); "
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert pd is not None


def test_apply_counts_the_live_subprojects_not_the_files_own_size(
    sb: Sandbox, tmp_path: Path
) -> None:
    """A file whose project size was set to null (checksum recomputed, as anyone can) still
    needs --allow-mass-update: the rule counts the listing the stale check makes."""
    import json

    from sinch_notebook.bulk.planfile import checksum

    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    count = int(live * 0.3) + 1
    path = tmp_path / "change.json"
    ids = saved_plan(sb, path, updates=count)
    document = json.loads(path.read_text())
    document.update(server_size=None, live_size=None)
    document["needs"] = {"allow_mass_delete": False, "allow_mass_update": False}
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))
    refused = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert refused.returncode == 1
    assert f"updates {count} of the project's {live} live subprojects" in refused.stderr
    assert names(sb)[ids[0]] != "Renamed 0"


def test_plan_show_never_lets_a_label_key_rewrite_the_terminal(sb: Sandbox, tmp_path: Path) -> None:
    """A label key holding ESC sequences (on the server, in an ordinary plan) that would move
    the cursor up and rewrite the headline as "0 to delete" is shown as escapes."""
    client = sb.connect(retry=FAST_RETRY, activate=False)
    trick = "\x1b[1A\x1b[2K\rPlan: 0 to create, 0 to update, 0 to delete."
    target = client.create("Tricky", {trick: "v"})
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out["delete"] = False
    out.loc[out["subprojectId"] != target.id, "delete"] = [True] + [False] * (len(out) - 2)
    out.loc[out["subprojectId"] == target.id, f"label.{trick}"] = "w"
    client.plan(out).save(tmp_path / "change.json")
    shown = cli(sb, "plan", "show", "change.json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\r" not in shown.stdout
    assert "\\x1b[1A" in shown.stdout and "1 to delete" in shown.stdout
    assert "invisible or control characters" in shown.stdout


def test_an_applied_plan_is_shown_as_applied_and_apply_refuses_before_any_review(
    sb: Sandbox, tmp_path: Path
) -> None:
    saved_plan(sb, tmp_path / "change.json")
    assert cli(sb, "apply", "change.json", "--yes", "--no-progress", cwd=tmp_path).returncode == 0
    shown = cli(sb, "plan", "show", "change.json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Apply with" not in shown.stdout
    assert "Applied already (or being applied): its journal " in shown.stdout
    again = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert again.returncode == 1 and "change.json was already applied" in again.stderr
    assert again.stdout == ""  # no review ending "Apply with ..." before the refusal


def test_the_mass_update_refusal_names_the_command_line_option(sb: Sandbox, tmp_path: Path) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    saved_plan(sb, tmp_path / "change.json", updates=int(live * 0.3) + 1)
    refused = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert refused.returncode == 1
    assert "sinch-notebook apply change.json --allow-mass-update is required" in refused.stderr
    assert "allow_mass_update" not in refused.stderr


def test_a_stale_plan_is_planned_again_from_the_command_line(sb: Sandbox, tmp_path: Path) -> None:
    ids = saved_plan(sb, tmp_path / "change.json")
    sb.connect(activate=False).update(ids[0], display_name="A colleague")
    stale = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert stale.returncode == 1
    assert "sinch-notebook plan replan change.json makes a new plan" in stale.stderr
    assert "plan.replan()" not in stale.stderr
    replanned = cli(sb, "plan", "replan", "change.json", cwd=tmp_path)
    assert replanned.returncode == 0, replanned.stderr
    assert "saved as change-replanned.json" in replanned.stdout
    assert "Apply with sinch-notebook apply change-replanned.json." in replanned.stdout
    run = cli(sb, "apply", "change-replanned.json", "--yes", "--no-progress", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert names(sb)[ids[0]] == "Renamed 0" and names(sb)[ids[1]] == "Renamed 1"


def test_a_hand_edited_plan_is_shown_marked_as_edited_and_never_applied(
    sb: Sandbox, tmp_path: Path
) -> None:
    ids = saved_plan(sb, tmp_path / "change.json")
    path = tmp_path / "change.json"
    path.write_text(path.read_text().replace("Renamed 1", "Sneaked in"))
    shown = cli(sb, "plan", "show", "change.json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "EDITED: its checksum does not match its content" in shown.stdout
    assert "'Sneaked in'" in shown.stdout and "It cannot be applied: it was edited." in shown.stdout
    assert "Apply with" not in shown.stdout
    run = cli(sb, "apply", "change.json", "--yes", cwd=tmp_path)
    assert run.returncode == 1 and "checksum does not match" in run.stderr
    assert names(sb)[ids[1]] not in ("Renamed 1", "Sneaked in")


def test_plan_show_into_a_closed_pipe_ends_quietly(sb: Sandbox, tmp_path: Path) -> None:
    """`sinch-notebook plan show FILE | head -3`: the reader goes away; no traceback."""
    saved_plan(sb, tmp_path / "change.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    proc = subprocess.Popen(
        [sys.executable, "-m", "sinch_notebook.cli", "plan", "show", "change.json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    proc.stdout.close()  # before the command has written anything (it is still importing)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert proc.returncode == 141


def test_snapshot_without_a_project_says_what_to_set(sb: Sandbox, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    env.update({k: v for k, v in sb.env().items() if k != "SINCH_PROJECT_ID"})
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["HOME"] = str(tmp_path)  # no saved profiles
    run = subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", "snapshot", "--store", "h.sqlite"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert run.returncode == 1
    assert "no parent project ID: set SINCH_PROJECT_ID" in run.stderr
    assert "--profile NAME" in run.stderr and "project_id=" not in run.stderr
