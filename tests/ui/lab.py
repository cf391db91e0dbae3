"""A real JupyterLab for browser tests, and the page steps every notebook test needs.

Reusable by any browser test (the `jupyter_lab` fixture in conftest.py builds on it):

    lab = JupyterLab.start(root_dir)           # a private server on a free port
    lab.set_setting(WIDGETS_PLUGIN, {"saveState": True})
    write_notebook(lab.root_dir / "x.ipynb", ["import sinch_notebook as sn", "sn.panel()"])
    open_notebook(page, lab, "x.ipynb"); run_all_cells(page); save_notebook(page)
    lab.stop()

The server is isolated from the developer's own Jupyter set-up: its config, runtime, settings
and workspaces directories, and IPython's, live under a temporary directory, and `SINCH_*`
variables are removed from its environment, so a test decides exactly what the kernel sees.
Its PYTHONPATH starts with this checkout, so kernels import the sinch_notebook under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

START_TIMEOUT = 120.0  # seconds; a cold start on a busy 2-core machine can take a while
WIDGETS_PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin"
NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"
NOTEBOOK_PLUGIN = "@jupyterlab/notebook-extension:tracker"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
REPO_ROOT = Path(__file__).resolve().parents[2]
# The front-ends a test server can be: (module for `python -m`, the app class to configure).
APPS = {"lab": ("jupyterlab", "LabApp"), "notebook": ("notebook", "JupyterNotebookApp")}
ARTIFACTS = REPO_ROOT / "test-artifacts" / "ui"


class LabError(RuntimeError):
    """JupyterLab did not start or answer; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def lab_environment(base: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment: ours without SINCH_*, with private Jupyter directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        "IPYTHONDIR": "ipython",
    }
    for name, sub in dirs.items():
        path = base / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONUNBUFFERED"] = "1"
    # The server and its kernels import this checkout's sinch_notebook (the one under test),
    # whatever an installed copy (an editable install of another worktree) would give.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    )
    env.update(extra or {})
    return env


