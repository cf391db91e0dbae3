"""Account history: snapshots of a whole account in a store, diffs, and the way back.

    snap = sn.snapshot()            # the whole account (deleted included), stored with its time
    sn.snapshots()                  # DataFrame: id, time, project, counts
    sn.snapshot_at("2025-06-01").frame   # the account as it was then
    sn.history(subproject_id)       # DataFrame: the versions of one subproject over time
    d = sn.diff(snap, "now")        # d.frame, d.summary(), d.revert() -> a Plan

The API keeps no history (only createTime, updateTime and a deleted flag), so this keeps it.
The store is a SQLite file (the default) or a team's PostgreSQL database
(`SINCH_HISTORY=postgresql://host/db`). Modules: store_base (the store's interface and its
queries), store (the SQLite engine, and which store a location names), store_postgres, rows
(records in the store's form), changes (what counts as a change), timeline (snapshots and one
subproject's versions), compare (diffs and reverts), render (HTML and text), plots.

(The package is not called `history` because `sn.history` is the function.)
"""

from __future__ import annotations

from .changes import KINDS
from .compare import DIFF_COLUMNS, Diff, diff, needs_listing, snapshot_at
from .plots import changes_per_day, plot_account_size, plot_changes_per_day
from .store import (
    SCHEMA_VERSION,
    HistoryStore,
    SnapshotOutOfOrder,
    StoreBusy,
    StoreDamaged,
    StoreReadOnly,
    StoreUnreachable,
    open_store,
)
from .timeline import Snapshot, history, snapshot, snapshots

__all__ = [
    "DIFF_COLUMNS",
    "KINDS",
    "SCHEMA_VERSION",
    "Diff",
    "HistoryStore",
    "Snapshot",
    "SnapshotOutOfOrder",
    "StoreBusy",
    "StoreDamaged",
    "StoreReadOnly",
    "StoreUnreachable",
    "changes_per_day",
    "diff",
    "history",
    "needs_listing",
    "open_store",
    "plot_account_size",
    "plot_changes_per_day",
    "snapshot",
    "snapshot_at",
    "snapshots",
]
