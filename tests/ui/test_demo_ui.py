"""The demo as a newcomer meets it: open the printed URL, Run All, look at what happened.

One `sinch-notebook demo` for the module (what `./scripts/demo` runs once it has checked the
install), exactly as a newcomer starts it: no `--notebook-dir`, so it serves its working copy
of the notebooks under the home directory (a temporary one here), with its own sandbox and
SINCH_* for every kernel; private Jupyter directories. Then, in order:

- the printed URL opens 01 in the browser;
- 01 runs clean against the demo's sandbox;
- 03's failures and retries, which its text promises "under the demo too", really happen: the
  kernel is connected to the demo's sandbox through SINCH_*, and its practice sandbox answers
  the scripted 503 (retried by itself) and 500s (failed, then retried by hand, all ok);
- 04 (the panel tour) runs and shows the panel, and its log has the delete it made;
- each run is saved in the working copy, never in notebooks/;
- Ctrl-C stops JupyterLab, its kernels and the sandbox, and `git status` of the checkout is
  what it was before the demo started.

Every test takes the browser page, so pytest keeps them together and in this order.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests
from playwright.sync_api import Error as PlaywrightError

from sinch_notebook.cli.demo import DEFAULT_WORKDIR

from .lab import (
    REPO_ROOT,
    kernel_status,
    lab_environment,
    open_notebook,
    run_command,
    screenshot,
    wait_for_kernel_idle,
)

NOTEBOOKS = REPO_ROOT / "notebooks"
BANNER = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/(\S+)\?token=(\w+))")
SANDBOX = re.compile(r"\) on (http://127\.0\.0\.1:\d+)")
SLOW = 180_000  # ms: a cold kernel and the first run on a busy 2-core machine
ULID = r"[0-9A-HJKMNP-TV-Z]{26}"


@dataclass
class RunningDemo:
    """Enough of tests/ui/lab.py's JupyterLab for its page helpers (they only need url())."""

    process: subprocess.Popen
    port: int
    token: str
    page_path: str
    output: list[str]
    root: Path
    sandbox_url: str = ""
    checkout_before: str | None = None
    originals: dict[str, bytes] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def shutdown_kernels(self) -> None:
        """Stop the kernels a test started (three notebooks' kernels at once are a lot for 2
        cores); the demo itself goes on."""
        headers = {"Authorization": f"token {self.token}"}
        kernels = requests.get(f"{self.base_url}/api/kernels", headers=headers, timeout=30)
        for kernel in kernels.json():
            requests.delete(
                f"{self.base_url}/api/kernels/{kernel['id']}", headers=headers, timeout=30
            )


def user_settings(settings_dir: Path) -> None:
    """Every cell in the DOM (no windowing). Nothing else: that the newcomer sees no news
    prompt and no "Select Kernel" dialog is the demo's own doing, tested here."""
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
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


def checkout_status() -> str | None:
    """`git status` of the checkout, ignored files of notebooks/ included (checkpoints, a
    journal); None when this is not a git checkout."""
    if not (REPO_ROOT / ".git").exists():
        return None
    command = ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=all"]
    whole = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    notebooks = subprocess.run(
        [*command, "--ignored", "--", "notebooks"], capture_output=True, text=True, check=True
    ).stdout
    return whole + "--- notebooks/, ignored files too ---\n" + notebooks


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    base = tmp_path_factory.mktemp("demo")
    home = base / "home"
    home.mkdir()
    env = lab_environment(base / "jupyter", {"HOME": str(home)})
    user_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    before = checkout_status()
    originals = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sinch_notebook.cli",
            "demo",
            "--no-browser",
            "--port",
            "0",
            "--",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for the page helpers
        ],
        env=env,
        cwd=base,
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
        sandbox = SANDBOX.search("".join(output))
        assert sandbox, "".join(output)
        running = RunningDemo(
            process,
            int(match.group(2)),
            match.group(4),
            match.group(3),
            output,
            home / DEFAULT_WORKDIR,
            sandbox.group(1),
            before,
            originals,
        )
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def demo_page(page: Any, demo: RunningDemo) -> Iterator[Any]:
    """The browser page, for every test of the module (so pytest keeps them together, in this
    order, on one demo); the kernels a test started are stopped after it."""
    page.set_default_timeout(SLOW)
    yield page
    if demo.process.poll() is None:
        demo.shutdown_kernels()


def run_and_save(page: Any, demo: RunningDemo, name: str) -> Path:
    """Run All and save; the run lands in the working copy, never in the checkout."""
    open_notebook(page, demo, name, timeout=SLOW)
    run_all(page, SLOW)
    run_command(page, "docmanager:save")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=SLOW
    )
    saved = demo.root / name
    assert saved.read_bytes() != demo.originals[name], f"{name} was not saved in the copy"
    assert (NOTEBOOKS / name).read_bytes() == demo.originals[name], f"{name} changed in place"
    return saved


