"""How `%sinch list` shows a listing: for analysts, in text (terminal) and HTML (Jupyter)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path, seeded: Sandbox):
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    for shell in magic_shell(monkeypatch, tmp_path):
        shell.ok("%sinch login")
        yield shell


def test_the_listing_reads_like_a_report(ip: MagicShell) -> None:
    ip.ok("%config Sinch.display_limit = 5")
    run = ip.ok("df = %sinch list\ndf")
    frame = ip.user_ns["df"]
    text = run.formatted["text/plain"]
    heading, titles, *rows = text.splitlines()
    assert heading.startswith("Project demo-project · showing 5 of")  # the parent, once
    assert titles.split() == ["Name", "Labels", "Updated", "Created", "ID"]
    assert len(rows) == 5  # display_limit = 5 shows 5 rows, not 4
    assert "demo-project" not in "\n".join(rows)
    first = frame.iloc[0]
    assert rows[0].startswith(first["displayName"])
    assert "UTC" in rows[0] and "+00:00" not in text
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", text)  # no microseconds
    assert rows[0].rstrip().endswith(first["subprojectId"])
    key = next(c for c in frame.columns if c.startswith("label."))
    if not frame[key].isna().iloc[0]:
        assert f"{key[6:]}={frame[key].iloc[0]}" in rows[0]  # labels next to the name
    assert set(frame.columns) >= {"parentProjectId", "createTime", "updateTime"}  # all kept
    html = run.formatted["text/html"]
    assert html.count("<tr>") == 6 and "white-space:nowrap" in html
    assert "rows ×" not in html


def test_long_names_are_cut_in_the_terminal_not_in_the_frame(ip: MagicShell) -> None:
    long = "Very Long Customer Name That Goes On And On Incorporated Worldwide"
    ip.ok(f'%sinch create "{long}" --label tier=gold')
    run = ip.ok(f'df = %sinch list --name "{long[:20]}"\ndf')
    assert long not in run.formatted["text/plain"] and long[:30] in run.formatted["text/plain"]
    assert ip.user_ns["df"]["displayName"].iloc[0] == long
    assert long in run.formatted["text/html"]


# -- a terminal's width, --limit -----------------------------------------------------------

TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def listing_text(ip: MagicShell, monkeypatch: pytest.MonkeyPatch, columns: int, line: str) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    return ip.ok(f"df = {line}\ndf").formatted["text/plain"]


@pytest.mark.parametrize("columns", [100, 80, 60])
def test_the_listing_fits_the_terminal_and_keeps_every_label(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    ip.ok("%config Sinch.display_limit = 12")
    text = listing_text(ip, monkeypatch, columns, "%sinch list")
    frame = ip.user_ns["df"]
    _heading, titles, *body = text.splitlines()
    assert all(len(line) <= columns for line in [titles, *body]), text
    # Every label of every row shown is there whole (wrapped between labels, never cut).
    keys = [c for c in frame.columns if c.startswith("label.")]
    joined = " ".join(line.strip() for line in body)
    for position in range(12):
        for key in keys:
            value = frame[key].iloc[position]
            if not pd.isna(value):
                assert f"{key[6:]}={value}" in joined, (key, value, text)
    # Times are whole, on one line, or their column is gone.
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\s*$", text, re.M)
    if "Updated" in titles:  # each row's first line (it starts with the name) has its time
        assert all(TIME.search(line) for line in body if line[:1].strip())
    assert titles.split()[:2] == ["Name", "Labels"]
    assert "Created" not in titles  # the first to go


def test_items_wrap_between_labels_only() -> None:
    from sinch_notebook.display import wrap_items

    items = ["region=eu-west", "tier=starter", "cost-center=cc-2971"]
    assert wrap_items(items, 100) == ["region=eu-west, tier=starter, cost-center=cc-2971"]
    assert wrap_items(items, 30) == ["region=eu-west, tier=starter,", "cost-center=cc-2971"]
    # Narrower than a label: that label is cut, and still no label shares its line.
    assert wrap_items(items, 14) == ["region=eu-we…,", "tier=starter,", "cost-center=c…"]
    assert wrap_items([], 10) == [""]


def test_html_labels_break_between_labels_never_inside_one(ip: MagicShell) -> None:
    ip.ok('%sinch create "Wrapped" --label region=eu-west --label tier=starter')
    html = ip.ok("df = %sinch list --name Wrapped\ndf").formatted["text/html"]
    assert '<span style="white-space:nowrap">region=eu-west</span>, ' in html
    assert '<span style="white-space:nowrap">tier=starter</span>' in html


def test_limit_says_the_first_n_are_shown_and_more_match(ip: MagicShell) -> None:
    total = len(ip.ok("%sinch list").value)
    assert total > 5
    run = ip.ok("df = %sinch list --limit 5\ndf")
    assert len(ip.user_ns["df"]) == 5
    expected = "showing the first 5 matching subprojects; more match (--limit 5 stopped"
    assert expected in run.formatted["text/plain"].splitlines()[0]
    assert expected in run.formatted["text/html"]
    everything = ip.ok(f"df = %sinch list --limit {total}\ndf").formatted["text/plain"]
    assert f"of {total} subprojects (" in everything and "more match" not in everything
    ip.ok("%config Sinch.display_limit = 3")
    cut = ip.ok("df = %sinch list --limit 5\ndf").formatted["text/plain"]
    assert "showing 3 of the first 5 matching subprojects; more match" in cut


def test_in_a_real_100_column_terminal_no_line_wraps(tmp_path) -> None:
    """Terminal IPython in a pseudo-terminal 100 columns wide, as a person would run it."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    script = tmp_path / "listing.ipy"
    script.write_text(
        "%load_ext sinch_notebook\n%sinch login --sandbox\ndf = %sinch list --limit 10\n"
        "display(df)\n"
    )
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_") and k != "COLUMNS"}
    process = subprocess.Popen(
        [sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", str(script)],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    os.close(leader)
    shown = b"".join(chunks).decode().replace("\r\n", "\n")
    lines = [line for line in shown.splitlines() if line.strip()]
    listing = lines[lines.index(next(x for x in lines if x.startswith("Name"))) - 1 :]
    assert "showing the first 10 matching subprojects; more match" in listing[0]
    assert all(len(line) <= 100 for line in listing[1:]), "\n".join(listing)
    assert len([line for line in listing if re.search(r"\b[0-9A-Z]{26}$", line)]) == 10


def test_an_empty_listing_names_its_project_and_its_filter(ip: MagicShell) -> None:
    """Issue 33 item 16: not a bare "showing 0 of 0 subprojects"."""
    run = ip.ok('df = %sinch list --name "no such thing" --label tier=gold --deleted\ndf')
    heading = run.formatted["text/plain"].splitlines()[0]
    assert heading == (
        "Project demo-project · showing 0 of 0 subprojects · name or id containing "
        '"no such thing", label tier containing "gold", deleted included'
    )
    assert "Project demo-project" in run.formatted["text/html"]
    everything = ip.ok("df = %sinch list\ndf").formatted["text/plain"].splitlines()[0]
    assert (
        everything.startswith("Project demo-project · showing") and "containing" not in everything
    )
