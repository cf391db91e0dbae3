"""%sinch dump / diff FILE.yaml / sync FILE in a real IPython shell, against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.helpers import journal_records
from tests.magic_shell import MagicShell, answer


@pytest.fixture
def logged_in(ip: MagicShell, seeded: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    return seeded


def live(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects() if not r["deleted"]}


def test_dump_diff_and_sync(ip: MagicShell, logged_in: Sandbox, tmp_path: Path) -> None:
    run = ip.ok("%sinch dump -o subprojects.yaml")
    count = len(live(logged_in))
    assert f"Wrote {count} subprojects of project demo-project to subprojects.yaml" in run.text
    path = tmp_path / "subprojects.yaml"
    assert sn.desired(path).state.project == "demo-project"

    run = ip.ok("%sinch diff subprojects.yaml -o d")
    d = ip.user_ns["d"]
    assert isinstance(d, sn.DesiredDiff) and run.value is d and d.in_sync
    assert run.formatted["text/plain"].splitlines()[0] == (
        f"{count} managed, 0 differ, 0 unmanaged, 0 missing, coverage 100%"
    )
    assert "sinch-desired" in run.formatted["text/html"]

    path.write_text(path.read_text().replace("\n    name: ", "\n    name: X ", 1))
    run = ip.ok("%sinch sync subprojects.yaml")
    assert "1 differ" in run.formatted["text/plain"]
    assert "Apply it with %sinch sync subprojects.yaml --doit." in run.formatted["text/plain"]
    assert not [r for r in live(logged_in).values() if r["displayName"].startswith("X ")]

    run = ip.ok("%sinch sync subprojects.yaml --doit --no-progress -o synced")
    synced = ip.user_ns["synced"]
    assert synced.ok and synced.snapshot is not None and synced.result.counts["ok"] == 1
    assert [r for r in live(logged_in).values() if r["displayName"].startswith("X ")]
    assert "Recorded snapshot 1 as this sync" in run.formatted["text/plain"]
    assert ip.ok("%sinch diff subprojects.yaml").value.in_sync


def test_plain_dump_prints_the_file(ip: MagicShell, logged_in: Sandbox) -> None:
    run = ip.ok("%sinch dump")
    assert run.stdout.startswith("# The account as code") and "project: demo-project" in run.text


def test_diff_of_snapshots_still_works(ip: MagicShell, logged_in: Sandbox) -> None:
    ip.ok("%sinch snapshot;")
    run = ip.ok("%sinch diff 1")
    assert isinstance(run.value, sn.Diff)


def test_sync_asks_before_deleting(
    ip: MagicShell, logged_in: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep = sorted(live(logged_in))[:-2]
    (tmp_path / "s.yaml").write_text(
        "project: demo-project\nunmanaged: delete\nsubprojects:\n"
        + "".join(f"  - id: {sid}\n" for sid in keep)
    )
    answer(monkeypatch, "n")
    run = ip.ok("%sinch sync s.yaml --doit --no-progress")
    assert "Cancelled: nothing was applied." in run.text
    assert len(live(logged_in)) == len(keep) + 2
    answer(monkeypatch, "y")
    ip.ok("%sinch sync s.yaml --doit --no-progress")
    assert sorted(live(logged_in)) == keep


def test_sync_holds_the_guard_rails_and_the_flags_override_them(
    ip: MagicShell, logged_in: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jewels = logged_in.connect(activate=False).create("Crown Jewels", {"protected": "true"})
    keep = sorted(sid for sid in live(logged_in) if sid != jewels.id)
    (tmp_path / "s.yaml").write_text(
        "project: demo-project\nunmanaged: delete\npolicy: {required: [tier]}\nsubprojects:\n"
        + "".join(f"  - id: {sid}\n" for sid in keep)
        + "  - {name: Globex, key: {customer-id: C-1}}\n"
    )
    text = ip.ok("%sinch diff s.yaml").formatted["text/plain"]
    assert "protected by the label protected=true: deleting it is refused" in text
    assert "policy: required (tier): label 'tier' is required" in text
    assert "%sinch sync s.yaml --doit --allow-protected sends them anyway" in text
    ip.ok("%sinch sync s.yaml --doit --no-progress")
    assert jewels.id in live(logged_in)
    assert "Globex" not in {r["displayName"] for r in logged_in.subprojects()}

    run = ip.ok("%sinch diff s.yaml --allow-protected --allow-policy-violations -o d")
    assert "allowed although protected (allow_protected)" in run.formatted["text/plain"]
    answer(monkeypatch, "y")  # the protected one's delete is asked about, as every delete
    run = ip.ok(
        "%sinch sync s.yaml --doit --no-progress --allow-protected --allow-policy-violations "
        "-o synced"
    )
    assert "Apply 2 changes, including 1 delete (there is no undelete)?" in run.text
    changes = journal_records(ip.user_ns["synced"].result.journal_path)[0]["changes"]
    assert sorted(c["overrides"] for c in changes) == [["policy"], ["protected"]]
    assert jewels.id not in live(logged_in)
    assert "Globex" in {r["displayName"] for r in live(logged_in).values()}
    run = ip.fails("%sinch diff 1 --allow-protected")
    assert "--allow-protected is for a desired-state file" in run.text


def test_a_broken_file_is_one_line(ip: MagicShell, logged_in: Sandbox, tmp_path: Path) -> None:
    text = "project: demo-project\nsubprojects:\n  - id: A\n    nmae: x\n"
    (tmp_path / "s.yaml").write_text(text)
    run = ip.fails("%sinch diff s.yaml")
    assert "s.yaml: line 4: subproject: unknown key 'nmae'; did you mean name?" in run.text
    run = ip.fails("%sinch sync s.yaml --doit")
    assert "line 4" in run.text


def test_tab_completes_desired_state_files(ip: MagicShell, tmp_path: Path) -> None:
    from sinch_notebook.magic.completion import complete

    (tmp_path / "subprojects.yaml").write_text("project: p\n")
    (tmp_path / "subprojects.json").write_text("{}")
    _, found = complete("%sinch sync sub", {})
    assert found == [("subprojects.yaml", "desired-state file")]
    _, found = complete("%sinch dump --update sub", {})
    assert found == [("subprojects.yaml", "desired-state file")]
