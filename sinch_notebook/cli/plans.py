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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import MAX_WORKERS
from ..confirm import plural
from ..errors import SinchError
from .help import with_help_when_alone
from .options import (
    MASS_DELETE,
    MASS_UPDATE,
    NO_PROGRESS,
    PLAN_FILE,
    PROFILE,
    Option,
    add_command,
    add_options,
    switch,
    value,
)

if TYPE_CHECKING:
    from ..bulk import ApplyResult, Plan
    from ..bulk.render import Hints

EXIT_OK = 0
EXIT_NOT_APPLIED = 1  # refused, cancelled, or not every change applied


def cli_hints(path: str, journal: str | None = None) -> Hints:
    """The next steps in this command line's words; `journal`: the plan file's journal, when
    it exists (the file was applied, or is being: it applies once)."""
    from ..bulk.render import Hints

    if journal is None:
        apply = f"Apply with sinch-notebook apply {path}."
    else:
        apply = f"Applied already (or being applied): its journal {journal} exists."
    return Hints(
        force="plan again with force=True to apply it",
        force_all="plan again with force=True to apply them anyway",
        mass_delete=f"sinch-notebook apply {path} --allow-mass-delete is required",
        apply=apply,
        retry_failed="sn.resume(journal) in Python re-applies the {n} failed.",
        resume="sn.resume({path!r}) (or %sinch resume {path}) applies what is not done.",
        remaining="sn.resume(journal) applies what is not done.",
        mass_update=f"sinch-notebook apply {path} --allow-mass-update is required",
        allow_protected=f"sinch-notebook apply {path} --allow-protected sends them anyway",
        allow_policy=f"sinch-notebook apply {path} --allow-policy-violations sends them anyway",
        replan=f"sinch-notebook plan replan {path} makes a new plan of the same intent, to review",
    )


def add_plan_commands(commands: Any) -> None:
    """Register `plan show` and `apply` on the main parser's subcommands."""
    plan = commands.add_parser("plan", help="review a saved plan file (plan show FILE)")
    actions = with_help_when_alone(plan)
    show = add_command(actions, "show", run_show, PLAN_FILE, help="print the review of a plan file")
    add_options(
        show.add_mutually_exclusive_group(),
        switch("--markdown", help="as Markdown (a ticket, a PR)"),
        switch("--json", help="the plan file's JSON, checked"),
    )
    add_command(
        actions,
        "replan",
        run_replan,
        PLAN_FILE,
        value(
            "--out", metavar="NEW", help="where to save the new plan (default: FILE-replanned.json)"
        ),
        PROFILE,
        help="a new plan of a stale plan's intent against the account as it is now",
        description="Read FILE, plan the same changes again against the account as it is now "
        "(credentials: --profile or SINCH_*), save the new plan and print its review.",
    )
    add_command(
        commands,
        "apply",
        run_apply,
        PLAN_FILE,
        switch("--yes", "-y", help="do not ask"),
        PROFILE,
        *apply_options(),
        help="apply a saved plan file, after a [y/N] question (credentials: --profile or SINCH_*)",
    )


def guard_options(verb: str) -> tuple[Option, ...]:
    """The overrides of the guard rails (guards.rules), recorded on each change they let
    through; `verb`: what the command does with those changes ("send", "plan")."""
    return (
        switch(
            "--allow-protected",
            help=f"also {verb} the deletes and renames of protected subprojects (refused rows)",
        ),
        switch(
            "--allow-policy-violations", help=f"also {verb} the changes that break the label policy"
        ),
    )


def apply_options() -> tuple[Option, ...]:
    """What applying takes in a terminal (`apply FILE`, `sync FILE --doit`): the permissions
    of the mass-delete and mass-update rules, workers, progress."""
    return (
        MASS_DELETE,
        MASS_UPDATE,
        *guard_options("send"),
        value(
            "--workers",
            metavar="N",
            help=f"parallel requests, 1 to {MAX_WORKERS} (default 8)",
            type=_workers,
            default=8,
        ),
        NO_PROGRESS,
    )


def _workers(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to {MAX_WORKERS}")
    return number


def _fail(message: str) -> int:
    print(f"sinch-notebook: {message}", file=sys.stderr)
    return EXIT_NOT_APPLIED


def _load(path: str, *, edited_ok: bool = False) -> Plan:
    from ..bulk.planfile import read_plan  # pandas: loaded only by the commands that need it
    from ..bulk.saved import journal_exists, journal_for

    plan = read_plan(path, edited_ok=edited_ok)
    journal = journal_for(plan.file) if plan.file is not None else None
    plan.hints = cli_hints(path, str(journal) if journal and journal_exists(journal) else None)
    if plan.edited:
        plan.hints = replace(plan.hints, apply="It cannot be applied: it was edited.")
    return plan


def run_show(args: argparse.Namespace) -> int:
    try:
        plan = _load(args.file, edited_ok=True)
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
    from ..bulk.saved import raise_if_applied
    from .profiles import connect_stored

    try:
        plan = _load(args.file)
        raise_if_applied(plan)  # before the review, which would end "Apply with ..."
        plan.release(args.allow_protected, args.allow_policy_violations)  # shown as overrides
        print(_heading(plan))
        print(plan)
        if plan.readiness != "ready":
            print("Nothing to apply.")
            return EXIT_OK
        plan.raise_if_unsafe(args.allow_mass_delete, args.allow_mass_update)
        _bind(plan, connect_stored(args.profile, "apply"))
        plan.check_fresh()
        plan.raise_if_unsafe(args.allow_mass_delete, args.allow_mass_update)  # live count
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


def replanned_path(path: str) -> str:
    """FILE-replanned.json beside FILE: the stale plan stays as it was reviewed."""
    from pathlib import Path

    source = Path(path)
    return str(source.with_name(f"{source.stem}-replanned{source.suffix or '.json'}"))


def run_replan(args: argparse.Namespace) -> int:
    from .profiles import connect_stored

    out = args.out or replanned_path(args.file)
    try:
        stale = _load(args.file)
        _bind(stale, connect_stored(args.profile, "plan replan"))
        fresh = stale.replan()
        fresh.save(out)
        fresh.hints = cli_hints(out)
    except SinchError as err:
        return _fail(err.message)
    print(f"Planned {args.file} again against the account now; saved as {out}.")
    print(_heading(fresh))
    print(fresh)
    return EXIT_OK


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
