"""The saved plans applied through the team's store
(`SINCH_JOURNAL=store`), who applied each, when, and what its journal says now."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from .journal import read_journal
from .store_journal import team_store

if TYPE_CHECKING:
    import pandas as pd

APPLIED_COLUMNS = [
    "plan",
    "applied_at",
    "applied_by",
    "host",
    "project",
    "journal",
    "changes",
    "ok",
    "failed",
    "pending",
]


def applied_plans() -> pd.DataFrame:
    """Every saved plan applied through the team's store: who, when, with the counts of its
    journal (changes, ok, failed, pending), newest first."""
    import pandas as pd

    with team_store().session() as conn:
        claims = conn.execute(
            "SELECT plan_name, applied_at, applied_by, host, project_id, journal "
            "FROM applied_plans ORDER BY applied_at DESC"
        ).fetchall()
    rows = []
    for name, at, by, host, project, journal in claims:
        counts = {"changes": 0, "ok": 0, "failed": 0, "pending": 0}
        with contextlib.suppress(Exception):  # a claim whose apply has not written yet
            state = read_journal(journal)
            failed = sum(1 for o in state.last.values() if o.get("status") == "failed")
            counts = {
                "changes": len(state.changes),
                "ok": len(state.done),
                "failed": failed,
                "pending": len(state.pending()) - failed,
            }
        rows.append([name, at, by, host, project, journal, *counts.values()])
    frame = pd.DataFrame(rows, columns=APPLIED_COLUMNS)
    frame["applied_at"] = pd.to_datetime(frame["applied_at"], utc=True)
    return frame
