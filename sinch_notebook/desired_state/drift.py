"""What changed on the server since the last sync (terraform's "changed outside").

A sync with `doit` stores a snapshot tagged "sync" in the history store once it has applied.
The next diff compares that snapshot with the listing it made anyway: what differs was changed
by someone else since (the file's own changes are in the plan, not here). Nothing is listed
again and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from ..account_history.compare import Diff
from ..account_history.rows import paused_gc, prepare_rows, to_record
from ..account_history.store import HistoryStore, open_store
from ..account_history.timeline import Snapshot

SYNC_TAG = "sync"


def changed_since_sync(
    store: HistoryStore | str | None,
    project: str,
    api_url: str | None,
    records: Iterable[Mapping[str, Any]],
) -> Diff | None:
    """The changes between the last sync's snapshot and `records` (a listing with deleted
    subprojects); None when the store holds no sync of this project and API."""
    target = open_store(store)
    if not target.exists:
        return None
    info = target.latest_tagged(project, SYNC_TAG, api_url)
    if info is None:
        return None
    with paused_gc():
        now = prepare_rows(records, project)
        then = target.rows(info.id)
        # name, labels and deleted: what a person changes (updateTime moves on any write)
        changed = [
            sid
            for sid in then.keys() | now.keys()
            if (old := then.get(sid)) is None
            or (new := now.get(sid)) is None
            or old.display_name != new.display_name
            or old.labels != new.labels
            or old.deleted != new.deleted
        ]
    with target.reading():
        before = {sid: to_record(then[sid], project) for sid in changed if sid in then}
        after = {sid: to_record(now[sid], project) for sid in changed if sid in now}
    deleted = sum(row.deleted for row in now.values())
    listing = Snapshot(
        None, datetime.now(timezone.utc), project, len(now), deleted, _rows=now, api_url=api_url
    )
    return Diff(Snapshot.from_store(info, target), listing, before, after)
