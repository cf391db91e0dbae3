"""How `%sinch list` shows a listing: for analysts, in text (terminal) and HTML (Jupyter)."""

from __future__ import annotations

import re

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
