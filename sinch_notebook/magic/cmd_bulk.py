"""Bulk commands: `plan FRAME` shows what an edited DataFrame would change; `apply PLAN` sends it.

A plan is applied exactly as it was reviewed, so `apply` takes a Plan (a variable, or a plan
file saved with `plan FRAME --save FILE`), never a DataFrame; `show FILE` reviews a plan file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import TYPE_CHECKING

import pandas as pd

from ..bulk import (
    MASS_DELETE_THRESHOLD,
    ApplyResult,
    JournalError,
    MassDeleteRefused,
    MassUpdateRefused,
    Plan,
    load_plan,
)
from ..bulk import resume as resume_journal
from ..bulk.planfile import heading, read_plan
from ..bulk.render import Hints
from ..bulk.resume import journal_for, pending_plan
from ..cli.options import MASS_DELETE, MASS_UPDATE, NO_PROGRESS, Option, add_options, switch, value
from ..config import MAX_WORKERS
from ..confirm import MASS_UPDATE_SHARE, before_deleting
from .command import Command
from .errors import MagicError
from .hints import magic_hints
from .interaction import ask_before_deleting
from .parsing import add_output, bounded_int

if TYPE_CHECKING:
    from .context import Context


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(
        parser,
        value("frame", metavar="FRAME", help="an edited DataFrame: a variable (or an expression)"),
        switch(
            "--force",
            help="apply rows changed on the server since the frame was read (the frame wins)",
        ),
        *guard_options("plan"),
        value(
            "--save",
            metavar="FILE",
            help="also save the plan to FILE (e.g. change.json), to review and apply it elsewhere",
        ),
    )
    add_output(parser, "the plan")


PLAN_EPILOG = """\
Rows without subprojectId are created, changed names and labels are updated, rows with a true
'delete' cell are deleted; rows left out of the frame are not touched. Then: %sinch apply PLAN"""


def plan(ctx: Context, args: argparse.Namespace) -> Plan:
    frame = ctx.lookup(args.frame, "the frame")
    if not isinstance(frame, pd.DataFrame):
        raise MagicError(f"{args.frame!r} is a {type(frame).__name__}, not a DataFrame")
    result = ctx.client().plan(
        frame,
        force=args.force,
        allow_protected=args.allow_protected,
        allow_policy_violations=args.allow_policy_violations,
    )
    result.hints = magic_hints(args.frame, args.output)
    ctx.store(args.output, result)
    if args.save:
        saved = result.save(args.save)
        result.hints = file_hints(str(saved))
        print(
            f"Saved the plan to {saved}: %sinch show {saved} reviews it, %sinch apply {saved} "
            f"or sinch-notebook apply {saved} applies it."
        )
    return result


def file_hints(path: str) -> Hints:
    """The magic's next steps for a plan file."""
    return dataclasses.replace(
        magic_hints(),
        apply=f"Apply with %sinch apply {path}.",
        mass_delete=f"%sinch apply {path} --allow-mass-delete is required",
        mass_update=f"%sinch apply {path} --allow-mass-update is required",
        allow_protected=f"%sinch apply {path} --allow-protected sends them anyway",
        allow_policy=f"%sinch apply {path} --allow-policy-violations sends them anyway",
    )


def _is_file(text: str) -> bool:
    return text.endswith(".json") or os.path.isfile(text)


def show(ctx: Context, args: argparse.Namespace) -> Plan:
    plan = read_plan(args.file)
    plan.hints = file_hints(args.file)
    print(heading(plan))
    ctx.store(args.output, plan)
    return plan


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a plan file (from plan.save or --save)")
    add_output(parser, "the plan")


def _run_options(parser: argparse.ArgumentParser) -> None:
    """What `apply` and `resume` share: workers, --yes, and (added last) progress, output."""
    parser.add_argument(
        "--workers",
        metavar="N",
        type=bounded_int(1, MAX_WORKERS),
        help="parallel requests (default: %%config Sinch.workers)",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask before deleting")


def guard_options(verb: str) -> tuple[Option, ...]:
    """The overrides of the guard rails (guards.py), recorded on each change they let through."""
    return (
        switch(
            "--allow-protected", help=f"{verb} deletes and renames of protected subprojects too"
        ),
        switch(
            "--allow-policy-violations",
            help=f"{verb} changes that break the label policy (%%config Sinch.policy) too",
        ),
    )


def _progress_and_output(parser: argparse.ArgumentParser) -> None:
    add_options(parser, NO_PROGRESS)
    add_output(parser, "the result")


def _apply_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "plan", metavar="PLAN", help="a plan from %%sinch plan (a variable), or a plan file"
    )
    _run_options(parser)
    no_journal = switch(
        "--no-journal",
        help="do not write the journal (.sinch/journal-<time>.jsonl) that %%sinch resume reads",
    )
    add_options(parser, MASS_DELETE, MASS_UPDATE, no_journal, *guard_options("apply"))
    _progress_and_output(parser)


def _plan_from(ctx: Context, expression: str) -> Plan:
    if _is_file(expression):
        plan = load_plan(expression, client=ctx.client())
        plan.hints = file_hints(expression)
        return plan
    value = ctx.lookup(expression, "the plan")
    if isinstance(value, pd.DataFrame):
        raise MagicError(
            f"{expression!r} is a DataFrame; review its changes first: "
            f"%sinch plan {expression} -o p, then %sinch apply p"
        )
    if not isinstance(value, Plan):
        raise MagicError(f"{expression!r} is a {type(value).__name__}, not a plan")
    return value


