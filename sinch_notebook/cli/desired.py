"""`sinch-notebook dump`, `diff FILE` and `sync FILE [--doit]`: the account as code in a terminal.

For cron and CI: `diff --exit-code` exits 0 in sync, 2 when the account differs, 1 on any
error; `diff --markdown` prints the review for a pull request; `diff --save PLAN.json` writes a
plan file that `sinch-notebook apply` takes with all its checks. Credentials come from
`--profile NAME` or `SINCH_*`, never asked for. Every rule is `sinch_notebook.desired_state`'s;
this face only parses and shows.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..errors import SinchError
from .options import DESIRED_FILE, PROFILE, TAKEOVER, add_command, add_options, switch, value
from .plans import apply_options, cli_hints, guard_options

if TYPE_CHECKING:
    from ..bulk.render import Hints

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DIFFERENT = 2


def _fail(command: str, message: str) -> int:
    print(f"sinch-notebook {command}: {message}", file=sys.stderr)
    return EXIT_ERROR


def _connect(args: argparse.Namespace, command: str) -> Any:
    from .profiles import connect_stored

    return connect_stored(args.profile, command)


def _hints(path: str) -> Hints:
    from ..desired_state.hints import command_hints

    return command_hints(cli_hints(path), f"sinch-notebook sync {path}")


def _planning(args: argparse.Namespace) -> dict[str, Any]:
    """What a diff and a sync both take from the command line: the file's overrides and store."""
    return {
        "takeover": args.takeover,
        "allow_protected": args.allow_protected,
        "allow_policy_violations": args.allow_policy_violations,
        "store": args.store,
        "hints": _hints(args.file),
    }


def run_dump(args: argparse.Namespace) -> int:
    from ..desired_state.api import dump_to

    try:
        client = _connect(args, "dump")
        print(dump_to(client, args.output, args.update, "sinch-notebook diff"), end="")
    except SinchError as err:
        return _fail("dump", str(err))
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    from ..desired_state import desired

    try:
        wanted = desired(args.file)
        client = _connect(args, "diff")
        result = wanted.diff(client, **_planning(args))
        if args.save:
            saved = result.save(args.save)
            print(f"Saved the plan to {saved}: sinch-notebook apply {saved} applies it.",
                  file=sys.stderr)  # fmt: skip
    except SinchError as err:
        return _fail("diff", str(err))
    print(result.to_markdown() if args.markdown else result, end="" if args.markdown else "\n")
    if args.exit_code:
        return result.exit_code
    return EXIT_OK


def run_sync(args: argparse.Namespace) -> int:
    from ..desired_state import desired

    try:
        wanted = desired(args.file)
        client = _connect(args, "sync")
        done = wanted.sync(
            args.doit,
            client,
            **_planning(args),
            allow_mass_delete=args.allow_mass_delete,
            allow_mass_update=args.allow_mass_update,
            workers=args.workers,
            progress=not args.no_progress,
        )
    except SinchError as err:
        return _fail("sync", str(err))
    print(done)
    return EXIT_OK if done.ok else EXIT_ERROR


STORE = value(
    "--store",
    metavar="PATH",
    help="the history store whose last sync tells drift (default: $SINCH_HISTORY, else "
    ".sinch/history.sqlite)",
)


def add_desired_commands(commands: Any) -> None:
    """Register `dump`, `diff` and `sync` on the main parser's subcommands."""
    dump = add_command(
        commands,
        "dump",
        run_dump,
        PROFILE,
        help="the live subprojects as a desired-state file (YAML), for review in git",
        description="Print (or write) the live subprojects, sorted by name then id, with ids.",
    )
    add_options(
        dump.add_mutually_exclusive_group(),
        value("-o", "--output", metavar="FILE", help="write it to FILE"),
        value(
            "--update", metavar="FILE", help="rewrite FILE in place, keeping its comments and order"
        ),
    )
    planning = (DESIRED_FILE, PROFILE, TAKEOVER, STORE)
    add_command(
        commands,
        "diff",
        run_diff,
        *planning,
        switch("--exit-code", help="exit 0 in sync, 2 when it differs, 1 on error"),
        value("--save", metavar="PLAN", help="also save the plan (sinch-notebook apply)"),
        switch("--markdown", help="as Markdown (for a pull request)"),
        *guard_options("plan"),
        help="how the account differs from a desired-state file (nothing is changed)",
        description="One summary line, then the plan a sync would apply, the unmanaged "
        "subprojects and what changed on the server since the last sync.",
    )
    add_command(
        commands,
        "sync",
        run_sync,
        *planning,
        switch("--doit", help="apply it (default: only show)"),
        *apply_options(),
        help="make the account what a desired-state file says (only with --doit)",
        description="Without --doit: what it would do, nothing changed. With --doit: apply it "
        "with every guard, then record a snapshot tagged as this sync.",
    )
