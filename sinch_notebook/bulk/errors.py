"""Errors of bulk edits. All are `sn.SinchError`s; refusals before sending are ValidationErrors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..confirm import MASS_DELETE_THRESHOLD, MASS_UPDATE_SHARE
from ..errors import SinchError, ValidationError

if TYPE_CHECKING:
    from .plan import Change
    from .result import ApplyResult


class MassDeleteRefused(ValidationError):
    """A plan deletes more than MASS_DELETE_THRESHOLD subprojects and was not explicitly allowed.

    `remedy` is how to allow it in the words of the face applying it (its `Hints.mass_delete`);
    without one, Python's."""

    def __init__(self, deletes: int, remedy: str | None = None) -> None:
        super().__init__(
            "allow_mass_delete",
            f"the plan deletes {deletes} subprojects, more than {MASS_DELETE_THRESHOLD} at once; "
            "review it, then apply it with allow_mass_delete=True",
        )
        if remedy:
            self.set_message(
                f"the plan deletes {deletes} subprojects, more than {MASS_DELETE_THRESHOLD} at "
                f"once; review it: {remedy}"
            )
        self.deletes = deletes


class MassUpdateRefused(ValidationError):
    """A plan updates more than MASS_UPDATE_SHARE of the project's live subprojects (in a project
    of MASS_UPDATE_MIN_PROJECT or more) and was not explicitly allowed. `remedy`: as for
    `MassDeleteRefused` (the face's `Hints.mass_update`)."""

    def __init__(self, updates: int, live: int, remedy: str | None = None) -> None:
        share = (
            f"the plan updates {updates} of the project's {live} live subprojects, more than "
            f"{MASS_UPDATE_SHARE:.0%}"
        )
        super().__init__(
            "allow_mass_update", f"{share}; review it, then apply it with allow_mass_update=True"
        )
        if remedy:
            self.set_message(f"{share}; review it: {remedy}")
        self.updates = updates
        self.live = live


class PlanAlreadyApplied(SinchError):
    """Applying a plan twice could create its subprojects twice, so it is refused.

    `journal` is the journal of the earlier apply when it is known (a saved plan's), and
    `unfinished` whether that apply left changes undone (`sn.resume(journal)` does them).
    """

    status = "ALREADY_APPLIED"
    journal: str | None = None
    unfinished: bool = False


class StalePlan(SinchError):
    """A saved plan's targets moved on the server since it was made: nothing was sent.

    `moved` holds `(change, what moved)` per change; `plan.replan()` makes a new plan from the
    same intent against the server as it is now, for a new review.
    """

    status = "STALE_PLAN"

    def __init__(self, message: str, moved: list[tuple[Change, str]]) -> None:
        super().__init__(message)
        self.moved = moved


class PlanFileRefused(ValidationError):
    """A plan file that cannot be trusted or read: edited by hand, of a newer format, not a plan
    file, or made for another project or API URL. `path` and `reason` say which and why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__("plan file", f"{path}: {reason}")
        self.path = path
        self.reason = reason


class JournalLocked(SinchError):
    """Another apply or resume of the same journal is running (in this process or another)."""

    status = "JOURNAL_LOCKED"


class JournalError(SinchError):
    """The journal could not be written or read; `.result` holds what was applied, if anything."""

    status = "JOURNAL"

    def __init__(self, message: str, result: ApplyResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class JournalInvalid(ValidationError):
    """A journal that this release cannot resume as it is (edited, damaged, from a newer release
    or for another project): refused as a whole, naming the line, before anything is sent."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__("journal_path", f"{path} line {line}: {reason}; nothing was sent")
        self.path = path
        self.line = line
        self.reason = reason