def _confirm_deletes(
    ctx: Context, plan: Plan, args: argparse.Namespace, allowed: bool = False
) -> bool:
    """The plan's safety rule first, then the one confirmation policy, asked as a [y/N]."""
    try:
        plan.raise_if_unsafe(
            args.allow_mass_delete or allowed, getattr(args, "allow_mass_update", False)
        )
    except MassDeleteRefused as refused:
        raise MagicError(
            f"the plan deletes {refused.deletes} subprojects (more than "
            f"{MASS_DELETE_THRESHOLD}); review it, then add --allow-mass-delete"
        ) from None
    except MassUpdateRefused as refused:
        raise MagicError(
            f"the plan updates {refused.updates} of the project's {refused.live} live "
            f"subprojects (more than {MASS_UPDATE_SHARE:.0%}); review it, then add "
            "--allow-mass-update"
        ) from None
    return ask_before_deleting(ctx.shell, before_deleting(plan, assume_yes=args.yes), "add --yes")


def apply(ctx: Context, args: argparse.Namespace) -> ApplyResult | None:
    plan = _plan_from(ctx, args.plan)
    readiness = plan.readiness
    if readiness == "applied":
        raise MagicError(
            "this plan was already applied (applying it again could duplicate creates); "
            "make a new one with %sinch plan, or apply the .failed or .remaining of its result"
        )
    plan.release(args.allow_protected, args.allow_policy_violations)  # asked about below
    readiness = plan.readiness
    if readiness != "ready":
        held = plan.summary()
        if readiness == "held":
            refused = f", {held['refused']} refused" if held.get("refused") else ""
            raise MagicError(
                f"nothing to apply: the plan has only {held['conflict']} conflicts and "
                f"{held['invalid']} invalid rows{refused} (see the plan; %sinch plan --force "
                "applies rows changed on the server)"
            )
        print("Nothing to apply: the plan has no changes.")
        return None
    workers = args.workers or ctx.settings.workers
    if not _confirm_deletes(ctx, plan, args):
        print("Cancelled: nothing was applied.")
        return None
    try:
        result = plan.apply(
            workers=workers,
            progress=not args.no_progress,
            journal=False if args.no_journal else None,
            allow_mass_delete=args.allow_mass_delete,
            allow_mass_update=args.allow_mass_update,
            allow_protected=args.allow_protected,
            allow_policy_violations=args.allow_policy_violations,
        )
    except JournalError as err:
        if err.result is not None:
            err.result.hints = magic_hints(plan=args.output)
            ctx.store(args.output, err.result)  # what was applied before the journal failed
        raise
    return _shown(ctx, result, args.output)


def _shown(ctx: Context, result: ApplyResult, output: str | None) -> ApplyResult:
    """The result in the magic's words, stored; a cell with changes left undone fails."""
    result.hints = magic_hints(plan=output)
    ctx.store(output, result)
    if result.ok:
        return result
    ctx.show(result)
    raise _not_all_applied(result, output)


def _not_all_applied(result: ApplyResult, output: str | None) -> MagicError:
    """The error after a partial apply; it carries the result, which knows what is left."""
    counts = result.counts
    problems = ", ".join(f"{n} {status}" for status, n in counts.items() if n and status != "ok")
    where = output or "sys.last_value.result"
    keep = "" if output else " (-o VAR keeps it)"
    error = MagicError(
        f"{len(result) - counts.get('ok', 0)} of {len(result)} changes were not applied "
        f"({problems}); the result is in {where}{keep}: its .failed and .remaining are plans "
        "of what is left"
    )
    error.result = result
    return error


def _resume_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", metavar="JOURNAL", help="the journal of an apply (a path)")
    _run_options(parser)
    add_options(parser, MASS_DELETE, *guard_options("apply"), MASS_UPDATE)
    _progress_and_output(parser)


RESUME_EPILOG = """\
Applies exactly the changes of a journal that are not done yet (an apply interrupted by Ctrl-C,
a crash or a lost kernel), appending to it; creates that may already have happened are looked
for first and never made twice. One apply or resume per journal at a time."""


def resume(ctx: Context, args: argparse.Namespace) -> ApplyResult | None:
    client = ctx.client()
    state = journal_for(args.journal, client)  # checked as a whole, and for this connection
    pending = pending_plan(state, client)
    pending.release(args.allow_protected, args.allow_policy_violations)
    if not len(pending):
        print(f"Nothing to resume: every change of the journal is done ({len(state.done)} ok).")
        return None
    if not _confirm_deletes(ctx, pending, args, allowed=state.allows_mass_delete):
        print("Cancelled: nothing was applied.")
        return None
    result = resume_journal(
        state.path,
        workers=args.workers or ctx.settings.workers,
        progress=not args.no_progress,
        client=client,
        allow_mass_delete=args.allow_mass_delete,
        allow_protected=args.allow_protected,
        allow_policy_violations=args.allow_policy_violations,
        allow_mass_update=args.allow_mass_update,
    )
    return _shown(ctx, result, args.output)


COMMANDS = [
    Command(
        "plan",
        "show what an edited DataFrame would change",
        _plan_arguments,
        plan,
        epilog=PLAN_EPILOG,
    ),
    Command(
        "apply", "apply a reviewed plan (or plan file), with progress", _apply_arguments, apply
    ),
    Command("show", "review a plan file (saved with plan --save)", _show_arguments, show),
    Command(
        "resume",
        "apply what an interrupted apply's journal has not done",
        _resume_arguments,
        resume,
        epilog=RESUME_EPILOG,
    ),
]
