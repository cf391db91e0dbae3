"""Errors of bulk edits. All are `sn.SinchError`s; refusals before sending are ValidationErrors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SinchError, ValidationError

if TYPE_CHECKING:
    from .result import ApplyResult

MASS_DELETE_THRESHOLD = 10


class MassDeleteRefused(ValidationError):
    """A plan deletes more than MASS_DELETE_THRESHOLD subprojects and was not explicitly allowed."""

    def __init__(self, deletes: int) -> None:
        super().__init__(
            "allow_mass_delete",
            f"the plan deletes {deletes} subprojects (more than {MASS_DELETE_THRESHOLD}); review "
            "it, then call apply(allow_mass_delete=True) to apply it",
        )
        self.deletes = deletes


class PlanAlreadyApplied(SinchError):
    """Applying a plan twice could create its subprojects twice, so it is refused."""

    status = "ALREADY_APPLIED"


class JournalError(SinchError):
    """The journal could not be written or read; `.result` holds what was applied, if anything."""

    status = "JOURNAL"

    def __init__(self, message: str, result: ApplyResult | None = None) -> None:
        super().__init__(message)
        self.result = result
