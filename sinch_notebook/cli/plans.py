"""`sinch-notebook plan show FILE` and `sinch-notebook apply FILE`: a saved plan in a terminal.

The owner reviews a plan an analyst saved (`plan.save("change.json")`) and applies it: the same
review as in a notebook, a `[y/N]` question, a progress bar and the result per row. Every rule
is the core's (`Plan.raise_if_unsafe`, the stale check and one apply per plan file); this face
only parses, asks and shows. Credentials come from `--profile NAME` (a saved profile, its
secret in the OS keychain) or the `SINCH_*` variables, resolved by the one precedence of
`options.py`, never asked for; they are never read from or written to the plan file.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..config import MAX_WORKERS
from ..confirm import MASS_DELETE_THRESHOLD, MASS_UPDATE_SHARE, plural
from ..errors import SinchError

if TYPE_CHECKING:
    from ..bulk import ApplyResult, Plan
    from ..bulk.render import Hints

EXIT_OK = 0
EXIT_NOT_APPLIED = 1  # refused, cancelled, or not every change applied


def cli_hints(path: str) -> Hints:
    """The next steps in this command line's words."""
    from ..bulk.render import Hints

    return Hints(
        force="plan again with force=True to apply it",
        force_all="plan again with force=True to apply them anyway",
        mass_delete=f"sinch-notebook apply {path} --allow-mass-delete is required",
        apply=f"Apply with sinch-notebook apply {path}.",
        retry_failed="sn.resume(journal) in Python re-applies the {n} failed.",
        resume="sn.resume({path!r}) (or %sinch resume {path}) applies what is not done.",
        remaining="sn.resume(journal) applies what is not done.",
        mass_update=f"sinch-notebook apply {path} --allow-mass-update is required",
    )


def add_plan_commands(commands: Any) -> None:
    """Register `plan show` and `apply` on the main parser's subcommands."""
    plan = commands.add_parser("plan", help="review a saved plan file (plan show FILE)")
    actions = plan.add_subparsers(dest="plan_command", required=True)
    show = actions.add_parser("show", help="print the review of a plan file")
    show.add_argument("file", metavar="FILE", help="a plan file, from plan.save(FILE)")
    form = show.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="as Markdown (a ticket, a PR)")
    form.add_argument("--json", action="store_true", help="the plan file's JSON, checked")
    show.set_defaults(run=run_show)

    apply = commands.add_parser(
        "apply",
        help="apply a saved plan file, after a [y/N] question (credentials: --profile or SINCH_*)",
    )
    apply.add_argument("file", metavar="FILE", help="a plan file, from plan.save(FILE)")
    apply.add_argument("--yes", "-y", action="store_true", help="do not ask")
    apply.add_argument(
        "--profile", metavar="NAME", help="a saved profile (default: SINCH_* or the default one)"
    )
    apply.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help=f"needed when the plan deletes more than {MASS_DELETE_THRESHOLD} subprojects",
    )
    apply.add_argument(
        "--allow-mass-update",
        action="store_true",
        help=f"needed when it updates more than {MASS_UPDATE_SHARE:.0%}% of the live subprojects",
    )
    apply.add_argument(
        "--workers",
        type=_workers,
        default=8,
        metavar="N",
        help=f"parallel requests, 1 to {MAX_WORKERS} (default 8)",
    )
    apply.add_argument("--no-progress", action="store_true", help="no progress bar")
    apply.set_defaults(run=run_apply)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {MAX_WORKERS}")
    return value


def _fail(message: str) -> int:
    print(f"sinch-notebook: {message}", file=sys.stderr)
    return EXIT_NOT_APPLIED


def _load(path: str) -> Plan:
    from ..bulk.planfile import read_plan  # pandas: loaded only by the commands that need it

    plan = read_plan(path)
    plan.hints = cli_hints(path)
    return plan


def run_show(args: argparse.Namespace) -> int:
    try:
        plan = _load(args.file)
    except SinchError as err:
        return _fail(err.message)
    if args.json:
        print(plan.to_json(), end="")
    elif args.markdown:
        print(plan.to_markdown(), end="")
    else:
        print(_heading(plan))
        print(plan)
    return EXIT_OK


def _heading(plan: Plan) -> str:
    from ..bulk.planfile import heading

    return heading(plan)


def _ask(question: str) -> bool | None:
    """True for y/yes; None when nobody answers (standard input closed)."""
    print(question, end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return None
    if not answer:
        print()
        return None
    return answer.strip().lower() in ("y", "yes")


def _question(plan: Plan) -> str:
    deletes = plan.deletes
    extra = f", including {plural(deletes, 'delete')} (there is no undelete)" if deletes else ""
    return f"Apply {plural(len(plan), 'change')} to project {plan.project_id}{extra}? [y/N] "


def run_apply(args: argparse.Namespace) -> int:
    from .profiles import connect_stored

    try:
        plan = _load(args.file)
        print(_heading(plan))
        print(plan)
        if plan.readiness != "ready":
            print("Nothing to apply.")
            return EXIT_OK
        plan.raise_if_unsafe(args.allow_mass_delete, args.allow_mass_update)
        _bind(plan, connect_stored(args.profile, "apply"))
        plan.check_fresh()
    except SinchError as err:
        return _fail(err.message)
    if not args.yes:
        answer = _ask(_question(plan))
        if answer is None:
            return _fail("nobody answered: nothing was applied (--yes applies without asking)")
        if not answer:
            print("Cancelled: nothing was applied.")
            return EXIT_NOT_APPLIED
    try:
        result = plan.apply(
            workers=args.workers,
            progress=not args.no_progress,
            allow_mass_delete=args.allow_mass_delete,
            allow_mass_update=args.allow_mass_update,
        )
    except SinchError as err:
        return _fail(err.message)
    _print_result(result)
    return EXIT_OK if result.ok else EXIT_NOT_APPLIED


def _bind(plan: Plan, client: Any) -> None:
    from ..bulk.planfile import bind

    bind(plan, client)


def _print_result(result: ApplyResult) -> None:
    """One line per row (status, operation, subproject, name, why), then the summary."""
    for outcome in result.outcomes:
        change = outcome.change
        sid = outcome.subproject_id or change.subproject_id or "(new)"
        why = f": {outcome.error}" if outcome.error else ""
        print(f"  {outcome.status:<8} {change.op:<6} {sid} {change.display_name!r}{why}")
    for bad in result.invalid:
        print(f"  skipped  invalid {bad.subproject_id or bad.row}: {bad.reason}")
    print(result)
