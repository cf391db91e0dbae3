"""Applying a plan: the one entry point for every bulk write (plans, the faces' creates, resume).

What it promises (the README's "Exactly once" says the same):
- **Creates exactly once**, **no silent overwrite**: what each change means when it is sent
  (guarded updates and deletes, parked creates, the twin sweep) is `sending.py`.
- **Nothing lost.** Each outcome is journaled the moment it is known; Ctrl-C stops dispatching,
  requests in flight finish and are journaled, and the result so far is returned.
- **One apply per journal.** The journal's lock is held for the whole apply (`journal.py`).
- **Token failures are shared.** A failed key exchange stops dispatching with one clear reason;
  a 429 halves the concurrency (AIMD): the pool, AIMD, Ctrl-C and progress are `dispatch.py`.

This module checks the arguments, opens the journal (its first line is written before any
request), runs the two together and makes the `ApplyResult`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import MAX_WORKERS
from ..errors import SinchError, ValidationError
from ..models import check_int
from .dispatch import (
    DISPATCH_TICK,
    AdaptiveLimit,
    Dispatcher,
    ProgressArg,
    ProgressCallback,
    Reporter,
    StopRequested,
)
from .errors import JournalError, PlanAlreadyApplied
from .freshness import Freshness
from .journal import JournalWriter, default_journal_path, open_writer, read_journal
from .plan import Change, Plan
from .result import ApplyResult, Outcome
from .sending import RESOLVE_BATCH_WAIT, ChangeSender

__all__ = [
    "DISPATCH_TICK",
    "PROGRESS_INTERVAL",
    "RESOLVE_BATCH_WAIT",
    "AdaptiveLimit",
    "ApplyOptions",
    "ProgressArg",
    "ProgressCallback",
    "StopRequested",
    "apply_plan",
]

PROGRESS_INTERVAL = 0.1  # seconds between progress callbacks (the first and last always come)
_Reporter = Reporter  # the old name (tests patch its methods)


# -- the entry point ---------------------------------------------------------------------------


def _check_args(workers: Any, progress: Any, allow_mass_delete: Any) -> None:
    check_int(workers, "workers", 1, MAX_WORKERS)
    if not (isinstance(progress, bool) or callable(progress)):
        raise ValidationError("progress", "must be True, False or a callable(done, total, counts)")
    if not isinstance(allow_mass_delete, bool):
        raise ValidationError("allow_mass_delete", "must be True or False")


@dataclass
class _Journal:
    """The journal an apply writes, and what it already knew."""

    writer: JournalWriter | None
    changes: list[Change]
    earlier_done: int = 0
    exclude: frozenset[str] = frozenset()
    new_file: bool = False


def _open_journal(
    plan: Plan, journal: Any, allow_mass_delete: bool, allow_mass_update: bool
) -> _Journal:
    """Open (and lock) the journal, and write its first line, before anything is sent.

    A plan that continues a journal (resume, result.failed, result.remaining) appends to it and
    skips what it says is done. Any failure here raises with nothing sent.
    """
    changes = list(plan.changes)
    if journal is False or not changes:
        return _Journal(None, changes)
    if journal is None or journal is True:
        if plan.journal_path is not None:
            return _continue_journal(plan, changes)
        path: Path = default_journal_path()
    elif isinstance(journal, (str, Path)):
        path = Path(journal)
    else:
        raise ValidationError("journal", "must be None (default path), a path, or False (none)")
    writer = open_writer(path, what=f"an apply of a plan ({plan.origin})")
    try:
        writer.plan(plan, allow_mass_delete=allow_mass_delete, allow_mass_update=allow_mass_update)
    except JournalError as err:
        writer.discard()
        raise JournalError(
            f"{err.message}; nothing was sent (give another journal path, or journal=False)"
        ) from None
    return _Journal(writer, changes, new_file=True)


def _continue_journal(plan: Plan, changes: list[Change]) -> _Journal:
    path = Path(plan.journal_path or "")
    writer = open_writer(path, append=True, what=f"a {plan.origin} of this journal")
    try:
        state = read_journal(path)
        todo = [c for c in changes if c.key not in state.done]
        # the overrides this apply sends with (guards.py), recorded as the first line's are
        overrides = {c.key: list(c.overrides) for c in todo if c.overrides}
        extra = {"overrides": overrides} if overrides else {}
        writer.note(
            "resume", origin=plan.origin, pending=len(todo), done_before=len(state.done), **extra
        )
    except SinchError:
        with contextlib.suppress(JournalError):
            writer.close()
        raise
    return _Journal(writer, todo, len(state.done), frozenset(state.created_ids))


@dataclass(frozen=True)
class ApplyOptions:
    """How a plan is applied, as `Plan.apply` takes it (whose defaults these are): concurrency,
    progress, the journal and the guard rails' permissions."""

    workers: int = 8
    progress: ProgressArg = True
    journal: Any = None
    allow_mass_delete: bool = False
    allow_mass_update: bool = False
    allow_protected: bool = False
    allow_policy_violations: bool = False


