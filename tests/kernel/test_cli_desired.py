"""`sinch-notebook dump`, `diff FILE` and `sync FILE`, run as real subprocesses against a sandbox:
the exit codes cron and CI read (0 in sync, 2 different, 1 error), Markdown, saved plans."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sinch_notebook.cli import main
from sinch_notebook.sandbox import Sandbox
from tests.helpers import save_sandbox_profile

SECRET = "cli-desired-s3cr3t-Never-Shown"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(subprojects=20, seed=8, retry_after=0, key_secret=SECRET) as sandbox:
        yield sandbox


def cli(sb: Sandbox | None, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    if sb is not None:
        env.update(sb.env())
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", *args],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    assert SECRET not in done.stdout + done.stderr
    return done


def live(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects() if not r["deleted"]}


def test_dump_diff_sync_and_the_exit_codes(sb: Sandbox, tmp_path: Path) -> None:
    done = cli(sb, "dump", "-o", "subprojects.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"Wrote {len(live(sb))} subprojects of project demo-project" in done.stdout
    path = tmp_path / "subprojects.yaml"
    assert cli(sb, "dump", cwd=tmp_path).stdout == path.read_text()

    done = cli(sb, "diff", "subprojects.yaml", "--exit-code", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"{len(live(sb))} managed, 0 differ, 0 unmanaged, 0 missing, coverage 100%"
    )

    path.write_text(path.read_text().replace("\n    name: ", "\n    name: Renamed ", 1))
    done = cli(sb, "diff", "subprojects.yaml", "--exit-code", cwd=tmp_path)
    assert done.returncode == 2 and "1 differ" in done.stdout
    assert "Apply it with sinch-notebook sync subprojects.yaml --doit." in done.stdout
    assert cli(sb, "diff", "subprojects.yaml", cwd=tmp_path).returncode == 0  # no --exit-code

    done = cli(sb, "diff", "subprojects.yaml", "--markdown", cwd=tmp_path)
    assert (
        done.stdout.startswith(f"**{len(live(sb))} managed, 1 differ")
        and "| ~ update |" in done.stdout
    )

    done = cli(sb, "sync", "subprojects.yaml", cwd=tmp_path)
    assert done.returncode == 0 and "Nothing was changed" in done.stdout
    assert not [r for r in live(sb).values() if r["displayName"].startswith("Renamed ")]

    done = cli(sb, "sync", "subprojects.yaml", "--doit", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Recorded snapshot 1 as this sync" in done.stdout
    assert [r for r in live(sb).values() if r["displayName"].startswith("Renamed ")]
    assert cli(sb, "diff", "subprojects.yaml", "--exit-code", cwd=tmp_path).returncode == 0


def test_a_saved_diff_is_applied_by_apply(sb: Sandbox, tmp_path: Path) -> None:
    sid = sorted(live(sb))[0]
    (tmp_path / "s.yaml").write_text(
        f"project: demo-project\nunmanaged: ignore\nsubprojects:\n  - {{id: {sid}, name: CI}}\n"
    )
    done = cli(sb, "diff", "s.yaml", "--save", "change.json", "--exit-code", cwd=tmp_path)
    assert done.returncode == 2 and "Saved the plan to change.json" in done.stderr
    done = cli(sb, "apply", "change.json", "--yes", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert live(sb)[sid]["displayName"] == "CI"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("project: demo-project\nsubprojects:\n  - id: A\n    lables: {}\n", "did you mean"),
        ("project: other-project\nsubprojects: []\n", "describes project other-project"),
        ("project: demo-project\nsubprojects: [\n", "is not valid YAML"),
        ("project: demo-project\npolicy:\n  keys: {pattern: '['}\n", "policy: keys: bad regular"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_1(
    sb: Sandbox, tmp_path: Path, text: str, words: str
) -> None:
    (tmp_path / "s.yaml").write_text(text)
    sb.reset_stats()
    for command in (["diff", "s.yaml", "--exit-code"], ["sync", "s.yaml", "--doit"]):
        done = cli(sb, *command, cwd=tmp_path)
        assert done.returncode == 1 and done.stdout == ""
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"sinch-notebook {command[0]}: s.yaml: line ") and words in line
    assert sb.stats["requests"] == 0


def test_sync_holds_the_guard_rails_and_the_flags_override_them(
    sb: Sandbox, tmp_path: Path
) -> None:
    client = sb.connect(activate=False)
    jewels = client.create("Crown Jewels", {"protected": "true"})
    keep = sorted(sid for sid in live(sb) if sid != jewels.id)
    (tmp_path / "s.yaml").write_text(
        "project: demo-project\nunmanaged: delete\npolicy: {required: [tier]}\nsubprojects:\n"
        + "".join(f"  - id: {sid}\n" for sid in keep)
        + "  - {name: Globex, key: {customer-id: C-1}}\n"
    )
    done = cli(sb, "diff", "s.yaml", "--exit-code", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "protected by the label protected=true: deleting it is refused" in done.stdout
    assert "policy: required (tier): label 'tier' is required" in done.stdout
    assert "sinch-notebook sync s.yaml --doit --allow-protected sends them anyway" in done.stdout

    sb.reset_stats()
    done = cli(sb, "sync", "s.yaml", "--doit", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0 and "1 invalid, 1 refused" in done.stdout, done.stderr
    assert jewels.id in live(sb) and "Globex" not in {r["displayName"] for r in sb.subprojects()}
    assert not {"delete", "create"} & set(sb.stats["operations"])

    done = cli(sb, "diff", "s.yaml", "--allow-protected", "--allow-policy-violations",
               cwd=tmp_path)  # fmt: skip
    assert "allowed although protected (allow_protected)" in done.stdout, done.stderr
    done = cli(
        sb, "sync", "s.yaml", "--doit", "--no-progress", "--allow-protected",
        "--allow-policy-violations", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert jewels.id not in live(sb)
    assert "Globex" in {r["displayName"] for r in live(sb).values()}


def test_a_fifo_is_refused(sb: Sandbox, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "s.yaml")
    done = cli(sb, "diff", "s.yaml", "--exit-code", cwd=tmp_path)
    assert done.returncode == 1 and "s.yaml: is not a regular file" in done.stderr


def test_profile_and_no_credentials(
    sb: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = cli(None, "dump", cwd=tmp_path)
    assert done.returncode == 1 and "no credentials" in done.stderr
    save_sandbox_profile(sb, "prod", secret=SECRET)  # the keychain is this process's
    assert main(["dump", "--profile", "prod"]) == 0
    out = capsys.readouterr().out
    assert "project: demo-project" in out and SECRET not in out
