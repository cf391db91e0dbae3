"""`sinch-notebook app`: the panel alone as a web page, for colleagues who do not write code.

Served by Voilà (an existing, maintained server for ipywidgets apps; `pip install
'sinch-notebook[app]'`): it runs a one-cell notebook and shows only its output, the panel, so the
page has no code cells: Connect (or `SINCH_*` in the environment, or `--sandbox`), Browse, Edit,
Create, Bulk (which also takes an uploaded CSV or Excel file, the panel's own export format) and
History, with the package's own HTML grid (it needs no JupyterLab extension beyond anywidget's).

As with `sinch-notebook demo`: loopback only by default, `--port`, `--no-browser`, and the page's
token travels in Voilà's environment (`JUPYTER_TOKEN`), never on a command line, where any user
of the machine could read it; Voilà's log reaches the terminal through `redact` (a logged URL's
`?token=` masked, as any secret the process holds). The notebook lives in a folder of its own
(`~/sinch-notebook-app` by default): journals of applies and the history store are written
there, and kept.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..redact import redact, register_token
from ..sandbox import DEMO_SUBPROJECTS, Sandbox
from .demo import run_until_stopped, shut_down, stop_requested
from .quiet_server import server_config

APP_NOTEBOOK = "sinch-subprojects.ipynb"
DEFAULT_APP_DIR = "sinch-notebook-app"  # under the home directory
DEFAULT_PORT = 8866
STARTUP_TIMEOUT = 120.0
# The one cell the page runs: the panel, and nothing else to see.
APP_CELL = "from sinch_notebook.cli.app import page\n\npage()"


@dataclass(frozen=True)
class AppOptions:
    port: int = DEFAULT_PORT
    no_browser: bool = False
    app_dir: Path | None = None
    sandbox: bool = False
    subprojects: int = DEMO_SUBPROJECTS
    host: str = "127.0.0.1"


def page() -> object:
    """What the app's page shows: the panel, on the page's own (hidden) notebook namespace."""
    from ..widgets import Panel

    return Panel(for_code=False)


def write_notebook(folder: Path) -> Path:
    """The one-cell notebook Voilà runs (written again each time: it is ours, not the user's)."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "sinch-app",
                "metadata": {},
                "outputs": [],
                "source": APP_CELL,
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "title": "Sinch subprojects",
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = folder / APP_NOTEBOOK
    path.write_text(json.dumps(notebook, indent=1))
    _trust(path)
    return path


def _trust(path: Path) -> None:
    """Sign the notebook we wrote, so Voilà does not log "Notebook ... is not trusted"."""
    import nbformat
    from nbformat.sign import NotebookNotary

    NotebookNotary().sign(nbformat.read(path, as_version=nbformat.NO_CONVERT))


def voila_settings(directory: Path) -> Path:
    """The app's presets for Voilà (`voila.json`, see `quiet_server`), as a Jupyter config
    directory of its own, added to `JUPYTER_CONFIG_PATH` so the person's own settings win."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "voila.json").write_text(json.dumps(server_config("Voila"), indent=1))
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def voila_command(notebook: Path, port: int, host: str, no_browser: bool) -> list[str]:
    """Voilà's command line: no secret in it (the token goes in `JUPYTER_TOKEN`)."""
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.auto_token=True",  # a token is required; its value comes from JUPYTER_TOKEN
        "--Voila.log_level=WARN",
        "--strip_sources=True",
        "--theme=light",
    ]
    if no_browser:
        command.append("--no-browser")
    return command


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def run(options: AppOptions) -> int:
    if importlib.util.find_spec("voila") is None:
        print("sinch-notebook app needs Voilà: pip install 'sinch-notebook[app]'", file=sys.stderr)
        return 1
    folder = (options.app_dir or Path.home() / DEFAULT_APP_DIR).resolve()
    notebook = write_notebook(folder)
    port = options.port or free_port()
    token = secrets.token_hex(24)
    register_token(token)
    env = {**os.environ, "JUPYTER_TOKEN": token}
    sandbox = Sandbox(subprojects=options.subprojects) if options.sandbox else None
    with stop_requested() as stop, tempfile.TemporaryDirectory(prefix="sinch-app-") as presets:
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            filter(
                None, [str(voila_settings(Path(presets))), os.environ.get("JUPYTER_CONFIG_PATH")]
            )
        )
        if sandbox is not None:
            print("Starting the Sinch sandbox (demo account)...", flush=True)
            sandbox.start()
            env.update(sandbox.env())
        try:
            print("Starting Voilà...", flush=True)
            server = subprocess.Popen(
                voila_command(notebook, port, options.host, options.no_browser),
                cwd=folder,
                env=env,
                start_new_session=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
            assert server.stdout is not None
            _relay_masked(server.stdout, sys.stderr)
            try:
                return _serve(server, options.host, port, token, folder, stop)
            finally:
                shut_down(server)
        finally:
            if sandbox is not None:
                sandbox.stop()


def _relay_masked(source: IO[str], target: IO[str]) -> threading.Thread:
    """Copy Voilà's log to `target` line by line, each through `redact`: Voilà logs a failed
    request's URL in full, `?token=` included."""

    def relay() -> None:
        for line in source:
            target.write(redact(line))
            target.flush()

    thread = threading.Thread(target=relay, name="voila-log", daemon=True)
    thread.start()
    return thread


def _serve(
    server: subprocess.Popen, host: str, port: int, token: str, folder: Path, stop: threading.Event
) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not _listening(host, port):
        if server.poll() is not None:
            print(f"sinch-notebook app: Voilà did not start (exit {server.returncode}).")
            return server.returncode or 1
        if stop.is_set() or time.monotonic() > deadline:
            print("Stopped before Voilà was ready.", flush=True)
            return 0 if stop.is_set() else 1
        stop.wait(0.2)
    banner = (
        f"\nThe Sinch subprojects panel, served by Voilà from {folder}\n\n"
        f"    Open http://{host}:{port}/?token={token}\n\n"
        "Press Ctrl-C to stop.\n"
    )
    code = run_until_stopped(server, stop, banner, "Voilà")
    return 0 if code is None else code


def add_command(commands: argparse._SubParsersAction) -> None:
    """The `app` subcommand (registered by `commands.py`)."""
    app = commands.add_parser(
        "app", help="the panel alone as a web page (Voilà), for people who do not write code"
    )
    app.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    app.add_argument("--no-browser", action="store_true", help="do not open a browser")
    app.add_argument(
        "--dir",
        default=None,
        help=f"the app's folder (journals, history): default ~/{DEFAULT_APP_DIR}",
    )
    app.add_argument(
        "--sandbox",
        action="store_true",
        help="connect the page to a local sandbox's demo account (to try it without an account)",
    )
    app.add_argument(
        "--subprojects", type=int, default=DEMO_SUBPROJECTS, help="with --sandbox: how many"
    )
    app.set_defaults(run=_run_from_args)


def _run_from_args(args: argparse.Namespace) -> int:
    return run(
        AppOptions(
            port=args.port,
            no_browser=args.no_browser,
            app_dir=Path(args.dir) if args.dir else None,
            sandbox=args.sandbox,
            subprojects=args.subprojects,
        )
    )
