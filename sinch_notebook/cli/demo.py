"""`sinch-notebook demo`: the sandbox's demo account plus JupyterLab on the example notebooks.

Both run as one unit: JupyterLab gets the sandbox's `SINCH_*` variables (so every kernel it
starts connects to the sandbox), and Ctrl-C, SIGTERM or SIGHUP stop both. JupyterLab runs in a
session of its own so the terminal's Ctrl-C reaches only this process, which then shuts
JupyterLab down cleanly (kernels included) instead of leaving it at its "Shutdown? (y/n)"
prompt.

The notebooks ship in the package (`sinch_notebook/examples`). The demo serves a *working copy*
of them (by default `~/sinch-notebook-demo`), made on the first run and kept after: running and
autosaving change that copy, never a checkout or the installed package; `--fresh` starts again
from the originals. JupyterLab's token travels in its environment (`JUPYTER_TOKEN`), never on
its command line, where any user of the machine could read it (`ps`, /proc/<pid>/cmdline).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..sandbox import DEMO_SUBPROJECTS, Sandbox
from .quiet_server import server_config

FIRST_NOTEBOOK = "01-getting-started.ipynb"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEFAULT_WORKDIR = "sinch-notebook-demo"  # under the home directory
STATE_DIR = ".sinch"  # the kernels' history store and journals, under their working directory
STARTUP_TIMEOUT = 120.0
SHUTDOWN_TIMEOUT = 20.0
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@dataclass(frozen=True)
class DemoOptions:
    port: int = 8888
    no_browser: bool = False
    notebook_dir: Path | None = None
    subprojects: int = DEMO_SUBPROJECTS
    seed: int = 0
    latency: float = 0.0
    lab_args: tuple[str, ...] = ()
    fresh: bool = False


def example_files(source: Path = EXAMPLES) -> list[Path]:
    """The example notebooks and their pictures, relative to `source` (nothing else)."""
    found = sorted(source.glob("*.ipynb")) + sorted(source.glob("images/*.png"))
    return [path.relative_to(source) for path in found]


def working_copy(target: Path, *, fresh: bool = False, source: Path = EXAMPLES) -> list[str]:
    """Copy the examples into `target`: missing files only (your changes stay), or every one
    with `fresh`, which also starts the account history and journals afresh (see
    `forget_history`). Returns what was copied."""
    copied = []
    if fresh:
        forget_history(target)
    for relative in example_files(source):
        destination = target / relative
        if destination.exists() and not fresh:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination)
        copied.append(str(relative))
    trust_originals(target, source)
    return copied


def forget_history(target: Path) -> bool:
    """Remove the working copy's account history (`.sinch/history.sqlite`) and journals.

    The demo's account starts afresh at every start, so snapshots and journals of an earlier
    start describe an account that is gone: `%sinch diff 1` would report changes nobody made.
    """
    state = target / STATE_DIR
    if not state.is_dir():
        return False
    shutil.rmtree(state)
    return True


def trust_originals(target: Path, source: Path = EXAMPLES) -> None:
    """Mark the working copy's notebooks that are still the package's own as trusted.

    They are ours (their outputs were made by `./scripts/build-notebooks`), and JupyterLab
    would otherwise log "Notebook ... is not trusted" for each one it opens. A notebook the
    person changed was signed by JupyterLab when it was saved; one changed elsewhere is left
    as it is.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    for relative in example_files(source):
        copy = target / relative
        if copy.suffix != ".ipynb" or not copy.exists():
            continue
        if copy.read_bytes() != (source / relative).read_bytes():
            continue
        notebook = nbformat.read(copy, as_version=nbformat.NO_CONVERT)
        if not notary.check_signature(notebook):
            notary.sign(notebook)


def lab_settings(directory: Path) -> Path:
    """The demo's presets for JupyterLab, as a Jupyter config directory of its own.

    It is added to `JUPYTER_CONFIG_PATH`, so the person's own settings still win. It keeps the
    terminal readable, the kernels connected and the first page free of questions: see
    `quiet_server` for the server's part; a notebook starts its kernel without a "Select
    Kernel" dialog, and there is no news prompt. notebook_shim (classic Notebook settings for
    Notebook 7) is off: the demo's JupyterLab does not need it, and it reads the deprecated
    `ServerApp.token`, which prints a warning whenever Voilà (the `[app]` extra) has switched
    traitlets' warnings on. Tab completion lists the kernel's answers only.
    """
    server = server_config("ServerApp")
    server["ServerApp"]["jpserver_extensions"] = {"notebook_shim": False}
    lab = {
        "@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
        # Tab offers what the kernel knows (`%sinch` commands, ids, plans), not the words of
        # the cell after it (`%`, `sinch`, `get`): the editor's word list is off.
        "@jupyterlab/completer-extension:manager": {
            "availableProviders": {
                "CompletionProvider:kernel": 550,
                "CompletionProvider:context": -1,
            }
        },
    }
    (directory / "labconfig").mkdir(parents=True, exist_ok=True)
    (directory / "jupyter_server_config.json").write_text(json.dumps(server, indent=1))
    (directory / "labconfig" / "default_setting_overrides.json").write_text(
        json.dumps(lab, indent=1)
    )
    return directory


