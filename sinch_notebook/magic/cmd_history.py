"""Account history commands: `snapshot`, `snapshots`, `diff A [B]` and `history ID`.

Each is one call into `sinch_notebook.account_history`; what it returns shows as HTML in Jupyter
and as text in a terminal (Snapshot and Diff render themselves; the frames of `snapshots` and
`history` through their own views, `history_views.py`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .. import account_history
from ..connection.active import active
from .command import Command
from .history_views import history_view, snapshots_view
from .parsing import add_output

if TYPE_CHECKING:
    from .context import Context

STORE_HELP = (
    "the history store: a path or postgresql://host/db (default: %%config Sinch.history, "
    "$SINCH_HISTORY, the profile's history, or .sinch/history.sqlite under the working directory)"
)
REFS_EPILOG = """\
A and B are snapshot ids (as %sinch snapshots lists them), times (ISO 8601, UTC unless a zone is
given: the latest snapshot at or before it), 'latest', or 'now' (a fresh listing, not stored).
Then d.revert() is a plan back to A: review it and apply it with %sinch apply."""


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH_OR_URL", help=STORE_HELP)


def _snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    _store_option(parser)
    add_output(parser, "the snapshot")


def snapshot(ctx: Context, args: argparse.Namespace) -> account_history.Snapshot:
    taken = account_history.snapshot(ctx.client(), store=args.store)
    ctx.store(args.output, taken)
    return taken


def _snapshots_arguments(parser: argparse.ArgumentParser) -> None:
    _store_option(parser)
    add_output(parser, "the DataFrame")


def snapshots(ctx: Context, args: argparse.Namespace) -> Any:
    frame = account_history.snapshots(store=args.store)
    ctx.store(args.output, frame)
    return ctx.views.frames.mark(frame, view=snapshots_view)


def _diff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="the snapshot to compare from")
    parser.add_argument("b", metavar="B", nargs="?", default="now", help="to (default: now)")
    _store_option(parser)
    add_output(parser, "the diff")


def diff(ctx: Context, args: argparse.Namespace) -> account_history.Diff:
    client = ctx.client() if account_history.needs_listing(args.a, args.b) else active()
    result = account_history.diff(args.a, args.b, store=args.store, client=client)
    ctx.store(args.output, result)
    return result


def _history_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="the subprojectId")
    _store_option(parser)
    add_output(parser, "the DataFrame")


def history(ctx: Context, args: argparse.Namespace) -> Any:
    frame = account_history.history(args.id, store=args.store)
    ctx.store(args.output, frame)
    return ctx.views.frames.mark(frame, view=history_view(args.id))


def _applied_arguments(parser: argparse.ArgumentParser) -> None:
    add_output(parser, "the DataFrame")


def applied(ctx: Context, args: argparse.Namespace) -> Any:
    from ..bulk.applied import applied_plans

    frame = applied_plans()
    ctx.store(args.output, frame)
    return ctx.views.frames.mark(frame)


COMMANDS = [
    Command("snapshot", "store a snapshot of the whole account", _snapshot_arguments, snapshot),
    Command("snapshots", "the snapshots in the history store", _snapshots_arguments, snapshots),
    Command(
        "diff",
        "what changed between two snapshots (or since one)",
        _diff_arguments,
        diff,
        epilog=REFS_EPILOG,
    ),
    Command(
        "history", "one subproject's versions across the snapshots", _history_arguments, history
    ),
    Command(
        "applied",
        "the saved plans applied through the team's store: who, when, counts",
        _applied_arguments,
        applied,
    ),
]
