"""`sn.resume(journal)`: apply exactly the changes of an apply journal that are not done yet."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..confirm import MASS_UPDATE_MIN_PROJECT, MASS_UPDATE_SHARE
from .apply import ApplyOptions, ProgressArg, apply_plan
from .errors import JournalInvalid
from .journal import JournalState, read_journal
from .plan import Plan
from .result import ApplyResult

if TYPE_CHECKING:
    from ..client import SubprojectsClient


def resume(
    journal_path: str | os.PathLike[str],
    workers: int = 8,
    progress: ProgressArg = True,
    *,
    client: SubprojectsClient,
    allow_mass_delete: bool = False,
    allow_mass_update: bool = False,
    allow_protected: bool = False,
    allow_policy_violations: bool = False,
) -> ApplyResult:
    """Apply exactly the changes of a journal that are not done yet, appending to it.

    On `client`, which must be to the journal's project and API URL. The journal is checked as a
    whole first (`JournalInvalid`, nothing sent). Its deletes and updates count as a plan's:
    more than 10 deletes need `allow_mass_delete=True`, updates of more than 30% of the live
    subprojects (counted in a listing made now) `allow_mass_update=True` (or the original
    apply's permission). Creates that may already have happened are looked for first (once the
    commit grace has passed since they were sent) and never sent twice. Holds the journal's
    lock: a second apply or resume of the same journal, here or in another process, fails at
    once. The result covers the changes applied now; `result.earlier_done` counts those done
    before. The guard rails hold as in any plan: a change to a protected subproject, or one
    that breaks the label policy, is sent only if the original apply allowed it (the journal
    records it) or `allow_protected` / `allow_policy_violations` is given now.
    """
    state = journal_for(journal_path, client)
    options = ApplyOptions(
        workers,
        progress,
        None,  # the journal: it appends to the one it resumes (pending_plan names it)
        allow_mass_delete or state.allows_mass_delete,
        allow_mass_update or state.allows_mass_update,
        allow_protected,
        allow_policy_violations,
    )
    return apply_plan(pending_plan(state, client), options)


def journal_for(journal_path: str | os.PathLike[str], client: SubprojectsClient) -> JournalState:
    """The journal, checked as a whole and against the connection it would be applied with:
    a journal of another project or API URL is refused (`JournalInvalid`), nothing sent."""
    state = read_journal(journal_path)
    if state.project_id != client.project_id:
        raise JournalInvalid(
            state.path,
            1,
            f"was written for project {state.project_id!r}, but the connection is to "
            f"{client.project_id!r}",
        )
    api_url = state.header.get("api_url")
    if api_url is not None and api_url.rstrip("/") != client.endpoints.api_url.rstrip("/"):
        raise JournalInvalid(
            state.path,
            1,
            f"was written for the API at {api_url}, but the connection is to "
            f"{client.endpoints.api_url}",
        )
    return state


def pending_plan(state: JournalState, client: SubprojectsClient) -> Plan:
    """What a journal has not done yet, as a plan: its deletes and updates count as any plan's
    (the mass-delete and mass-update rules, the confirmation). The project's live size, the
    mass-update rule's base, is counted in a listing made now, when the updates could need it."""
    plan = Plan(client, state.pending(), origin="resume", journal_path=state.path)
    if plan.updates > MASS_UPDATE_SHARE * MASS_UPDATE_MIN_PROJECT:
        plan.count_live(client.records(show_deleted=True))
    return plan
