"""What an apply did: one Outcome per change, and the ApplyResult built from them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..display import changed_on_server
from ..models import Subproject, rfc3339, same_version
from .change import change_toward
from .plan import Change, Invalid, Plan

if TYPE_CHECKING:
    from ..client import SubprojectsClient

STATUSES = ("ok", "failed", "unknown", "conflict", "skipped")
RESULT_COLUMNS = [
    "operation",
    "subprojectId",
    "displayName",
    "status",
    "http_status",
    "error",
    "attempts",
    "note",
    "row",
]


@dataclass(frozen=True)
class Outcome:
    """How one change ended.

    `status`: ok, failed, unknown (a create that may or may not have happened: looking for it
    failed or was cut short), conflict (not sent: changed on the server since the plan) or
    skipped (not sent: invalid, stopped by Ctrl-C, or the apply stopped). `unknown` is True when
    the create may have happened; re-applying or resuming it looks for it first, once the
    commit grace has passed since `unknown_at`. `subproject_id` is the new id for creates.
    """

    change: Change
    status: str
    http_status: int | None = None
    error: str | None = None
    attempts: int = 0
    subproject_id: str | None = None
    update_time: str | None = None
    unknown: bool = False
    note: str | None = None
    since: str | None = None
    unknown_at: float | None = None
    subproject: Subproject | None = field(default=None, compare=False, repr=False)  # creates

    @property
    def key(self) -> str:
        """The change's key (`update:<id>`, `create:<row>`), as in the journal."""
        return self.change.key

    # The outcomes the engine decides, each built one way (a change's own id by default).

    @classmethod
    def done(
        cls,
        change: Change,
        attempts: int,
        *,
        subproject: Subproject | None = None,
        update_time: str | None = None,
        note: str | None = None,
    ) -> Outcome:
        """ "ok": sent (or found done); a create or update names the subproject it made."""
        if subproject is not None:
            return cls(
                change,
                "ok",
                attempts=attempts,
                subproject_id=subproject.subproject_id,
                update_time=rfc3339(subproject.update_time),
                note=note,
                subproject=subproject if change.op == "create" else None,
            )
        return cls(
            change,
            "ok",
            attempts=attempts,
            subproject_id=change.subproject_id,
            update_time=update_time,
            note=note,
        )

    @classmethod
    def failed(
        cls, change: Change, error: str, attempts: int, *, http_status: int | None = None
    ) -> Outcome:
        """ "failed": the server refused it, or it could not be sent."""
        return cls(
            change,
            "failed",
            http_status=http_status,
            error=error,
            attempts=attempts,
            subproject_id=change.subproject_id,
        )

    @classmethod
    def conflict(cls, change: Change, error: str | None) -> Outcome:
        """ "conflict": not sent, someone else changed the subproject since the plan."""
        return cls(change, "conflict", error=error, subproject_id=change.subproject_id)


