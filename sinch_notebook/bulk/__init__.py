"""Bulk edits: plan the difference between an edited DataFrame and the server, then apply it.

    plan = client.plan(edited)      # or sn.plan(edited) on the active connection
    plan                            # review: coloured table in notebooks, text in a terminal
    result = plan.apply()           # concurrent, journaled, Ctrl-C safe
    result.failed.apply()           # re-apply what failed;  sn.resume(journal) after a crash

Modules: plan (the diff; pandas cells -> API strings are `..cells`), apply (the entry point),
dispatch (the pool, AIMD, Ctrl-C, progress), sending (what each change means when sent:
guarded updates and deletes, parked creates, the twin sweep), journal (JSONL journal), resume,
result (ApplyResult, undo), render (HTML and text).
"""

from __future__ import annotations

from .apply import AdaptiveLimit, apply_plan
from .errors import (
    MASS_DELETE_THRESHOLD,
    JournalError,
    JournalInvalid,
    JournalLocked,
    MassDeleteRefused,
    PlanAlreadyApplied,
)
from .journal import read_journal
from .plan import Change, Invalid, Plan, make_plan
from .result import ApplyResult, Outcome
from .resume import resume

__all__ = [
    "MASS_DELETE_THRESHOLD",
    "AdaptiveLimit",
    "ApplyResult",
    "Change",
    "Invalid",
    "JournalError",
    "JournalInvalid",
    "JournalLocked",
    "MassDeleteRefused",
    "Outcome",
    "Plan",
    "PlanAlreadyApplied",
    "apply_plan",
    "make_plan",
    "read_journal",
    "resume",
]
