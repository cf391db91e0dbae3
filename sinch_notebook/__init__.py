"""sinch-notebook: the Sinch Subprojects API in Jupyter.

import sinch_notebook as sn
client = sn.connect()          # SINCH_KEY_ID, SINCH_KEY_SECRET, SINCH_PROJECT_ID
df = client.frame()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import SubprojectsClient
from .connection.active import (
    active,
    connect,
    connections,
    disconnect,
    disconnect_all,
    on_change,
    require_active,
    set_active,
    use,
)
from .connection.profiles import ProfilesFileError, delete_profile, profiles, save_profile
from .errors import (
    AlreadyExists,
    ChangedOnServer,
    CreateOutcomeUnknown,
    FailedPrecondition,
    InsecureTransportError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Redirected,
    ResponseTooLarge,
    ServerError,
    SinchError,
    TransportError,
    Unauthenticated,
    UnexpectedResponse,
    ValidationError,
)
from .models import Subproject
from .retry import RetryPolicy

if TYPE_CHECKING:
    import os

    import pandas as pd

    from .account_history import Diff, Snapshot
    from .bulk import ApplyResult, Plan
    from .desired_state import Desired
    from .guards.policy import Policy
    from .widgets import Panel


def panel(**options: Any) -> Panel:
    """The ipywidgets panel: Connect, Browse, Create, Edit, Bulk, History (see `widgets.Panel`).

    Imported on first use, so `import sinch_notebook` does not load ipywidgets.
    """
    from .widgets import panel as make_panel

    return make_panel(**options)


def plan(edited: pd.DataFrame, **kwargs: Any) -> Plan:
    """`client.plan(edited, **kwargs)` on the active connection (see `bulk.make_plan`)."""
    return require_active().plan(edited, **kwargs)


def resume(
    journal_path: str | os.PathLike[str],
    workers: int = 8,
    progress: Any = True,
    *,
    client: SubprojectsClient | None = None,
    **kwargs: Any,
) -> ApplyResult:
    """Apply the changes of an apply journal that are not done yet (see `bulk.resume`), on
    `client` or the active connection."""
    from .bulk import resume as resume_journal

    return resume_journal(
        journal_path,
        workers=workers,
        progress=progress,
        client=client or require_active(),
        **kwargs,
    )


def load_plan(path: str | os.PathLike[str], client: SubprojectsClient | None = None) -> Plan:
    """The plan saved in `path`, reviewing exactly like the original (see `bulk.load_plan`):
    on `client`, else the active connection if there is one (with none it can be reviewed,
    and applied once loaded again on a connection)."""
    from .bulk import load_plan as load

    return load(path, client if client is not None else active())


def snapshot(client: SubprojectsClient | None = None, store: Any = None) -> Snapshot:
    """List the whole account (deleted included) and store it as a new snapshot (see
    `account_history.snapshot`), with `client` or the active connection."""
    from .account_history import snapshot as take

    return take(client or require_active(), store=store)


def diff(
    a: Any, b: Any = "now", store: Any = None, client: SubprojectsClient | None = None
) -> Diff:
    """The changes from `a` to `b` (see `account_history.diff`). "now" lists the account with
    `client`, else the active connection; so does `revert()` (the active one at that time)."""
    from .account_history import diff as compare

    return compare(a, b, store=store, client=client or require_active)


def protect(ids: Any, client: SubprojectsClient | None = None) -> Plan:
    """A plan that gives each subproject of `ids` the protection label (`protected=true`, the
    key is `%config Sinch.protect_label`): review it, then `.apply()`. Deleting or renaming a
    protected subproject is then refused everywhere unless allowed (see `guards/rules.py`)."""
    from .bulk.protection import protection_plan

    return protection_plan(client or require_active(), ids, protect=True)


def unprotect(ids: Any, client: SubprojectsClient | None = None) -> Plan:
    """A plan that removes the protection label from each subproject of `ids` (see `protect`);
    it cannot be combined with a delete or rename of the same subproject in one plan."""
    from .bulk.protection import protection_plan

    return protection_plan(client or require_active(), ids, protect=False)


def policy(path: str | os.PathLike[str]) -> Policy:
    """The label policy in a YAML file (required keys, allowed values, the shape of keys),
    checked: `sn.PolicyError` names the line and the reason. `%config Sinch.policy = path`
    makes a file the active policy that plans are held to."""
    from .guards.policy import load_policy

    return load_policy(path)


def compliance(
    policy: Any = None, client: SubprojectsClient | None = None, at: Any = None, store: Any = None
) -> pd.DataFrame:
    """Every live subproject checked against `policy` (default: the active one): one row per
    violation (subprojectId, displayName, rule, key, value), `attrs["summary"]` with the
    counts and the coverage of each required key; `at=` checks a stored snapshot instead."""
    from .guards.compliance import compliance as report

    if at is None:
        client = client or require_active()
    return report(policy, client, at=at, store=store)


def dump(
    path: str | os.PathLike[str] | None = None,
    client: SubprojectsClient | None = None,
    *,
    update: bool = False,
) -> str:
    """The live (not deleted) subprojects as a desired-state file's text, sorted by name then id
    (see `desired_state.dump`), from `client` or the active connection; written to `path` when
    given (`update=True` rewrites that file in place, keeping its comments and order)."""
    from .desired_state import dump as write

    return write(path, client or require_active, update=update)


def desired(path: str | os.PathLike[str]) -> Desired:
    """A desired-state file (`subprojects.yaml`), loaded and checked; nothing is sent. Its
    `.diff()` and `.sync()` use the active connection unless given a client."""
    from .desired_state import desired as load

    return load(path, default_client=require_active)


# Loaded on first use, so `import sinch_notebook` does not import pandas.
_LAZY = {
    "connect_or_sandbox": "connection.local_sandbox",
    "edit": "widgets",
    "Plan": "bulk",
    "ApplyResult": "bulk",
    "Change": "bulk",
    "Outcome": "bulk",
    "MassDeleteRefused": "bulk",
    "PlanAlreadyApplied": "bulk",
    "StalePlan": "bulk",
    "MassUpdateRefused": "bulk",
    "PlanFileRefused": "bulk",
    "JournalError": "bulk",
    "JournalInvalid": "bulk",
    "JournalLocked": "bulk",
    "Policy": "guards.policy",
    "PolicyError": "guards.policy",
    "policy_from_mapping": "guards.policy",
    "ProtectedSubproject": "guards",
    "label_summary": "frames",
    "label_coverage": "frames",
    "read_csv": "files",
    "read_excel": "files",
    "to_csv": "files",
    "to_excel": "files",
    # account history (sqlite3 is loaded with it)
    "snapshots": "account_history",
    "snapshot_at": "account_history",
    "history": "account_history",
    "Snapshot": "account_history",
    "Diff": "account_history",
    "HistoryStore": "account_history",
    "open_store": "account_history",
    "applied_plans": "bulk.applied",
    "changes_per_day": "account_history",
    "plot_account_size": "account_history",
    "plot_changes_per_day": "account_history",
    # the account as code (YAML is loaded with it; the package is not called `desired`
    # because `sn.desired` is the function)
    "Desired": "desired_state",
    "DesiredDiff": "desired_state",
    "DesiredFileError": "desired_state",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext sinch_notebook`: registers `%sinch` / `%%sinch` and `%config Sinch`."""
    from .magic.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magic.magics import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "AlreadyExists",
    "ApplyResult",
    "Change",
    "ChangedOnServer",
    "CreateOutcomeUnknown",
    "Desired",
    "DesiredDiff",
    "DesiredFileError",
    "Diff",
    "FailedPrecondition",
    "HistoryStore",
    "InsecureTransportError",
    "InvalidArgument",
    "JournalError",
    "JournalInvalid",
    "JournalLocked",
    "MassDeleteRefused",
    "MassUpdateRefused",
    "NotFound",
    "Outcome",
    "PermissionDenied",
    "Plan",
    "PlanAlreadyApplied",
    "PlanFileRefused",
    "Policy",
    "PolicyError",
    "ProfilesFileError",
    "ProtectedSubproject",
    "RateLimited",
    "Redirected",
    "ResponseTooLarge",
    "RetryPolicy",
    "ServerError",
    "SinchError",
    "Snapshot",
    "StalePlan",
    "Subproject",
    "SubprojectsClient",
    "TransportError",
    "Unauthenticated",
    "UnexpectedResponse",
    "ValidationError",
    "__version__",
    "active",
    "applied_plans",
    "changes_per_day",
    "compliance",
    "connect",
    "connect_or_sandbox",
    "connections",
    "delete_profile",
    "desired",
    "diff",
    "disconnect",
    "disconnect_all",
    "dump",
    "edit",
    "history",
    "label_coverage",
    "label_summary",
    "load_plan",
    "on_change",
    "open_store",
    "panel",
    "plan",
    "plot_account_size",
    "plot_changes_per_day",
    "policy",
    "policy_from_mapping",
    "profiles",
    "protect",
    "read_csv",
    "read_excel",
    "require_active",
    "resume",
    "save_profile",
    "set_active",
    "snapshot",
    "snapshot_at",
    "snapshots",
    "to_csv",
    "to_excel",
    "unprotect",
    "use",
]
