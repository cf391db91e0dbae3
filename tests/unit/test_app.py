"""`sinch-notebook app`: what it starts (the browser test, tests/ui/test_app_ui.py, runs it)."""

from __future__ import annotations

import json
from pathlib import Path

from sinch_notebook.cli.app import APP_CELL, voila_command, write_notebook
from sinch_notebook.cli.commands import build_parser


def test_voila_listens_on_loopback_and_gets_no_secret_on_its_command_line(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "app")
    command = voila_command(notebook, 8899, "127.0.0.1", no_browser=True)
    assert "--Voila.ip=127.0.0.1" in command and "--port=8899" in command
    assert "--no-browser" in command and "--strip_sources=True" in command
    # The token is asked for (auto_token) and comes from JUPYTER_TOKEN, never from here.
    assert [c for c in command if "token" in c.lower()] == ["--Voila.auto_token=True"]
    assert "--no-browser" not in voila_command(notebook, 8899, "127.0.0.1", no_browser=False)


def test_the_page_is_one_cell_that_shows_the_panel(tmp_path: Path) -> None:
    notebook = json.loads(write_notebook(tmp_path).read_text())
    assert [cell["source"] for cell in notebook["cells"]] == [APP_CELL]
    assert "page()" in APP_CELL


def test_the_app_command_takes_port_no_browser_and_a_folder() -> None:
    args = build_parser().parse_args(["app", "--port", "0", "--no-browser", "--dir", "x"])
    assert (args.port, args.no_browser, args.dir, args.sandbox) == (0, True, "x", False)
    defaults = build_parser().parse_args(["app"])
    assert (defaults.port, defaults.no_browser) == (8866, False)
