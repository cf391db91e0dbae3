"""`sinch-notebook` command line: the local sandbox, the demo (sandbox + JupyterLab), saved
profiles and scheduled snapshots (`profiles.py`), the history store (`history copy|check`:
`history.py`), saved plans (`plan show FILE`, `apply FILE`: `plans.py`), the label policy
(`check`: `check.py`), the account as code (`dump`, `diff FILE`, `sync FILE`: `desired.py`), and
the app (the panel as a web page: `app.py`)."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..sandbox import (
    DEMO_KEY_ID,
    DEMO_KEY_SECRET,
    DEMO_PROJECT_ID,
    DEMO_SUBPROJECTS,
    Sandbox,
)
from .app import add_command as add_app_command
from .check import add_check_parser
from .demo import DemoOptions
from .desired import add_desired_commands
from .help import help_of
from .history import add_history_parser
from .plans import add_plan_commands
from .profiles import add_profile_parser, add_snapshot_parser

DEMO_DESCRIPTION = """\
JupyterLab on a working copy of the example notebooks, connected to a local Sinch sandbox with
a demo account: every kernel gets SINCH_* variables pointing at it, so sn.connect(), %sinch and
the panel work with no account. The copy is made in ~/sinch-notebook-demo on the first run and
kept (your changes stay; --fresh starts again from the originals, with no account history or
journals). The sandbox's account starts afresh at every start. Ctrl-C stops JupyterLab, its
kernels and the sandbox together."""


# The sandbox's command-line options, each a `Sandbox` keyword (--key-id is key_id):
# (keyword, type, default, help), so the parser and `sandbox_from_args` share one list.
_SANDBOX_OPTIONS: tuple[tuple[str, type | None, Any, str], ...] = (
    ("key_id", None, DEMO_KEY_ID, "the Key ID the sandbox accepts"),
    ("key_secret", None, DEMO_KEY_SECRET, "the Key Secret the sandbox accepts"),
    ("project_id", None, DEMO_PROJECT_ID, "the demo account's parent project ID"),
    ("subprojects", int, DEMO_SUBPROJECTS, "demo subprojects to seed"),
    ("seed", int, 0, "seed for the demo data"),
    ("latency", float, 0.0, "seconds added per request"),
    ("token_ttl", float, 3600, "token lifetime, seconds"),
    ("error_rate", float, 0.0, "share of 5xx answers"),
    ("throttle_rate", float, 0.0, "share of 429 answers"),
    ("reset_rate", float, 0.0, "share of dropped answers"),
    ("rate_limit", float, None, "requests/s per key"),
)


def _add_sandbox_options(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    for name, kind, default, text in _SANDBOX_OPTIONS:
        shown = f"{text} (default: {default})" if default is not None else text
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=default, help=shown)


def sandbox_from_args(args: argparse.Namespace) -> Sandbox:
    return Sandbox(port=args.port, **{name: getattr(args, name) for name, *_ in _SANDBOX_OPTIONS})


def export_lines(sandbox: Sandbox) -> str:
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in sandbox.env().items())


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def run_sandbox(args: argparse.Namespace) -> int:
    sandbox = sandbox_from_args(args)
    try:
        sandbox.start()
    except OSError as exc:
        print(f"sinch-notebook: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    if args.print_env:
        print(export_lines(sandbox), flush=True)
    else:
        print(
            f"Sinch sandbox listening on {sandbox.url}\n"
            f"  token endpoint: {sandbox.token_url}\n"
            f"  Key ID:         {sandbox.key_id}\n"
            f"  Key Secret:     {args.key_secret}   (a sandbox credential, not a real one)\n"
            f"  Project ID:     {sandbox.project_id}\n\n"
            f"Point sn.connect() and %sinch at it with:\n{export_lines(sandbox)}\n\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
    _wait_for_interrupt()
    sandbox.stop()
    return 0


def demo_options(args: argparse.Namespace) -> DemoOptions:
    lab_args = args.lab_args[1:] if args.lab_args[:1] == ["--"] else args.lab_args
    return DemoOptions(
        port=args.port,
        no_browser=args.no_browser,
        notebook_dir=Path(args.notebook_dir) if args.notebook_dir else None,
        subprojects=args.subprojects,
        seed=args.seed,
        latency=args.latency,
        lab_args=tuple(lab_args),
        fresh=args.fresh,
    )


def run_demo(args: argparse.Namespace) -> int:
    """The sandbox's demo account plus JupyterLab on the example notebooks, stopped together."""
    from .demo import run

    return run(demo_options(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sinch-notebook", description="The Sinch Subprojects API in Jupyter."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(run=help_of(parser))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox = commands.add_parser(
        "sandbox", help="run a local Sinch-compatible server (demo account by default)"
    )
    _add_sandbox_options(sandbox, default_port=8765)
    sandbox.add_argument(
        "--print-env", action="store_true", help="print only the export lines, for eval"
    )
    sandbox.set_defaults(run=run_sandbox)

    demo = commands.add_parser(
        "demo",
        help="JupyterLab on the example notebooks, connected to a local sandbox",
        description=DEMO_DESCRIPTION,
    )
    demo.add_argument(
        "--port", type=int, default=8888, help="JupyterLab's port (0 picks a free one)"
    )
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    demo.add_argument(
        "--notebook-dir",
        default=None,
        help="serve this folder as it is (default: a working copy of the example notebooks "
        "in ~/sinch-notebook-demo)",
    )
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="copy the example notebooks again over the working copy (your changes go) and "
        "remove its account history and journals (.sinch/)",
    )
    demo.add_argument(
        "--subprojects", type=int, default=DEMO_SUBPROJECTS, help="demo subprojects to seed"
    )
    demo.add_argument("--seed", type=int, default=0, help="seed for the demo data")
    demo.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    demo.add_argument(
        "lab_args",
        nargs=argparse.REMAINDER,
        metavar="-- LAB_OPTIONS",
        help="after --, more options for jupyter lab (e.g. -- --ServerApp.base_url=/x/)",
    )
    demo.set_defaults(run=run_demo)
    add_profile_parser(commands)
    add_snapshot_parser(commands)
    add_history_parser(commands)
    add_plan_commands(commands)
    add_check_parser(commands)
    add_desired_commands(commands)
    add_app_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head -3`): the rest of the output is not wanted. stdout is
        # pointed at /dev/null so Python's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command ended by a closed pipe
    return code


if __name__ == "__main__":
    sys.exit(main())