class ApplyResult:
    """The result of `plan.apply()` / `sn.resume()`.

    `.frame` has one row per change (status ok/failed/conflict/skipped, http_status, error,
    attempts); `.ok` is True only when every row is ok; `.counts` counts rows per status;
    `.failed` is a Plan of the failed changes and `.remaining` of everything not done (failed
    plus skipped after Ctrl-C), ready to apply; `.undo()` plans the way back.
    """

    def __init__(
        self,
        plan: Plan,
        outcomes: Iterable[Outcome],
        *,
        invalid: Iterable[Invalid] = (),
        journal_path: Path | None = None,
        interrupted: bool = False,
        elapsed: float = 0.0,
        earlier_done: int = 0,
        concurrency: dict[str, int] | None = None,
        stopped: str | None = None,
    ) -> None:
        self.plan = plan
        self.outcomes: list[Outcome] = list(outcomes)
        self.invalid: list[Invalid] = list(invalid)
        self.journal_path = journal_path
        self.interrupted = interrupted
        self.elapsed = elapsed
        self.earlier_done = earlier_done
        # workers asked for, the lowest concurrency 429s brought it to, how often it slowed down
        self.concurrency = concurrency or {}
        self.stopped = stopped  # why the apply stopped sending before the end, if it did
        self.hints = plan.hints  # next steps in the words of the face that applied it

    @property
    def client(self) -> SubprojectsClient | None:
        """The connection the plan was applied with."""
        return self.plan.client

    @property
    def counts(self) -> dict[str, int]:
        """Outcomes per status (ok, failed, unknown, conflict, skipped), in that order."""
        counts = dict.fromkeys(STATUSES, 0)
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        counts["skipped"] += len(self.invalid)
        return counts

    @property
    def ok(self) -> bool:
        """Every change succeeded: nothing failed, conflicted, was invalid or was skipped."""
        return not self.invalid and all(o.status == "ok" for o in self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes) + len(self.invalid)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per change: operation, subprojectId, displayName, status, error, ..."""
        from .render import result_rows

        frame = pd.DataFrame(result_rows(self), columns=RESULT_COLUMNS)
        for name in ("operation", "subprojectId", "displayName", "status", "error", "note"):
            frame[name] = frame[name].astype("string")
        for name in ("http_status", "attempts"):
            frame[name] = frame[name].astype("Int64")
        return frame

    def _plan_of(self, statuses: set[str], origin: str) -> Plan:
        changes = []
        for outcome in self.outcomes:
            if outcome.status not in statuses:
                continue
            change = outcome.change
            if change.op == "create" and (outcome.unknown or outcome.since):
                since = outcome.since or change.reconcile_since
                change = dataclasses.replace(
                    change,
                    reconcile_since=since,
                    unknown_at=outcome.unknown_at or change.unknown_at,
                )
            changes.append(change)
        plan = Plan(
            self.plan.client,
            changes,
            origin=origin,
            journal_path=self.journal_path,
            server_size=self.plan.server_size,
            live_size=self.plan.live_size,
            policy=self.plan.policy,  # held to the rules it was planned under
        )
        plan.hints = self.hints
        return plan

    @property
    def failed(self) -> Plan:
        """A new Plan of the failed changes and the creates of unknown outcome (those are
        looked for before being sent again). With a journal it continues that journal."""
        return self._plan_of({"failed", "unknown"}, "failed")

    @property
    def remaining(self) -> Plan:
        """A new Plan of every change not done: failed, unknown and those skipped by Ctrl-C."""
        return self._plan_of({"failed", "unknown", "skipped"}, "remaining")

    def undo(self, force: bool = False) -> Plan:
        """A Plan that reverts applied updates and deletes what was created.

        Deletes cannot be undone (the API has no undelete): they are listed in `.invalid`.
        Subprojects changed on the server since this apply are conflicts unless `force=True`.
        """
        client = self.plan.client
        done = [o for o in self.outcomes if o.status == "ok"]
        needs_server = any(o.change.op in ("update", "create") for o in done)
        server = client.records() if needs_server and client is not None else {}
        changes: list[Change] = []
        conflicts: list[Change] = []
        invalid: list[Invalid] = []
        for outcome in done:
            change = outcome.change
            if change.op == "delete":
                invalid.append(
                    Invalid(
                        "a delete cannot be undone: the API has no undelete",
                        change.row,
                        change.subproject_id,
                        change.display_name,
                        "delete",
                    )
                )
                continue
            reverse = _reverse(outcome, server.get(outcome.subproject_id or ""))
            if isinstance(reverse, Invalid):
                invalid.append(reverse)
            elif reverse is None:
                continue
            elif reverse.conflict is not None and not force:
                conflicts.append(reverse)
            else:
                changes.append(reverse)
        return Plan(
            client,
            changes,
            conflicts=conflicts,
            invalid=invalid,
            origin="undo",
            server_size=len(server) or None,
            live_size=sum(1 for r in server.values() if not r.get("deleted")) or None,
        )

    def _repr_html_(self) -> str:
        from .render import PYTHON_HINTS, result_html

        return result_html(self, self.hints or PYTHON_HINTS)

    def __str__(self) -> str:
        from .render import PYTHON_HINTS, result_text

        return result_text(self, self.hints or PYTHON_HINTS)

    __repr__ = __str__


def _reverse(outcome: Outcome, record: dict[str, Any] | None) -> Change | Invalid | None:
    """The change that undoes one applied create or update (given the server's record now)."""
    change = outcome.change
    sid = outcome.subproject_id
    if record is None or record.get("deleted"):
        if change.op == "create":
            return None  # already gone: nothing to undo
        return Invalid(
            "cannot revert: the subproject was deleted since", change.row, sid, change.display_name
        )
    conflict = None
    if outcome.update_time is not None and not same_version(
        outcome.update_time, record.get("updateTime")
    ):
        conflict = changed_on_server(record.get("updateTime"), outcome.update_time, "the apply")
    if change.op == "create":
        return change_toward(record, delete=True, row=change.row, conflict=conflict)
    name = change.before_name if change.send_name is not None else None
    labels = change.before_labels if change.send_labels is not None else None
    return change_toward(record, name=name, labels=labels, row=change.row, conflict=conflict)
