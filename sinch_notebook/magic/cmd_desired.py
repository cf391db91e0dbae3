"""The account as code: `dump [-o FILE]`, `diff FILE.yaml [-o VAR]`, `sync FILE [--doit]`.

`diff` is shared with the account history: `%sinch diff A [B]` compares snapshots, and a first
argument that names a YAML file (`.yaml`, `.yml`: never a snapshot id, time or word) is a
desired-state file. Each runs one call into `sinch_notebook.desired_state`; deletes are asked
about as `%sinch apply` asks.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..cli.options import MASS_DELETE, TAKEOVER, add_options, switch
from ..desired_state import Desired, DesiredDiff, SyncResult, desired
from ..desired_state.api import dump_to
from ..desired_state.hints import command_hints
from . import cmd_history
from .cmd_bulk import _confirm_deletes, guard_options
from .command import Command
from .errors import MagicError
from .hints import magic_hints
from .parsing import add_output

if TYPE_CHECKING:
    from .context import Context

YAML_SUFFIXES = (".yaml", ".yml")
YAML = "FILE.yaml"  # the metavar tab completion offers desired-state files for


def is_desired_file(text: str) -> bool:
    """Whether a `diff` argument names a desired-state file rather than a snapshot."""
    return text.strip().lower().endswith(YAML_SUFFIXES)


def _dump_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar=YAML, help="write it to a file (YAML)")
    where.add_argument(
        "--update", metavar=YAML, help="rewrite the file in place, keeping its comments and order"
    )


def run_dump(ctx: Context, args: argparse.Namespace) -> None:
    print(dump_to(ctx.client(), args.output, args.update, "%sinch diff"), end="")


def _desired_options(parser: argparse.ArgumentParser) -> None:
    add_options(parser, TAKEOVER, *guard_options("plan"))


def _allowances(args: argparse.Namespace) -> dict[str, bool]:
    """What the options allow a desired-state plan (`Desired.diff`'s keywords)."""
    return {
        "takeover": args.takeover,
        "allow_protected": args.allow_protected,
        "allow_policy_violations": args.allow_policy_violations,
    }


def _diff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "a", metavar="A", help="the snapshot to compare from (or a desired-state file, FILE.yaml)"
    )
    parser.add_argument("b", metavar="B", nargs="?", default="now", help="to (default: now)")
    cmd_history._store_option(parser)
    _desired_options(parser)
    parser.add_argument("--save", metavar="PLAN", help="a desired-state file's plan, saved")
    add_output(parser, "the diff")


def _hints(path: str, output: str | None) -> Any:
    return command_hints(magic_hints(plan=output), f"%sinch sync {path}")


def run_diff(ctx: Context, args: argparse.Namespace) -> Any:
    if not is_desired_file(args.a):
        given = [name for name, on in _allowances(args).items() if on] + (
            ["save"] if args.save else []
        )
        if given:
            option = "--" + given[0].replace("_", "-")
            raise MagicError(
                f"{option} is for a desired-state file (%sinch diff FILE.yaml {option}), "
                f"not for comparing snapshots; {args.a!r} is not a .yaml file"
            )
        return cmd_history.diff(ctx, args)
    wanted = desired(args.a)
    result = wanted.diff(
        ctx.client(), **_allowances(args), store=args.store, hints=_hints(args.a, None)
    )
    ctx.store(args.output, result)
    if args.save:
        saved = result.save(args.save)
        print(f"Saved the plan to {saved}: %sinch apply {saved} or sinch-notebook apply {saved}.")
    return result


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar=YAML, help="a desired-state file (subprojects.yaml)")
    parser.add_argument("--doit", action="store_true", help="apply it (default: only show)")
    _desired_options(parser)
    add_options(parser, MASS_DELETE, switch("--allow-mass-update", help="needed for a mass update"))
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask before deleting")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    cmd_history._store_option(parser)
    add_output(parser, "the sync's result")


def run_sync(ctx: Context, args: argparse.Namespace) -> SyncResult | DesiredDiff | None:
    wanted: Desired = desired(args.file)
    planned = wanted.diff(
        ctx.client(), **_allowances(args), store=args.store, hints=_hints(args.file, None)
    )
    if not args.doit:
        ctx.store(args.output, planned)
        return planned
    if len(planned.plan) and not _confirm_deletes(ctx, planned.plan, args):
        print("Cancelled: nothing was applied.")
        return None
    result = wanted.apply(
        planned,
        allow_mass_delete=args.allow_mass_delete,
        allow_mass_update=args.allow_mass_update,
        allow_protected=args.allow_protected,
        allow_policy_violations=args.allow_policy_violations,
        workers=ctx.settings.workers,
        progress=not args.no_progress,
        store=args.store,
    )
    ctx.store(args.output, result)
    return result


SYNC_EPILOG = """\
Without --doit it shows what it would do and changes nothing. With --doit it applies the plan
(mass-delete and mass-update rules, protected subprojects, the label policy: the file's policy:
section, else %config Sinch.policy; last-moment checks, journal, exactly-once creates) and
records a snapshot tagged as this sync, so the next diff tells drift from plan."""

COMMANDS = [
    Command(
        "dump",
        "the live subprojects as a desired-state file (YAML)",
        _dump_arguments,
        run_dump,
    ),
    Command(
        "diff",
        "what changed between two snapshots, or how the account differs from FILE.yaml",
        _diff_arguments,
        run_diff,
        epilog=cmd_history.REFS_EPILOG,
    ),
    Command(
        "sync",
        "make the account what a desired-state file says (with --doit)",
        _sync_arguments,
        run_sync,
        epilog=SYNC_EPILOG,
    ),
]
