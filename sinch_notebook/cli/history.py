"""`sinch-notebook history copy|check`: moving a history into a team's store, and checking one.

    sinch-notebook history copy --from .sinch/history.sqlite --to postgresql://db.example/team
    sinch-notebook history check --store postgresql://db.example/team

Each prints one line and exits 0, or one line on stderr and a non-zero status.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import SinchError
from .profiles import _fail


def run_copy(args: argparse.Namespace) -> int:
    from ..account_history.copying import copy_store
    from ..account_history.store import open_store

    try:
        source, target = open_store(args.source), open_store(args.target)
        result = copy_store(source, target, progress=not args.quiet and sys.stderr.isatty())
    except SinchError as err:
        return _fail("history copy", str(err))
    except KeyboardInterrupt:
        return _fail("history copy", "interrupted; the snapshots copied so far are whole", 130)
    print(result.line(source, target), flush=True)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from ..account_history.store import open_store

    try:
        store = open_store(args.store)
        problems = store.check()
        count = len(store.snapshot_infos())
    except SinchError as err:
        return _fail("history check", str(err))
    if problems:
        for line in problems:
            print(f"sinch-notebook history check: {line}", file=sys.stderr)
        return 1
    print(f"{store.where}: {count} snapshots, no problems found", flush=True)
    return 0


def add_history_parser(commands: Any) -> None:
    history = commands.add_parser("history", help="the account history store: copy, check")
    actions = history.add_subparsers(dest="action", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy every snapshot of one store into another (e.g. into a team's PostgreSQL)",
        description="Copy every snapshot (times, versions, order) of one store into another; "
        "what the target already holds is skipped, so running it again is safe.",
    )
    copy.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL")
    copy.add_argument("--to", dest="target", required=True, metavar="PATH_OR_URL")
    copy.add_argument("--quiet", action="store_true", help="no progress bar")
    copy.set_defaults(run=run_copy)
    check = actions.add_parser("check", help="check a store's consistency (one line when sound)")
    check.add_argument("--store", metavar="PATH_OR_URL", help="default: as `snapshot` chooses")
    check.set_defaults(run=run_check)
