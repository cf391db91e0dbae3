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
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .sandbox import DEMO_SUBPROJECTS, Sandbox

FIRST_NOTEBOOK = "01-getting-started.ipynb"
EXAMPLES = Path(__file__).resolve().parent / "examples"
DEFAULT_WORKDIR = "sinch-notebook-demo"  # under the home directory
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
    with `fresh`. Returns what was copied."""
    copied = []
    for relative in example_files(source):
        destination = target / relative
        if destination.exists() and not fresh:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination)
        copied.append(str(relative))
    return copied


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
def _stop_requested() -> Iterator[threading.Event]:
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


def _shut_down(lab: subprocess.Popen) -> None:
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
        copied = working_copy(notebook_dir, fresh=options.fresh)
        if copied:
            print(f"Copied the example notebooks to {notebook_dir}", flush=True)
        else:
            print(
                f"Using your working copy of the example notebooks in {notebook_dir} "
                "(--fresh starts again from the originals)",
                flush=True,
            )
    token = secrets.token_hex(24)
    sandbox = Sandbox(subprojects=options.subprojects, seed=options.seed, latency=options.latency)
    with _stop_requested() as stop:
        print("Starting the Sinch sandbox (demo account)...", flush=True)
        sandbox.start()
        try:
            print("Starting JupyterLab (a few seconds)...", flush=True)
            lab = subprocess.Popen(
                lab_command(options.port, notebook_dir, options.no_browser, options.lab_args),
                env={**os.environ, **sandbox.env(), "JUPYTER_TOKEN": token},
                start_new_session=True,
            )
            try:
                return _serve(lab, sandbox, notebook_dir, token, stop)
            finally:
                _shut_down(lab)
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
    print(
        f"\nSinch sandbox (demo account: key {sandbox.key_id!r}, project "
        f"{sandbox.project_id!r}) on {sandbox.url}\n"
        f"JupyterLab on {notebook_dir}; its kernels have SINCH_* pointing at the sandbox.\n\n"
        f"    Open http://127.0.0.1:{info['port']}/{page}?token={token}\n\n"
        "Press Ctrl-C to stop both.\n",
        flush=True,
    )
    while not stop.wait(0.5):
        code = lab.poll()
        if code is not None:
            print(f"JupyterLab exited ({code}); sandbox stopped.", flush=True)
            return code
    print("Stopping JupyterLab and the sandbox...", flush=True)
    _shut_down(lab)
    print("Stopped.", flush=True)
    return 0
