"""The kinds of record an apply journal holds, written the same way to a file
(`journal.JournalWriter`) and to the team's store (`store_journal.StoreJournalWriter`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..models import rfc3339
from .journal_check import FORMAT

if TYPE_CHECKING:
    from .plan import Change, Plan
    from .result import Outcome


def now() -> str:
    return rfc3339(datetime.now(timezone.utc)) or ""


class RecordKinds:
    """plan / start / unknown / twin / outcome / notes, each one `write` of a JSON object."""

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def plan(self, plan: Plan, *, allow_mass_delete: bool, allow_mass_update: bool = False) -> None:
        client = plan.client
        self.write(
            {
                "type": "plan",
                "format": FORMAT,
                "at": now(),
                "project_id": client.project_id if client is not None else None,
                "api_url": client.endpoints.api_url if client is not None else None,
                "api_version": client.endpoints.api_version if client is not None else None,
                "origin": plan.origin,
                "allow_mass_delete": allow_mass_delete,
                "allow_mass_update": allow_mass_update,
                "changes": [change.to_json() for change in plan.changes],
            }
        )

    def started(self, change: Change, since: str) -> None:
        self.write({"type": "start", "key": change.key, "since": since, "at": now()})

    def unknown(self, change: Change, reason: str) -> None:
        self.write({"type": "unknown", "key": change.key, "reason": reason, "at": now()})

    def twin(self, change: Change, subproject_id: str, deleted: bool) -> None:
        self.write(
            {
                "type": "twin",
                "key": change.key,
                "subproject_id": subproject_id,
                "deleted": deleted,
                "at": now(),
            }
        )

    def outcome(self, outcome: Outcome) -> None:
        self.write(
            {
                "type": "outcome",
                "key": outcome.key,
                "status": outcome.status,
                "subproject_id": outcome.subproject_id,
                "update_time": outcome.update_time,
                "http_status": outcome.http_status,
                "error": outcome.error,
                "attempts": outcome.attempts,
                "unknown": outcome.unknown,
                "note": outcome.note,
                "since": outcome.since,
                "at": now(),
            }
        )

    def note(self, kind: str, **fields: Any) -> None:
        self.write({"type": kind, "at": now(), **fields})
