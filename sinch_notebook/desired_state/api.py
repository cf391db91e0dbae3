"""`sn.dump()` and `sn.desired(path)`: the account as code, in Python.

    sn.dump("subprojects.yaml")              # the live account as a desired-state file
    want = sn.desired("subprojects.yaml")    # loaded and checked; nothing sent
    d = want.diff()                          # summary line, the plan, unmanaged, drift
    want.sync()                              # what a sync would do (changes nothing)
    want.sync(doit=True)                     # apply it (every guard), record a "sync" snapshot

Every rule is in this package's core modules; the faces (`%sinch dump/diff/sync`,
`sinch-notebook dump/diff/sync`, the panel's Bulk tab) only parse, ask and show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bulk.apply import ApplyOptions
from ..errors import ValidationError
from ..guards import protect_label
from ..public import public
from .dumper import dump_text, update_text, write_atomically
from .loader import load_desired
from .model import DesiredFileError, DesiredState
from .plan import Allowances, compare
from .reader import read_text
from .result import DesiredDiff, SyncResult

if TYPE_CHECKING:
    from ..account_history import Snapshot
    from ..bulk.render import Hints
    from ..client import SubprojectsClient
    from ..guards.policy import Policy


def _client(client: Any) -> SubprojectsClient:
    """The client a face handed over (or a function that gives it when needed): the core
    never picks the active connection itself."""
    from ..account_history.timeline import given_client

    return given_client(client)


def _listing(client: SubprojectsClient) -> list[dict[str, Any]]:
    from ..account_history.rows import paused_gc

    with paused_gc():  # 100,000 records: the collector need not walk them while they arrive
        return [record for page in client.iter_pages(show_deleted=True) for record in page]


@public
def dump(
    path: str | os.PathLike[str] | None = None,
    client: SubprojectsClient | None = None,
    *,
    update: bool = False,
) -> str:
    """The live (not deleted) subprojects as a desired-state file's text, sorted by name then
    id, with their ids. With `path`, it is also written there (atomically); `update=True`
    rewrites the existing file at `path` in place, keeping its comments and order."""
    source = _client(client)
    if update and path is None:
        raise ValidationError("update", "needs the path of the file to update")
    where = Path(path) if path is not None else None
    old = read_text(where) if update and where is not None else None
    if old is not None and where is not None:
        _same_project(load_desired(where), source)  # checked before anything is sent
        text = update_text(old, where, _listing(source), protect_label(source))
    else:
        text = dump_text(source.project_id, _listing(source))
    if where is not None:
        write_atomically(where, text)
    return text


def dump_to(
    client: SubprojectsClient, output: str | None, update: str | None, diff_command: str
) -> str:
    """What the faces' `dump [-o FILE | --update FILE]` does, and the line they print: the
    file's text (no file given), or one line saying what was written and what to run next."""
    if update:
        dump(update, client, update=True)
        return f"Updated {update} to the account (comments and order kept).\n"
    if not output:
        return dump(None, client)
    count = dump(output, client).count("\n  - id: ")
    return (
        f"Wrote {count:,} subprojects of project {client.project_id} to {output}: "
        f"{diff_command} {output} shows how the account differs from it.\n"
    )


def _same_project(state: DesiredState, client: SubprojectsClient) -> None:
    if state.project != client.project_id:
        raise DesiredFileError(
            state.path,
            state.project_line,
            f"describes project {state.project}, but the connection is to project "
            f"{client.project_id}: nothing was sent",
        )


