"""`sinch-notebook demo` as a newcomer meets it: open the printed URL, Run All on 01, no errors.

The demo serves a copy of notebooks/ (running and autosaving must not touch the committed
files), with private Jupyter directories; everything else is the real command: its sandbox,
its JupyterLab, its environment for kernels, and Ctrl-C to stop.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests

from .lab import (
    lab_environment,
    open_notebook,
    run_command,
    screenshot,
    wait_for_kernel_idle,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
BANNER = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/(\S+)\?token=(\w+))")
SLOW = 180_000  # ms: a cold kernel and the first run on a busy 2-core machine


@dataclass
class RunningDemo:
    """Enough of tests/ui/lab.py's JupyterLab for its page helpers (they only need url())."""

    process: subprocess.Popen
    port: int
    token: str
    page_path: str
    output: list[str]
    root: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"


def user_settings(settings_dir: Path) -> None:
    """Every cell in the DOM (no windowing), and no news prompt over the notebook."""
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def run_all(page: Any, timeout_ms: int) -> None:
    """Run All, failing (not hanging) if JupyterLab does not finish within the timeout."""
    outcome = page.evaluate(
        """(ms) => Promise.race([
            window.jupyterapp.commands.execute('runmenu:run-all').then(() => 'done'),
            new Promise((resolve) => setTimeout(() => resolve('timeout'), ms)),
        ])""",
        timeout_ms,
    )
    assert outcome == "done", "Run All did not finish"
    page.wait_for_timeout(300)
    wait_for_kernel_idle(page, timeout=timeout_ms)


def outputs_on_disk(path: Path) -> tuple[str, list[str]]:
    """All text outputs of a saved notebook, and its error outputs."""
    notebook = nbformat.read(path, as_version=4)
    texts, errors = [], []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors.append(f"{output.ename}: {output.evalue}")
            elif output.output_type == "stream":
                texts.append(output.text)
                if output.name == "stderr":
                    errors.append(output.text)
            else:
                texts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts), errors


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[RunningDemo]:
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    env = lab_environment(tmp_path / "home")
    user_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sinch_notebook.cli",
            "demo",
            "--no-browser",
            "--port",
            "0",
            "--notebook-dir",
            str(root),
            "--",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for the page helpers
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        match = None
        while match is None and time.monotonic() < deadline:
            try:
                match = BANNER.search(lines.get(timeout=1))
            except queue.Empty:
                assert process.poll() is None, "".join(output)
        assert match, "the demo printed no URL:\n" + "".join(output)
        yield RunningDemo(
            process, int(match.group(2)), match.group(4), match.group(3), output, root
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_getting_started_runs_clean_in_the_demo(page: Any, demo: RunningDemo) -> None:
    page.set_default_timeout(SLOW)
    assert demo.page_path == "lab/tree/01-getting-started.ipynb"
    open_notebook(page, demo, "01-getting-started.ipynb", timeout=SLOW)
    run_all(page, SLOW)
    run_command(page, "docmanager:save")
    page.wait_for_timeout(1000)
    shown = page.locator(".jp-OutputArea-output")
    path = screenshot(page, "demo-01-getting-started")
    assert shown.count() > 10, f"outputs are not shown (see {path})"

    text, errors = outputs_on_disk(demo.root / "01-getting-started.ipynb")
    assert not errors, f"error output (see {path}):\n" + "\n".join(errors)
    # The kernel got the demo's SINCH_* variables: it connected to the demo's sandbox.
    assert "from the SINCH_* environment variables" in text
    assert "107 subprojects, 13 more deleted ones" in text
    assert "listed: False; with show_deleted: deleted=True" in text

    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(demo.url("api/status"), timeout=5)


def test_the_panel_tour_runs_and_shows_the_panel_in_the_demo(page: Any, demo: RunningDemo) -> None:
    page.set_default_timeout(SLOW)
    open_notebook(page, demo, "04-widget-panel.ipynb", timeout=SLOW)
    run_all(page, SLOW)
    panel = page.locator(".sn-panel").first
    panel.wait_for(state="visible", timeout=SLOW)
    run_command(page, "docmanager:save")
    page.wait_for_timeout(1000)
    path = screenshot(page, "demo-04-widget-panel")

    assert page.get_by_text("Error displaying widget").count() == 0, f"see {path}"
    assert "project demo-project" in panel.locator(".sn-header").inner_text()
    text, errors = outputs_on_disk(demo.root / "04-widget-panel.ipynb")
    assert not errors, f"error output (see {path}):\n" + "\n".join(errors)
    assert "Deleted 'Panel Tour Company'." in text
    assert not (demo.root / ".sinch").exists(), "the tour leaves its bulk journal behind"
