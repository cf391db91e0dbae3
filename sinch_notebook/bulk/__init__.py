"""Bulk edits: plan the difference between an edited DataFrame and the server, then apply it.

    plan = client.plan(edited)      # or sn.plan(edited) on the active connection
    plan                            # review: coloured table in notebooks, text in a terminal
    result = plan.apply()           # concurrent, journaled, Ctrl-C safe
    result.failed.apply()           # re-apply what failed;  sn.resume(journal) after a crash

Modules: plan (the diff; pandas cells -> API strings are `..cells`), apply (the entry point),
dispatch (the pool, AIMD, Ctrl-C, progress), sending (what each change means when sent:
guarded updates and deletes, parked creates, the twin sweep), journal (JSONL journal), resume,
result (ApplyResult, undo), render (HTML and text), markdown, planfile (the saved plan's
format), saved (applying a saved plan: fresh, once).
"""

from __future__ import annotations

from .apply import AdaptiveLimit, apply_plan
from .errors import (
    MASS_DELETE_THRESHOLD,
    JournalError,
    JournalInvalid,
    JournalLocked,
    MassDeleteRefused,
    MassUpdateRefused,
    PlanAlreadyApplied,
    PlanFileRefused,
    StalePlan,
)
from .journal import read_journal
from .plan import Change, Invalid, Plan, make_plan
from .planfile import load_plan
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
    "MassUpdateRefused",
    "Outcome",
    "Plan",
    "PlanAlreadyApplied",
    "PlanFileRefused",
    "StalePlan",
    "apply_plan",
    "load_plan",
    "make_plan",
    "read_journal",
    "resume",
]
