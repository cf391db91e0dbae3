"""`sn.resume(journal)`: apply exactly the changes of an apply journal that are not done yet."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..connection import require_active
from ..errors import ValidationError
from .apply import ProgressArg, apply_plan
from .journal import read_journal
from .plan import Plan
from .result import ApplyResult

if TYPE_CHECKING:
    from ..client import SubprojectsClient


def resume(
    journal_path: str | os.PathLike[str],
    workers: int = 8,
    progress: ProgressArg = True,
    *,
    client: SubprojectsClient | None = None,
    allow_mass_delete: bool = False,
) -> ApplyResult:
    """Apply exactly the changes of a journal that are not done yet, appending to it.

    Uses the active connection unless `client` is given; it must be to the journal's project.
    Creates that may already have happened are looked for first (once the commit grace has
    passed since they were sent) and never sent twice. Holds the journal's lock: a second
    apply or resume of the same journal, here or in another process, fails at once. The
    result covers the changes applied now; `result.earlier_done` counts those done before.
    """
    state = read_journal(journal_path)
    client = client or require_active()
    if state.project_id and state.project_id != client.project_id:
        raise ValidationError(
            "journal_path",
            f"was written for project {state.project_id!r}, but the connection is to "
            f"{client.project_id!r}",
        )
    plan = Plan(client, state.pending(), origin="resume", journal_path=state.path)
    return apply_plan(
        plan,
        workers=workers,
        progress=progress,
        allow_mass_delete=allow_mass_delete or bool(state.header.get("allow_mass_delete")),
    )
