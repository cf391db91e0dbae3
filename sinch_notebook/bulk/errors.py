"""Errors of bulk edits. All are `sn.SinchError`s; refusals before sending are ValidationErrors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..confirm import MASS_DELETE_THRESHOLD
from ..errors import SinchError, ValidationError

if TYPE_CHECKING:
    from .result import ApplyResult


class MassDeleteRefused(ValidationError):
    """A plan deletes more than MASS_DELETE_THRESHOLD subprojects and was not explicitly allowed."""

    def __init__(self, deletes: int) -> None:
        super().__init__(
            "allow_mass_delete",
            f"the plan deletes {deletes} subprojects, more than {MASS_DELETE_THRESHOLD} at once; "
            "review it, then apply it with allow_mass_delete=True",
        )
        self.deletes = deletes


class PlanAlreadyApplied(SinchError):
    """Applying a plan twice could create its subprojects twice, so it is refused."""

    status = "ALREADY_APPLIED"


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