class Desired:
    """A loaded desired-state file (`sn.desired(path)`): `.diff()` and `.sync()`.

    `state` is what the file says (`entries`, `managed_by`, `unmanaged`, `policy`)."""

    def __init__(self, state: DesiredState, default_client: Any = None) -> None:
        self.state = state
        # what `.diff()` / `.sync()` use when no client is given: handed over by the face
        # (`sn.desired` hands over the active connection's getter)
        self.default_client = default_client

    @property
    def path(self) -> Path:
        return self.state.path

    @property
    def policy(self) -> Policy | None:
        """The file's `policy:` section, checked (None: none; the sync is then held to the
        active policy, `%config Sinch.policy`)."""
        return self.state.policy

    def __len__(self) -> int:
        return len(self.state)

    def __repr__(self) -> str:
        return repr(self.state)

    @public
    def diff(
        self,
        client: SubprojectsClient | None = None,
        *,
        takeover: bool = False,
        allow_protected: bool = False,
        allow_policy_violations: bool = False,
        store: Any = None,
        hints: Hints | None = None,
    ) -> DesiredDiff:
        """How the account differs from the file: one listing, nothing sent or written.

        `takeover=True` plans changes to subprojects labelled as another owner's (setting
        managed-by to this file's); `store` is the history store whose last "sync" snapshot
        tells what changed on the server since (default: the usual store).

        The guard rails hold: deleting or renaming a protected subproject is a refused row,
        and a change that would break the label policy (the file's `policy:`, else the active
        one) an invalid row naming the rule, unless `allow_protected=True` /
        `allow_policy_violations=True` (each change let through records its override)."""
        source = _client(client if client is not None else self.default_client)
        allowed = Allowances(takeover, allow_protected, allow_policy_violations)
        for name, value in vars(allowed).items():
            _flag(name, value)
        _same_project(self.state, source)
        records = _listing(source)
        return self._diff(source, records, allowed, store, hints)

    def _diff(
        self,
        client: SubprojectsClient,
        records: list[dict[str, Any]],
        allowed: Allowances,
        store: Any,
        hints: Hints | None,
    ) -> DesiredDiff:
        from .drift import changed_since_sync
        from .hints import PYTHON_SYNC_HINTS

        comparison = compare(self.state, client, records, **vars(allowed))
        comparison.plan.hints = hints or PYTHON_SYNC_HINTS
        drift = changed_since_sync(store, client.project_id, client.endpoints.api_url, records)
        return DesiredDiff(self.state, comparison, drift)

    @public
    def sync(
        self,
        doit: bool = False,
        client: SubprojectsClient | None = None,
        *,
        takeover: bool = False,
        allow_mass_delete: bool = False,
        allow_mass_update: bool = False,
        allow_protected: bool = False,
        allow_policy_violations: bool = False,
        workers: int = 8,
        progress: Any = True,
        journal: Any = None,
        store: Any = None,
        hints: Hints | None = None,
    ) -> SyncResult:
        """Without `doit`: what a sync would do (the diff), nothing changed. With `doit=True`:
        apply the plan through the engine (mass-delete and mass-update rules, protected
        subprojects and the label policy, last-moment checks, journal, exactly-once creates),
        then store a snapshot tagged "sync" in the history store `store`, so the next diff can
        tell drift from plan."""
        _flag("doit", doit)
        planned = self.diff(
            client,
            takeover=takeover,
            allow_protected=allow_protected,
            allow_policy_violations=allow_policy_violations,
            store=store,
            hints=hints,
        )
        if not doit:
            return SyncResult(planned)
        allowed = (allow_mass_delete, allow_mass_update, allow_protected, allow_policy_violations)
        return self._apply(planned, ApplyOptions(workers, progress, journal, *allowed), store)

    @public
    def apply(
        self,
        planned: DesiredDiff,
        *,
        allow_mass_delete: bool = False,
        allow_mass_update: bool = False,
        allow_protected: bool = False,
        allow_policy_violations: bool = False,
        workers: int = 8,
        progress: Any = True,
        journal: Any = None,
        store: Any = None,
    ) -> SyncResult:
        """Apply a diff this file made (`.diff()`, reviewed) and record the sync: what
        `sync(doit=True)` does after planning. A face that asks before deleting uses it.
        `allow_protected` / `allow_policy_violations` also send what the guard rails refused
        (each such change journaled with its override)."""
        allowed = (allow_mass_delete, allow_mass_update, allow_protected, allow_policy_violations)
        return self._apply(planned, ApplyOptions(workers, progress, journal, *allowed), store)

    def _apply(self, planned: DesiredDiff, options: ApplyOptions, store: Any) -> SyncResult:
        """`apply` and `sync(doit=True)`: check, apply the plan, record the sync."""
        from ..account_history.store import open_store

        if not isinstance(planned, DesiredDiff) or planned.state is not self.state:
            raise ValidationError("planned", "must be a diff made by this desired state's diff()")
        plan = planned.plan
        target = open_store(store)  # a wrong store path fails before anything is sent
        _flag("allow_protected", options.allow_protected)
        _flag("allow_policy_violations", options.allow_policy_violations)
        # the overrides are released first: the rules below count what they let through
        plan.release(options.allow_protected, options.allow_policy_violations)
        plan.raise_if_unsafe(options.allow_mass_delete, options.allow_mass_update)
        result = plan.apply(**vars(options)) if len(plan) else None
        return SyncResult(planned, result, record_sync(plan.client, target))


@public
def record_sync(client: SubprojectsClient | None = None, store: Any = None) -> Snapshot:
    """Store a snapshot of the account tagged "sync": the state a sync left, which the next
    diff compares with to tell what changed on the server since (drift) from the plan."""
    from ..account_history.timeline import snapshot
    from .drift import SYNC_TAG

    return snapshot(_client(client), store=store, tag=SYNC_TAG)


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(name, f"must be True or False, got {value!r}")


@public
def desired(path: str | os.PathLike[str], default_client: Any = None) -> Desired:
    """Load and check a desired-state file (`subprojects.yaml`); nothing is sent. Every problem
    is one `sn.DesiredFileError` naming the file and the line. `default_client` (a client, or a
    function giving one) is what `.diff()` and `.sync()` use when they are given none."""
    return Desired(load_desired(path), default_client)