def apply_plan(plan: Plan, options: ApplyOptions) -> ApplyResult:
    """See `Plan.apply`, the one public entry (its defaults are the only ones): every check,
    and the journal's first line, happen before any request."""
    workers, progress, journal = options.workers, options.progress, options.journal
    allow_mass_delete, allow_mass_update = options.allow_mass_delete, options.allow_mass_update
    _check_args(workers, progress, allow_mass_delete)
    plan.release(options.allow_protected, options.allow_policy_violations)
    client = plan.client
    if client is None:
        raise SinchError("this plan has no connection to apply it with")
    plan.raise_if_unsafe(allow_mass_delete, allow_mass_update)
    if plan.applied:
        plan.mark_applied()  # raises PlanAlreadyApplied
    opened = _open_journal(plan, journal, allow_mass_delete, allow_mass_update)
    writer = opened.writer
    try:
        plan.mark_applied()
    except PlanAlreadyApplied:
        if writer is not None:
            if opened.new_file:
                writer.discard()
            else:
                with contextlib.suppress(JournalError):
                    writer.close()
        raise
    conflicts = [Outcome.conflict(c, c.conflict) for c in plan.conflicts]
    changes = opened.changes
    started = time.monotonic()
    guarded = sum(1 for c in changes if c.op != "create" and not c.forced)
    reporter = Reporter(progress, len(changes), "apply", PROGRESS_INTERVAL)
    dispatcher = Dispatcher(workers, reporter, client.add_retry_listener)
    sender = ChangeSender(client, changes, dispatcher, writer=writer, exclude=opened.exclude)
    if guarded:
        sender.freshness = Freshness(client, guarded, plan.server_size, dispatcher.stop.is_set)
    try:
        if changes:
            sender.run()
    finally:
        reporter.close(dispatcher.interrupted)
        why = dispatcher.stopped or "interrupted"
        outcomes = [
            sender.outcomes.get(c.key) or Outcome(c, "skipped", error=f"not sent: {why}")
            for c in changes
        ]
        journal_error = sender.journal_error
        if writer is not None:
            counts: dict[str, int] = {}
            for outcome in outcomes:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
            with contextlib.suppress(JournalError):
                writer.note("end", interrupted=dispatcher.interrupted, counts=counts)
            try:
                writer.close()
            except JournalError as err:
                journal_error = journal_error or err
    result = ApplyResult(
        plan,
        outcomes + conflicts,
        invalid=plan.invalid + [r.as_invalid() for r in plan.refused],
        journal_path=writer.path if writer is not None else plan.journal_path,
        interrupted=dispatcher.interrupted,
        elapsed=time.monotonic() - started,
        earlier_done=opened.earlier_done,
        concurrency={
            "workers": workers,
            "lowest": dispatcher.limit.lowest,
            "slowdowns": dispatcher.limit.cuts,
        },
        stopped=dispatcher.stopped,
    )
    if journal_error is not None:
        raise JournalError(
            f"{journal_error.message}; stopped sending. The outcomes so far are in the "
            "error's .result",
            result,
        )
    return result