def test_the_printed_url_opens_the_first_notebook(demo_page: Any, demo: RunningDemo) -> None:
    page = demo_page
    text = "".join(demo.output)
    assert f"Copied the example notebooks to {demo.root}" in text
    assert demo.page_path == "lab/tree/01-getting-started.ipynb"
    assert sorted(p.name for p in demo.root.glob("*.ipynb")) == sorted(demo.originals)
    page.goto(demo.url(demo.page_path))  # what a newcomer does with the banner's URL
    tab = page.locator(".jp-mod-current .lm-TabBar-tabLabel", has_text="01-getting-started")
    tab.first.wait_for(state="visible")
    page.locator(".jp-NotebookPanel").first.wait_for(state="visible")
    page.wait_for_function("() => window.jupyterapp !== undefined")
    # The kernel starts by itself: no "Select Kernel" dialog is ever shown on the way.
    deadline = time.monotonic() + SLOW / 1000
    while kernel_status(page, "01-getting-started.ipynb") != "idle":
        assert not page.locator(".jp-Dialog").count(), screenshot(page, "demo-00-dialog")
        assert time.monotonic() < deadline, "the kernel of 01 did not start"
        page.wait_for_timeout(250)
    news = page.evaluate(
        """() => window.jupyterapp.serviceManager.settings
            .fetch('@jupyterlab/apputils-extension:notification')
            .then((s) => [s.raw, s.schema.properties.fetchNews.default])"""
    )
    assert news[1] == "false", news  # the demo's preset: no "Jupyter news?" toast
    assert not page.locator(".jp-Notification-Toast, .Toastify__toast").count()
    screenshot(page, "demo-00-opened")
    # The demo's terminal: its banner, then nothing from opening a notebook and its kernel.
    after = "".join(demo.output).split("Press Ctrl-C to stop both.", 1)[1]
    for noise in ("is not trusted", "without encryption", "websocket_ping_timeout"):
        assert noise not in after, after


def test_getting_started_runs_clean_in_the_demo(demo_page: Any, demo: RunningDemo) -> None:
    page = demo_page
    saved = run_and_save(page, demo, "01-getting-started.ipynb")
    shown = page.locator(".jp-OutputArea-output")
    path = screenshot(page, "demo-01-getting-started")
    assert shown.count() > 10, f"outputs are not shown (see {path})"

    text, errors = outputs_on_disk(saved)
    assert not errors, f"error output (see {path}):\n" + "\n".join(errors)
    # The kernel got the demo's SINCH_* variables: it connected to the demo's sandbox.
    assert f"at {demo.sandbox_url} with key" in text
    assert "from the SINCH_* environment variables" in text
    assert "107 subprojects, 13 more deleted ones" in text
    assert "listed: False; with show_deleted: deleted=True" in text


def test_bulk_edits_fail_and_are_retried_in_the_demo(demo_page: Any, demo: RunningDemo) -> None:
    """03 says its failures and retries happen under the demo too: they do."""
    page = demo_page
    saved = run_and_save(page, demo, "03-bulk-edits.ipynb")
    problems = page.locator(".jp-OutputArea-output", has_text="Applied with problems").first
    problems.scroll_into_view_if_needed()
    path = screenshot(page, "demo-03-bulk-edits-failures")
    text, errors = outputs_on_disk(saved)
    assert not errors, f"error output (see {path}):\n" + "\n".join(errors)
    # the playground is on the demo's account (SINCH_*), not on an in-kernel sandbox
    assert f"Connected to project 'demo-project' at {demo.sandbox_url} with" in text
    assert "from the SINCH_* environment variables" in text
    assert re.search(r"Applied 9 changes in [\d.]+ s: 9 ok\.", text)  # the playground edit
    # the practice sandbox: one 503, retried by the client itself ...
    assert re.search(r"update\s+Globex Retail EU\s+ok\s+<NA>\s+2\n", text), text
    # ... and two 500s, not retried automatically: failed, then retried by hand
    assert re.search(r"Applied with problems: 9 changes in [\d.]+ s: 7 ok, 2 failed\.", text)
    assert re.search(rf"failed\s+update {ULID} 'Initech Banking US' \[500\]", text)
    assert re.search(rf"failed\s+delete {ULID} 'Vandelay Telecom LATAM' \[500\]", text)
    assert re.search(r"update\s+Initech Banking US\s+failed\s+500\s+1\n", text)
    assert "Its .failed.apply() re-applies the 2 failed." in text
    assert re.search(r"Applied 2 changes in [\d.]+ s: 2 ok \(7 done earlier\)\.", text)
    assert "0 playground subprojects left" in text  # and it cleans up after itself


def test_the_panel_tour_runs_and_shows_the_panel_in_the_demo(
    demo_page: Any, demo: RunningDemo
) -> None:
    page = demo_page
    saved = run_and_save(page, demo, "04-widget-panel.ipynb")
    panel = page.locator(".sn-panel").first
    panel.wait_for(state="visible", timeout=SLOW)
    panel.scroll_into_view_if_needed()
    path = screenshot(page, "demo-04-widget-panel")

    assert page.get_by_text("Error displaying widget").count() == 0, f"see {path}"
    assert "project demo-project" in panel.locator(".sn-header").inner_text()
    text, errors = outputs_on_disk(saved)
    assert not errors, f"error output (see {path}):\n" + "\n".join(errors)
    assert "Opened in Edit: Acme Logistics EU" in text
    assert re.search(rf"Delete 'Panel Tour Company' \(({ULID})\)\? There is no undelete\.", text)
    deleted = re.search(rf"Deleted ({ULID}) \('Panel Tour Company'\)\.", text)
    assert deleted, text
    assert deleted.group(1) in panel.locator(".sn-log").inner_text()  # the log, as shown
    assert not (demo.root / ".sinch").exists(), "the tour leaves its bulk journal behind"


def test_ctrl_c_stops_the_demo_and_the_checkout_is_unchanged(
    demo_page: Any, demo: RunningDemo
) -> None:
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    assert "Stopped." in "".join(demo.output)
    with pytest.raises(PlaywrightError, match="ERR_CONNECTION_REFUSED"):
        demo_page.goto(demo.url("lab"), timeout=30_000)  # the browser finds nothing there
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{demo.sandbox_url}/v1/projects/demo-project/subprojects", timeout=5)
    # Whatever ran, the checkout is as it was before the demo started.
    assert {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")} == demo.originals
    after = checkout_status()
    if after is None:
        pytest.skip("not a git checkout: no git status to compare")
    assert after == demo.checkout_before
    assert not list(NOTEBOOKS.rglob(".ipynb_checkpoints"))
