"""sinch-notebook: the Sinch Subprojects API in Jupyter.

import sinch_notebook as sn
client = sn.connect()          # SINCH_KEY_ID, SINCH_KEY_SECRET, SINCH_PROJECT_ID
df = client.frame()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import SubprojectsClient
from .connection import (
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
from .profile_store import ProfilesFileError, delete_profile, profiles, save_profile
from .retry import RetryPolicy

if TYPE_CHECKING:
    import os

    import pandas as pd

    from .bulk import ApplyResult, Plan
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
    journal_path: str | os.PathLike[str], workers: int = 8, progress: Any = True, **kwargs: Any
) -> ApplyResult:
    """Apply the changes of an apply journal that are not done yet (see `bulk.resume`)."""
    from .bulk import resume as resume_journal

    return resume_journal(journal_path, workers=workers, progress=progress, **kwargs)


# Loaded on first use, so `import sinch_notebook` does not import pandas.
_LAZY = {
    "connect_or_sandbox": "local_sandbox",
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
    "load_plan": "bulk",
    "JournalError": "bulk",
    "JournalInvalid": "bulk",
    "JournalLocked": "bulk",
    "label_summary": "frames",
    "label_coverage": "frames",
    "read_csv": "files",
    "read_excel": "files",
    "to_csv": "files",
    "to_excel": "files",
    # account history (sqlite3 is loaded with it)
    "snapshot": "account_history",
    "snapshots": "account_history",
    "snapshot_at": "account_history",
    "history": "account_history",
    "diff": "account_history",
    "Snapshot": "account_history",
    "Diff": "account_history",
    "HistoryStore": "account_history",
    "open_store": "account_history",
    "changes_per_day": "account_history",
    "plot_account_size": "account_history",
    "plot_changes_per_day": "account_history",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext sinch_notebook`: registers `%sinch` / `%%sinch` and `%config Sinch`."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "AlreadyExists",
    "ApplyResult",
    "Change",
    "ChangedOnServer",
    "CreateOutcomeUnknown",
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
    "ProfilesFileError",
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
    "changes_per_day",
    "connect",
    "connect_or_sandbox",
    "connections",
    "delete_profile",
    "diff",
    "disconnect",
    "disconnect_all",
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
    "profiles",
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
    "use",
]