@dataclass
class JupyterLab:
    """A JupyterLab server process started for tests; `stop()` ends it and its kernels."""

    process: subprocess.Popen[bytes]
    port: int
    token: str
    root_dir: Path
    log_path: Path
    app: str = "lab"
    session: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def start(
        cls,
        root_dir: Path,
        *,
        work_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = START_TIMEOUT,
        extra_args: Iterable[str] = (),
        app: str = "lab",
    ) -> JupyterLab:
        """Start `jupyter lab` (or, with app="notebook", Notebook 7's `jupyter notebook`) on a
        free port with a random token; wait until it answers.

        The token travels in the server's environment (JUPYTER_TOKEN), never on its command
        line, where any user of the machine could read it.
        """
        if app not in APPS:
            raise ValueError(f"app must be one of {', '.join(APPS)}, not {app!r}")
        root_dir = Path(root_dir)
        root_dir.mkdir(parents=True, exist_ok=True)
        work_dir = Path(work_dir) if work_dir else root_dir.parent / "lab-home"
        work_dir.mkdir(parents=True, exist_ok=True)
        port, token = free_port(), secrets.token_hex(16)
        log_path = work_dir / f"jupyter-{app}.log"
        module, app_class = APPS[app]
        command = [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            "--allow-root",
            f"--ServerApp.root_dir={root_dir}",
            f"--{app_class}.expose_app_in_browser=True",  # window.jupyterapp: commands by id
            *extra_args,
        ]
        server_env = {**dict(env or {}), "JUPYTER_TOKEN": token}
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=root_dir,
                env=lab_environment(work_dir, server_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends kernels too
                preexec_fn=_die_with_parent,  # no server left behind by a killed test run
            )
        lab = cls(process, port, token, root_dir, log_path, app)
        lab.session.headers["Authorization"] = f"token {token}"
        try:
            lab.wait_until_ready(timeout)
        except BaseException:
            lab.stop()
            raise
        return lab

    # -- addresses and the REST API --------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        """A browser URL that logs in with the token."""
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(
            method, f"{self.base_url}/{path.lstrip('/')}", timeout=30, **kwargs
        )
        if response.status_code >= 400:
            raise LabError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response

    def set_setting(self, plugin_id: str, values: Mapping[str, Any]) -> None:
        """Set a JupyterLab user setting (merged into the plugin's current settings)."""
        current = self.api("GET", f"lab/api/settings/{plugin_id}").json().get("settings") or {}
        raw = json.dumps({**current, **values})
        self.api("PUT", f"lab/api/settings/{plugin_id}", json={"raw": raw})

    def kernels(self) -> list[dict[str, Any]]:
        return self.api("GET", "api/kernels").json()

    def shutdown_kernels(self) -> None:
        for kernel in self.kernels():
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    # -- lifecycle -------------------------------------------------------------------------

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LabError(
                    f"JupyterLab exited with code {self.process.returncode} while starting.\n"
                    + self.log_tail()
                )
            try:
                if self.session.get(f"{self.base_url}/api/status", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise LabError(
            f"JupyterLab did not answer /api/status within {timeout:.0f} s.\n" + self.log_tail()
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no JupyterLab log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last lines of {self.log_path} ---\n{tail}"

    def stop(self, timeout: float = 20.0) -> None:
        """Shut the kernels down, SIGTERM the server, then SIGKILL its group if it hangs.

        Kernels run in process groups of their own, so they are stopped through the API first
        (the server would also stop them on SIGTERM, but not if it has to be killed).
        """
        if self.process.poll() is None:
            with contextlib.suppress(LabError, requests.RequestException):
                self.shutdown_kernels()  # best effort: stopping goes on regardless
        self.session.close()
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_server(
    base: Path, *, app: str = "lab", env: Mapping[str, str] | None = None
) -> JupyterLab:
    """A JupyterLab (or Notebook 7, app="notebook") for tests, its notebooks in `base/root`:
    no news or update checks (closed network, no toast over the notebook) and the notebook's
    kernel started without a "Select Kernel" dialog. `env` is added to its (and its kernels')
    environment, e.g. a sandbox's `env()`."""
    lab = JupyterLab.start(base / "root", work_dir=base / "home", env=env, app=app)
    try:
        lab.set_setting(NOTIFICATION_PLUGIN, {"fetchNews": "false", "checkForUpdates": False})
        lab.set_setting(NOTEBOOK_PLUGIN, {"autoStartDefaultKernel": True})
    except BaseException:
        lab.stop()
        raise
    return lab


# -- notebooks on disk ---------------------------------------------------------------------


def write_notebook(path: Path, cells: Iterable[str], *, markdown_first: str | None = None) -> Path:
    """A Python 3 notebook of code cells (and an optional leading markdown cell)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if markdown_first:
        nb.cells.append(nbformat.v4.new_markdown_cell(markdown_first))
    nb.cells.extend(nbformat.v4.new_code_cell(source) for source in cells)
    path.write_text(nbformat.writes(nb))
    return path


def saved_widget_state(path: Path) -> dict[str, Any]:
    """The widget state a saved notebook carries ({} when none was saved)."""
    nb = json.loads(path.read_text())
    return nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})


# -- page steps (Playwright) ---------------------------------------------------------------


def notebook_page(lab: Any, name: str) -> str:
    """The page that shows notebook `name`: JupyterLab's `lab/tree/...` or Notebook 7's
    `notebooks/...` (by the server's `app`, JupyterLab when it has none)."""
    if getattr(lab, "app", "lab") == "notebook":
        return f"notebooks/{name}"
    return f"lab/tree/{name}"


def open_notebook(page: Any, lab: Any, name: str, *, timeout: float = 120_000) -> None:
    """Open `name` in JupyterLab (or Notebook 7) and wait until its kernel is idle.

    `lab` is anything with `url(path)` (a `JupyterLab`, or a server started another way).
    """
    url = lab.url(notebook_page(lab, name))
    if getattr(lab, "app", "lab") == "lab":  # only this notebook, not tabs an earlier test left
        url += ("&" if "?" in url else "?") + "reset"
    page.goto(url, timeout=timeout)
    page.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=timeout)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout)
    wait_for_kernel_idle(page, name, timeout=timeout)


def accept_kernel_dialog(page: Any) -> bool:
    """Accept a "Select Kernel" dialog (shown when the front-end found no kernel to start)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count() and dialog.first.is_visible():
        dialog.first.locator(".jp-mod-accept").click()
        return True
    return False


_KERNEL_STATUS = """(name) => {
    for (const w of window.jupyterapp.shell.widgets("main")) {
        if (w.context && (name === null ? w === window.jupyterapp.shell.currentWidget
                                        : w.context.path === name)) {
            const kernel = w.sessionContext && w.sessionContext.session
                && w.sessionContext.session.kernel;
            return kernel ? kernel.status : "no kernel";
        }
    }
    return "no such notebook";
}"""


def kernel_status(page: Any, name: str | None = None) -> str:
    """The kernel status of notebook `name` (default: the current one) as the page sees it."""
    return page.evaluate(_KERNEL_STATUS, name)


def wait_for_kernel_idle(page: Any, name: str | None = None, *, timeout: float = 120_000) -> None:
    """Until the notebook's kernel exists and is idle (accepting a kernel dialog if one shows).

    The toolbar's execution indicator alone is not enough: it reads "idle" before a kernel
    has even started.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        accept_kernel_dialog(page)
        status = kernel_status(page, name)
        if status == "idle":
            return
        if time.monotonic() > deadline:
            raise LabError(
                f"the kernel of {name or 'the current notebook'} was not idle after "
                f"{timeout / 1000:.0f} s (last status: {status})"
            )
        page.wait_for_timeout(250)


def run_command(
    page: Any, command: str, args: Mapping[str, Any] | None = None, *, timeout: float = 60_000
) -> Any:
    """Execute a JupyterLab command by id (needs --LabApp.expose_app_in_browser).

    Waits at most `timeout` ms for the command's promise: a command that opens a dialog would
    otherwise block `page.evaluate` (which has no timeout of its own) forever.
    """
    return page.evaluate(
        """([id, args, ms]) => Promise.race([
            window.jupyterapp.commands.execute(id, args).then(() => "done"),
            new Promise(resolve => setTimeout(() => resolve("still running"), ms)),
        ])""",
        [command, dict(args or {}), timeout],
    )


def run_all_cells(page: Any, name: str | None = None, *, timeout: float = 120_000) -> None:
    """Run every cell of the current notebook and wait until its kernel is idle again."""
    wait_for_kernel_idle(page, name, timeout=timeout)
    # The command's promise settles once every cell has run (or one failed).
    outcome = run_command(page, "runmenu:run-all", timeout=timeout)
    if outcome != "done":
        raise LabError(f"Run All did not finish within {timeout / 1000:.0f} s")
    wait_for_kernel_idle(page, name, timeout=timeout)


def save_notebook(page: Any) -> None:
    run_command(page, "docmanager:save")


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot under test-artifacts/ui/ (gitignored) for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- what a widget shows, read from its model in the page ----------------------------------

# The widget manager of the current notebook, found through JupyterLab's (or Notebook 7's)
# widget tree: each widget output is rendered by jupyterlab-manager's WidgetRenderer, which
# holds the notebook's widget manager; its models are the ones the page draws from.
_MANAGER_JS = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.content || !panel.content.widgets) return null;
    for (const cell of panel.content.widgets) {
        for (const out of (cell.outputArea ? cell.outputArea.widgets : [])) {
            for (const child of (out.widgets || [])) {
                if (child._manager && child._manager.promise) return await child._manager.promise;
            }
        }
    }
    return null;
}"""

_GRID_JS = """([cls, rows]) => {
    const grid = document.querySelector("." + cls + " .sn-dg-table");
    if (!grid) return {error: "no grid of class " + cls};
    const columns = [...grid.querySelectorAll("thead th .sn-dg-title")].map(t => t.textContent);
    const cells = [];
    for (let r = 0; r < rows; r++) {
        const tr = grid.querySelector(`tbody tr[data-row="${r}"]`);
        if (!tr) break;
        cells.push([...tr.children].map(td => td.querySelector("input") ? td.querySelector(
            "input").value : td.textContent));
    }
    return {rows: parseInt(grid.getAttribute("aria-rowcount"), 10) - 1, columns, cells};
}"""

_STATE_JS = """async () => {
    const manager = await (FIND_MANAGER)();
    if (!manager) return null;
    return await manager.get_state({drop_defaults: false});
}""".replace("FIND_MANAGER", _MANAGER_JS)


_MODEL_JS = """async ([cls, key]) => {
    const manager = await (FIND_MANAGER)();
    if (!manager) return null;
    for (const id of Object.keys(manager._models)) {
        const model = await manager._models[id];
        if ((model.get("_dom_classes") || []).includes(cls)) return model.get(key);
    }
    return null;
}""".replace("FIND_MANAGER", _MANAGER_JS)


def model_value(page: Any, css_class: str, key: str) -> Any:
    """One attribute of the first widget model of `css_class`, as the page holds it."""
    return page.evaluate(_MODEL_JS, [css_class, key])


def page_widget_state(page: Any) -> dict[str, Any] | None:
    """Every widget model's state as the page holds it (what "save widget state" writes),
    defaults included; None when the notebook shows no widget."""
    return page.evaluate(_STATE_JS)


def grid_cells(page: Any, css_class: str, rows: int = 20) -> dict[str, Any]:
    """What the grid of `css_class` (the package's HTML grid) shows: its row count, column
    titles and the text of its first `rows` rows as drawn ('…' where a row has not arrived from
    the kernel yet; fewer when not drawn, i.e. scrolled away)."""
    return page.evaluate(_GRID_JS, [css_class, rows])


def grid_cell(page: Any, css_class: str, row: int, column: str) -> Any:
    """The cell of row `row` (0: the view's first) in `column` of the grid of `css_class`."""
    grid = page.locator(f".{css_class} .sn-dg-table").first
    titles = grid.locator("thead th .sn-dg-title").all_text_contents()
    return grid.locator(f'tbody tr[data-row="{row}"] td').nth(titles.index(column))


def grid_header(page: Any, css_class: str, column: str) -> Any:
    """The header of `column` in the grid of `css_class` (a click sorts by it)."""
    grid = page.locator(f".{css_class} .sn-dg-table").first
    title = page.locator(".sn-dg-title", has_text=re.compile(f"^{re.escape(column)}$"))
    return grid.locator("thead th", has=title).first


def wait_for_grid_column(
    page: Any,
    css_class: str,
    column: str,
    expected: list[str],
    *,
    timeout: float = 60_000,
) -> dict[str, Any]:
    """Until the grid's first rows in `column` are `expected` (top to bottom); its contents."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        shown = grid_cells(page, css_class, len(expected))
        if "columns" in shown and column in shown["columns"]:
            index = shown["columns"].index(column)
            values = [row[index] for row in shown["cells"]]
            if values == expected:
                return shown
        else:
            values = shown
        if time.monotonic() > deadline:
            raise LabError(
                f"the grid .{css_class} did not show {expected!r} in {column!r} within "
                f"{timeout / 1000:.0f} s; it shows {values!r}"
            )
        page.wait_for_timeout(250)


def wait_until(condition: Any, *, timeout: float = 60, what: str = "") -> None:
    """Until `condition()` is true (polled every 0.25 s; LabError after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise LabError(f"not true within {timeout:.0f} s: {what or condition}")
        time.sleep(0.25)


@contextlib.contextmanager
def app_process(
    base: Path, extra: Mapping[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    """`sinch-notebook app` as a person starts it (`--no-browser` on a free port, its folder
    under `base`), its output in `base / "app.log"`: (the process, the log, the URL it prints
    to open, with its token). Stopped (and its process group killed if it lingers) after."""
    import re

    log = base / "app.log"
    command = [sys.executable, "-m", "sinch_notebook.cli", "app", "--no-browser"]
    command += ["--port", str(free_port()), "--dir", str(base / "app")]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=lab_environment(base / "jupyter", extra),
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Open (http://127\.0\.0\.1:\d+/\?token=\w+)", log.read_text())
            url = found.group(1) if found else None
            time.sleep(0.25)
        if url is None:
            raise LabError(f"the app did not start:\n{log.read_text()}")
        yield process, log, url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# -- theme and accessibility ---------------------------------------------------------------


def set_theme(page: Any, dark: bool) -> None:
    name = "JupyterLab Dark" if dark else "JupyterLab Light"
    run_command(page, "apputils:change-theme", {"theme": name})
    page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === light", arg=str(not dark).lower()
    )


def axe_findings(page: Any, script: str, selector: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings inside `selector`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script)
    found = page.evaluate(
        """async (selector) => { const r = await axe.run(document.querySelector(selector),
        {resultTypes: ["violations"]});
        return r.violations.filter(v => ["serious", "critical"].includes(v.impact))
          .map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))})); }""",
        selector,
    )
    return found
