"""Browser-test fixtures: one real JupyterLab per session and the system Chromium.

Every test under tests/ui is marked `ui`. Other browser tests reuse these fixtures:
`jupyter_lab` (a running `JupyterLab`, see lab.py), `lab_page` (a Playwright page on it with
generous timeouts), `page_on(server)` (the same for a server a module starts itself, with
`start_server`: Notebook 7, or a JupyterLab whose kernels get a sandbox's SINCH_*) and the
helpers in lab.py (open_notebook, run_all_cells, save_notebook, screenshot, grid_cells, ...).
Playwright never downloads a browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import JupyterLab, screenshot, start_server

AXE_VERSION = "4.10.3"  # axe-core, the accessibility checker the browser tests run
CHROMIUM = os.environ.get("SN_TEST_CHROMIUM", "/usr/bin/chromium")  # where Debian puts it
PAGE_TIMEOUT_MS = 60_000  # one step on a busy 2-core machine; the slow starts get more


def chromium() -> str | None:
    """The system Chromium, if this machine has one."""
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return found if found and Path(found).exists() else None


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is `ui`. Without Chromium they are skipped with one reason, except on CI
    (`CI=true`), where a missing browser must fail the run rather than pass it quietly."""
    here = Path(__file__).parent
    skip = None
    if chromium() is None and not on_ci():
        skip = pytest.mark.skip(
            reason=f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium "
            "(./scripts/test installs it; on CI, CI=true, a missing browser fails instead)"
        )
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.ui)
            if skip is not None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """The system Chromium, quiet and offline."""
    executable = chromium()
    if executable is None:
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium (./scripts/test does)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab server for the whole session, its notebooks in a temporary root dir."""
    lab = start_server(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield lab
    finally:
        lab.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's report on the item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page_on(page: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[JupyterLab], Any]]:
    """`page_on(server)`: the Playwright page, for a notebook on `server`, with generous
    timeouts and the browser console recorded (`page.console_messages`). After the test the
    kernels it started on that server are shut down; when it failed, the page is kept as
    test-artifacts/ui/FAILED-<test>.png and the end of the server's log and the console's errors
    are printed (pytest shows them with the failure)."""
    servers: list[JupyterLab] = []
    console: list[str] = []
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.console_messages = console  # type: ignore[attr-defined]

    def on(server: JupyterLab) -> Any:
        servers.append(server)
        return page

    yield on
    report = getattr(request.node, "rep_call", None)
    try:
        if report is not None and report.failed:
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            print(f"screenshot: {screenshot(page, f'FAILED-{name}')}")
            for server in servers:
                print(server.log_tail())
            problems = [m for m in console if m.startswith(("error", "warning", "pageerror"))]
            print("--- browser console (errors and warnings) ---\n" + "\n".join(problems))
        page.close()
    finally:
        for server in servers:
            server.shutdown_kernels()


@pytest.fixture
def lab_page(page_on: Callable[[JupyterLab], Any], jupyter_lab: JupyterLab) -> Any:
    """A Playwright page for the session's JupyterLab (see `page_on`)."""
    return page_on(jupyter_lab)


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core's browser script, installed with npm into a cache for the tests (never into
    the project)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: axe-core comes from npm")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sinch-notebook-tests"
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-save", f"axe-core@{AXE_VERSION}"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return script.read_text(encoding="utf-8")
