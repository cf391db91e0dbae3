"""%sinch snapshot / snapshots / diff / history in a real IPython shell, and in terminal IPython."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.kernel.test_magic_terminal import run_ipython
from tests.magic_shell import MagicShell


@pytest.fixture
def logged_in(ip: MagicShell, seeded: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    return seeded


def first_live(sb: Sandbox) -> str:
    return next(r["subprojectId"] for r in sb.subprojects() if not r["deleted"])


def test_snapshot_snapshots_and_diff(ip: MagicShell, logged_in: Sandbox, tmp_path: Path) -> None:
    run = ip.ok("%sinch snapshot -o first")
    snap = run.value
    assert isinstance(snap, sn.Snapshot) and ip.user_ns["first"] is snap
    assert (snap.id, snap.subprojects) == (1, 250)
    assert "Snapshot 1 of project 'demo-project'" in run.formatted["text/plain"]
    assert "sinch-snapshot" in run.formatted["text/html"]
    assert (tmp_path / ".sinch" / "history.sqlite").exists()  # the default, under the cwd

    sid = first_live(logged_in)
    ip.ok(f"%sinch update {sid} --name 'Renamed in the magic'")
    ip.ok("%sinch snapshot;")
    run = ip.ok("%sinch snapshots -o listed")
    frame = run.value
    assert isinstance(frame, pd.DataFrame) and list(frame["id"]) == [1, 2]
    assert ip.user_ns["listed"] is frame
    # Drawn as snapshots, not as a subproject listing (which said "showing 1 of 1 subproject").
    text = run.formatted["text/plain"].splitlines()
    assert text[0] == "2 snapshots of project demo-project in the history store"
    assert text[1].split() == [
        "Snapshot", "Taken", "Project", "Subprojects", "Live", "Deleted", "Changed"
    ]  # fmt: skip
    for row, line in zip(frame.itertuples(), text[2:], strict=True):
        counts = [row.project, row.subprojects, row.live, row.deleted, row.changed]
        assert line.split()[4:] == [str(v) for v in counts] and line.startswith(f"{row.id} ")
        assert " ".join(line.split()[1:4]) == f"{row.time:%Y-%m-%d %H:%M} UTC"
    page = run.formatted["text/html"]
    assert 'class="sinch-snapshots"' in page and "<th" in page and ">Changed</th>" in page
    assert "subproject" not in page.replace("Subprojects", "").replace("sinch-snapshots", "")

    run = ip.ok("%sinch diff 1 2 -o d")
    d = run.value
    assert isinstance(d, sn.Diff) and ip.user_ns["d"] is d
    assert [(r.change, r.subproject_id, r.after) for r in d.rows] == [
        ("renamed", sid, "Renamed in the magic")
    ]
    assert run.formatted["text/plain"].startswith("Diff of project 'demo-project', snapshot 1")
    assert "Renamed in the magic" in run.formatted["text/html"]
    assert "sinch-table" in run.formatted["text/html"]

    since = ip.ok("%sinch diff 1").value  # B defaults to now
    assert since.b.name == "now" and len(since) == 1
    assert len(ip.ok("%sinch diff latest now").value) == 0
    when = snap.time.isoformat()
    assert ip.ok(f"%sinch diff {when} latest").value.a == snap


def test_the_revert_goes_through_plan_review_and_apply(ip: MagicShell, logged_in: Sandbox) -> None:
    sid = first_live(logged_in)
    before = next(r for r in logged_in.subprojects() if r["subprojectId"] == sid)
    ip.ok("%sinch snapshot;")
    ip.ok(f"%sinch update {sid} --name Oops --label tier=wrong")
    ip.ok("%sinch diff 1 -o d")
    ip.ok("revert = d.revert()")
    ip.ok("%sinch apply revert --no-progress --no-journal")
    after = next(r for r in logged_in.subprojects() if r["subprojectId"] == sid)
    assert (after["displayName"], after["labels"]) == (before["displayName"], before["labels"])


def test_history_shows_one_subproject_over_time(ip: MagicShell, logged_in: Sandbox) -> None:
    sid = first_live(logged_in)
    ip.ok("%sinch snapshot;")
    ip.ok(f"%sinch update {sid} --name Later")
    ip.ok("%sinch snapshot;")
    run = ip.ok(f"%sinch history {sid} -o h")
    frame = run.value
    assert list(frame["displayName"])[-1] == "Later" and len(frame) == 2
    assert ip.user_ns["h"] is frame
    first = frame["displayName"].iloc[0]
    text = run.formatted["text/plain"].splitlines()
    assert text[0] == f"Subproject {sid}: 2 versions in the history store"
    assert text[1].split() == ["Snapshots", "First", "seen", "Name", "Labels", "Updated", "Change"]
    assert text[2].startswith("1 ") and first in text[2] and text[2].endswith("first seen")
    assert text[3].startswith("2 ") and "Later" in text[3]
    assert text[3].endswith(f"renamed from {first!r}")
    assert "(deleted)" not in run.formatted["text/plain"]
    page = run.formatted["text/html"]
    assert 'class="sinch-history"' in page and "Later" in page
    assert "renamed from" in page and "showing" not in page


def test_the_store_comes_from_config_or_the_store_option(
    ip: MagicShell, logged_in: Sandbox, tmp_path: Path
) -> None:
    configured = tmp_path / "configured.sqlite"
    ip.ok(f"%config Sinch.history = {str(configured)!r}")
    ip.ok("%sinch snapshot;")
    assert configured.exists() and not (tmp_path / ".sinch").exists()
    ip.ok(f"%sinch snapshot --store {tmp_path / 'option.sqlite'};")
    assert len(sn.snapshots(store=tmp_path / "option.sqlite")) == 1
    assert len(ip.ok("%sinch snapshots").value) == 1  # the configured one
    assert "Sinch.history=" in ip.ok("%config Sinch").stdout


def test_errors_are_one_line(ip: MagicShell, seeded: Sandbox, tmp_path: Path) -> None:
    assert ip.fails("%sinch snapshot").lines() == [
        "%sinch snapshot: not connected (no SINCH_* credentials are set): run %sinch login (your "
        "account), or %sinch login --sandbox (a local demo account)"
    ]
    assert ip.fails("%sinch diff 1").lines()[0].startswith("%sinch diff: not connected")
    assert ip.fails("%sinch diff").lines() == [
        "%sinch diff: missing: the snapshot to compare from (or a desired-state file, FILE.yaml) "
        "(see %sinch diff --help)"
    ]
    lines = ip.fails("%sinch diff 3 4").lines()
    assert lines == [f"%sinch diff: a: no snapshot 3 in {tmp_path / '.sinch' / 'history.sqlite'} "
                     "(it has none yet)"]  # fmt: skip
    notes = tmp_path / "notes.txt"
    notes.write_text("not a store")
    line = ip.fails(f"%sinch snapshots --store {notes}").lines()
    assert line == [
        f"%sinch snapshots: store: {notes} is not a history store (not a SQLite database); "
        "it was left untouched"
    ]
    assert notes.read_text() == "not a store"
    assert (
        ip.fails("%sinch history NOPE")
        .lines()[0]
        .startswith("%sinch history: subproject_id: no snapshot in")
    )


def test_help_lists_the_history_commands(ip: MagicShell) -> None:
    out = ip.ok("%sinch help").stdout
    for name in ("snapshot", "snapshots", "diff", "history"):
        assert any(line.strip().startswith(f"{name} ") for line in out.splitlines())
    assert "'latest', or 'now'" in ip.ok("%sinch diff --help").stdout


TERMINAL = """\
%load_ext sinch_notebook
%sinch login --sandbox
shown = %sinch snapshots
display(shown)
shown = %sinch diff latest
display(shown)
%sinch update {sid} --name "Changed in process two"
shown = %sinch diff latest
display(shown)
"""


def test_terminal_ipython_shows_text_and_reads_another_process_s_snapshots(
    tmp_path: Path,
) -> None:
    script = (
        "%load_ext sinch_notebook\n%sinch login --sandbox\nsnap = %sinch snapshot\ndisplay(snap)\n"
    )
    first = run_ipython(tmp_path, script)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Snapshot 1 of project 'demo-project'" in first.stdout
    with Sandbox(subprojects=120) as demo:  # the demo account is the same in every process
        sid = first_live(demo)
    second = run_ipython(tmp_path, TERMINAL.format(sid=sid))
    assert second.returncode == 0, second.stdout + second.stderr
    out = second.stdout
    assert "demo-project" in out and "<table" not in out and "<div" not in out
    assert "snapshot 1 (" in out and "-> now (" in out
    assert ": no changes." in out  # the demo account in process two matches process one's
    assert f"~ renamed       {sid} 'Changed in process two'" in out