def lab_command(
    port: int, notebook_dir: Path, no_browser: bool, extra: Sequence[str] = ()
) -> list[str]:
    """JupyterLab's command line: no secret in it (the token goes in `JUPYTER_TOKEN`)."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={notebook_dir}",
        # Our own banner (printed once it answers) is the one line to read; warnings still show.
        "--ServerApp.log_level=WARN",
        "--LabApp.log_level=WARN",
    ]
    if (notebook_dir / FIRST_NOTEBOOK).exists():
        command.append(f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}")
    if no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return [*command, *extra]


@contextmanager
def stop_requested() -> Iterator[threading.Event]:
    """An event set by Ctrl-C, SIGTERM or SIGHUP while inside the block."""
    event = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: event.set()) for sig in _STOP_SIGNALS}
    try:
        yield event
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _server_info(pid: int) -> dict | None:
    """The `jpserver-<pid>.json` JupyterLab writes once it listens (port, token, root)."""
    from jupyter_core.paths import jupyter_runtime_dir

    path = Path(jupyter_runtime_dir()) / f"jpserver-{pid}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until_serving(lab: subprocess.Popen, token: str, stop: threading.Event) -> dict | None:
    """JupyterLab's server info once /api/status answers; None if it exited or we were stopped."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and lab.poll() is None and not stop.is_set():
        info = _server_info(lab.pid)
        if info and _answers(f"http://127.0.0.1:{info['port']}/api/status?token={token}"):
            return info
        stop.wait(0.2)
    return None


def run_until_stopped(
    server: subprocess.Popen, stop: threading.Event, banner: str, what: str
) -> int | None:
    """Print `banner`, then wait while `server` runs: its exit code when it ends by itself,
    None after Ctrl-C. `what` names what runs (and stops) in the lines said at the end."""
    print(banner, flush=True)
    while not stop.wait(0.5):
        code = server.poll()
        if code is not None:
            print(f"{what} exited ({code}).", flush=True)
            return code
    print(f"Stopping {what}...", flush=True)
    return None


def shut_down(lab: subprocess.Popen) -> None:
    """SIGTERM (JupyterLab then stops its kernels), then SIGKILL if it does not go in time."""
    if lab.poll() is not None:
        return
    lab.terminate()
    try:
        lab.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(lab.pid, signal.SIGKILL)
        lab.wait()


def run(options: DemoOptions) -> int:
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "sinch-notebook demo needs JupyterLab: pip install 'sinch-notebook[demo]'",
            file=sys.stderr,
        )
        return 1
    if options.notebook_dir is not None:
        notebook_dir = options.notebook_dir.resolve()
        if not notebook_dir.is_dir():
            print(f"sinch-notebook demo: no such directory {notebook_dir}", file=sys.stderr)
            return 1
    else:
        notebook_dir = (Path.home() / DEFAULT_WORKDIR).resolve()
        had_history = (notebook_dir / STATE_DIR).is_dir()
        copied = working_copy(notebook_dir, fresh=options.fresh)
        if copied:
            print(f"Copied the example notebooks to {notebook_dir}", flush=True)
        else:
            print(
                f"Using your working copy of the example notebooks in {notebook_dir} "
                "(--fresh starts again from the originals)",
                flush=True,
            )
        if had_history and options.fresh:
            print("Removed its account history and journals (.sinch/) too.", flush=True)
        elif had_history:
            print(
                "Its account history and journals (.sinch/) are of earlier starts' accounts: "
                "--fresh removes them.",
                flush=True,
            )
    token = secrets.token_hex(24)
    sandbox = Sandbox(subprojects=options.subprojects, seed=options.seed, latency=options.latency)
    with stop_requested() as stop, tempfile.TemporaryDirectory(prefix="sinch-demo-") as presets:
        config_path = os.pathsep.join(
            filter(None, [str(lab_settings(Path(presets))), os.environ.get("JUPYTER_CONFIG_PATH")])
        )
        print("Starting the Sinch sandbox (demo account)...", flush=True)
        sandbox.start()
        try:
            print("Starting JupyterLab (a few seconds)...", flush=True)
            lab = subprocess.Popen(
                lab_command(options.port, notebook_dir, options.no_browser, options.lab_args),
                env={
                    **os.environ,
                    **sandbox.env(),
                    "JUPYTER_TOKEN": token,
                    "JUPYTER_CONFIG_PATH": config_path,
                },
                start_new_session=True,
            )
            try:
                return _serve(lab, sandbox, notebook_dir, token, stop)
            finally:
                shut_down(lab)
        finally:
            sandbox.stop()


def _serve(
    lab: subprocess.Popen,
    sandbox: Sandbox,
    notebook_dir: Path,
    token: str,
    stop: threading.Event,
) -> int:
    info = _wait_until_serving(lab, token, stop)
    if info is None:
        if stop.is_set():
            print("Stopped before JupyterLab was ready.", flush=True)
            return 0
        code = lab.poll()
        print(f"sinch-notebook demo: JupyterLab did not start (exit {code}).", file=sys.stderr)
        return code or 1
    page = f"lab/tree/{FIRST_NOTEBOOK}" if (notebook_dir / FIRST_NOTEBOOK).exists() else "lab"
    banner = (
        f"\nSinch sandbox (demo account: key {sandbox.key_id!r}, project "
        f"{sandbox.project_id!r}) on {sandbox.url}\n"
        f"Its account starts afresh at every start ({len(sandbox.subprojects())} subprojects);"
        " your notebooks stay.\n"
        f"JupyterLab on {notebook_dir}; its kernels have SINCH_* pointing at the sandbox.\n\n"
        f"    Open http://127.0.0.1:{info['port']}/{page}?token={token}\n\n"
        "Press Ctrl-C to stop both.\n"
    )
    code = run_until_stopped(lab, stop, banner, "JupyterLab")
    if code is not None:
        return code
    shut_down(lab)
    print("Stopped.", flush=True)
    return 0
