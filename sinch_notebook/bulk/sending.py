"""What each change of a bulk apply means when it is sent (the dispatcher is `dispatch.py`).

- **Guarded updates and deletes.** Just before an update or delete is sent, the subproject's
  current record is read (`freshness.Freshness`) and judged (`verdict.judge`): unchanged since
  the plan, it is sent; already as planned (an earlier attempt committed), it is done; changed
  or deleted since, it is a "conflict" and is not sent, unless the plan was made with
  `force=True`.
- **Parked creates.** A create whose outcome is unknown (504, dropped connection, read timeout,
  a body that is not the resource) is parked, not re-sent: once `RetryPolicy.commit_grace` has
  passed since, one listing looks for every parked create at once (`creates.CreateFinder`);
  found ones are done, missing ones are sent again. Two creates of the same name and labels
  never fly at once (the second waits), so a found one is never claimed twice.
- **The twin sweep.** After the batch, creates that were sent again are swept for twins (an
  earlier attempt that committed later still), which are deleted.
- **Nothing lost.** Each outcome is journaled the moment it is known; a journal that cannot be
  written stops the apply, and a failed key exchange stops it with one reason.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..creates import Wanted
from ..display import changed_on_server
from ..errors import ChangedOnServer, SinchError
from ..guards import PROTECTED
from ..models import Subproject, parse_time, rfc3339
from ..verdict import judge
from .dispatch import Dispatcher, Job, Tally
from .errors import JournalError
from .freshness import Cancelled, Freshness
from .journal import JournalWriter
from .plan import Change
from .result import Outcome

if TYPE_CHECKING:
    from ..client import SubprojectsClient

log = logging.getLogger("sinch_notebook.bulk")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
RESOLVE_BATCH_WAIT = 1.0  # seconds a due parked create may wait for others to share a listing


@dataclass
class Parked:
    """A create whose outcome is unknown, waiting for the commit grace before it is looked for."""

    change: Change
    since: datetime
    since_text: str
    unknown_at: float
    attempts: int
    reason: str
    # Why sending it again cannot help (a redirect answers every attempt alike); None otherwise.
    final_error: str | None = None


def create_key(change: Change) -> tuple:
    """Creates with the same key cannot be told apart on the server: one flies at a time."""
    return (change.send_name or "", tuple(sorted((change.send_labels or {}).items())))


class ChangeSender:
    """The changes of one apply, sent through a `Dispatcher` (it implements `dispatch.Work`)."""

    def __init__(
        self,
        client: SubprojectsClient,
        changes: Sequence[Change],
        dispatcher: Dispatcher,
        *,
        writer: JournalWriter | None,
        exclude: Collection[str],
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.cond = dispatcher.cond
        self.stop = dispatcher.stop
        self.writer = writer
        self.exclude = set(exclude)
        self.freshness: Freshness | None = None
        self.grace = client.retry.commit_grace
        self.max_attempts = client.retry.retries + 1
        self.journal_error: JournalError | None = None
        self.outcomes: dict[str, Outcome] = {}
        self.pending: deque[Change] = deque()
        self.parked: dict[str, Parked] = {}
        self.blocked: dict[tuple, deque[Change]] = {}
        self.busy_keys: set[tuple] = set()
        self.sent: dict[str, tuple[datetime, str]] = {}  # create key -> (since, its text)
        self.attempts: dict[str, int] = {}
        self.resent: set[str] = set()
        self.resolving = False
        self.ok = 0
        self.failed = 0
        for change in changes:
            if change.op == "create" and change.reconcile_since:
                since = parse_time(change.reconcile_since) or _EPOCH
                self.sent[change.key] = (since, change.reconcile_since)
                self.attempts[change.key] = 1
                self.busy_keys.add(create_key(change))
                self.parked[change.key] = Parked(
                    change,
                    since,
                    change.reconcile_since,
                    change.unknown_at or 0.0,
                    1,
                    "an earlier attempt's outcome is unknown",
                )
            else:
                self.pending.append(change)

    def run(self) -> None:
        """Send everything; then settle what is still parked and sweep for twins."""
        dispatcher = self.dispatcher
        dispatcher.run(self)
        self._settle_parked()
        if not self.stop.is_set():
            dispatcher.guarded(self._sweep_twins)
        dispatcher.shielded(lambda: dispatcher.report(final=True))

    # -- dispatch.Work (called holding `cond`) -----------------------------------------------

    def take(self, room: int) -> list[Job]:
        jobs: list[Job] = []
        while self.pending and len(jobs) < room:
            change = self.pending.popleft()
            if change.op == "create":
                key = create_key(change)
                if key in self.busy_keys and change.key not in self.resent:
                    self.blocked.setdefault(key, deque()).append(change)
                    continue
                self.busy_keys.add(key)
            jobs.append((change.key, lambda c=change: self._work(c)))
        if self.parked and not self.resolving and len(jobs) < room:
            now = time.time()
            due = [p for p in self.parked.values() if p.unknown_at + self.grace <= now]
            oldest = min(p.unknown_at for p in self.parked.values()) + self.grace
            # One listing for all: wait until every parked create is due, unless the oldest
            # has already waited RESOLVE_BATCH_WAIT beyond its grace.
            if due and (len(due) == len(self.parked) or now - oldest >= RESOLVE_BATCH_WAIT):
                self.resolving = True
                jobs.append((None, lambda: self._resolve(due)))
        return jobs

    def idle(self) -> bool:
        return not self.pending and not self.parked and not any(self.blocked.values())

    def wake_in(self) -> list[float]:
        if not self.parked or self.resolving:
            return []
        now = time.time()
        times = [p.unknown_at + self.grace for p in self.parked.values()]
        return [t - now for t in (min(times) + RESOLVE_BATCH_WAIT, max(times))]

    def tally(self) -> Tally:
        waiting = len(self.pending) + sum(len(q) for q in self.blocked.values())
        return Tally(self.ok, self.failed, set(self.parked), waiting + len(self.parked))

    # -- bookkeeping -------------------------------------------------------------------------

    def _journal(self, write: Callable[[JournalWriter], None]) -> bool:
        """Write to the journal; a failure stops the apply (False: do not send)."""
        if self.writer is None:
            return True
        try:
            write(self.writer)
            return True
        except JournalError as err:
            with self.cond:
                if self.journal_error is None:
                    self.journal_error = err
            self.dispatcher.halt(f"the journal could not be written ({err.message})")
            return False

    def _finish(self, outcome: Outcome) -> None:
        """Record a final outcome (called holding `cond`)."""
        self.outcomes[outcome.key] = outcome
        self.parked.pop(outcome.key, None)
        if outcome.status == "ok":
            self.ok += 1
            self.dispatcher.limit.succeeded()
        else:
            self.failed += 1
        change = outcome.change
        if change.op == "create":
            key = create_key(change)
            self.busy_keys.discard(key)
            waiting = self.blocked.get(key)
            if waiting:
                self.pending.appendleft(waiting.popleft())
        self.cond.notify_all()

    def _stop_for(self, err: SinchError) -> None:
        """A failure every later request would meet too (the key exchange): stop dispatching."""
        self.dispatcher.halt(f"the key exchange failed: {err}")

    def _attempts(self, err: SinchError | None = None) -> int:
        return self.dispatcher.attempts(err.attempts if err is not None else 0)

    def _failure(self, change: Change, err: Exception) -> Outcome:
        if isinstance(err, SinchError):
            if err.token_endpoint:
                self._stop_for(err)
            return Outcome.failed(
                change, str(err), self._attempts(err), http_status=err.http_status
            )
        log.exception("unexpected error applying %s", change.key)  # a bug: report, go on
        since = self.sent.get(change.key, (None, None))[1]
        return Outcome(
            change,
            "unknown" if change.op == "create" else "failed",
            error=f"{type(err).__name__}: {err}",
            attempts=self._attempts(),
            subproject_id=change.subproject_id,
            unknown=change.op == "create",
            since=since,
            unknown_at=time.time() if change.op == "create" else None,
        )

    # -- worker threads ----------------------------------------------------------------------

    def _work(self, change: Change) -> None:
        outcome: Outcome | None = None
        try:
            if self.stop.is_set():
                return
            try:
                outcome = self._create(change) if change.op == "create" else self._guarded(change)
            except Exception as err:  # a bug must not abandon the other changes
                outcome = self._failure(change, err)
            if outcome is not None:
                self._journal(lambda w: w.outcome(outcome))
        finally:
            with self.cond:
                if outcome is not None:
                    self._finish(outcome)
                elif change.key not in self.parked and change.op == "create":
                    self.busy_keys.discard(create_key(change))  # not sent (stopped)
                self.cond.notify_all()

    def _create(self, change: Change) -> Outcome | None:
        """Send a create; None when it was parked (outcome unknown) or not sent (stopped)."""
        client = self.client
        if change.key not in self.sent:
            since = client.clock.earliest()
            self.sent[change.key] = (since, rfc3339(since) or "")
            if not self._journal(lambda w: w.started(change, self.sent[change.key][1])):
                return None  # not sent: without a journal line it could not be resumed safely
        since, since_text = self.sent[change.key]
        if self.stop.is_set():
            return None
        attempt = self.attempts[change.key] = self.attempts.get(change.key, 0) + 1
        try:
            sent = client.send_create(change.send_name or "", change.send_labels or {})
        except SinchError as err:
            return self._failure(change, err)
        if isinstance(sent, Subproject):
            return Outcome.done(change, self._attempts() + attempt - 1, subproject=sent)
        self._journal(lambda w: w.unknown(change, sent.reason))
        with self.cond:
            self.parked[change.key] = Parked(
                change,
                since,
                since_text,
                sent.at,
                attempt,
                sent.reason,
                str(sent.error) if sent.error is not None else None,
            )
        return None

    def _resolve(self, due: list[Parked]) -> None:
        """One listing for every parked create whose grace has passed (a worker job)."""
        settled: list[Outcome] = []
        resend: list[Change] = []
        try:
            wanted = [
                Wanted(p.change.send_name or "", p.change.send_labels or {}, p.since) for p in due
            ]
            try:
                found: list[Subproject | None] = self.client.finder.find(wanted, self.exclude)
            except Exception as err:
                if isinstance(err, SinchError) and err.token_endpoint:
                    self._stop_for(err)
                settled = [self._still_unknown(p, f"looking for it failed: {err}") for p in due]
                return
            for parked, sp in zip(due, found, strict=True):
                if sp is not None:
                    note = "found on the server: an earlier attempt had created it"
                    settled.append(
                        Outcome.done(parked.change, parked.attempts, subproject=sp, note=note)
                    )
                elif parked.final_error is not None:
                    settled.append(
                        Outcome.failed(
                            parked.change,
                            f"{parked.final_error}; looked for after the commit grace: it is "
                            "not on the server, and sending it again cannot help",
                            parked.attempts,
                        )
                    )
                elif parked.attempts >= self.max_attempts:
                    settled.append(
                        Outcome.failed(
                            parked.change,
                            f"create did not go through after {parked.attempts} attempts "
                            f"({parked.reason}); looked for after the commit grace: it is "
                            "not on the server",
                            parked.attempts,
                        )
                    )
                else:
                    resend.append(parked.change)
        finally:
            for outcome in settled:
                self._journal(lambda w, o=outcome: w.outcome(o))
            with self.cond:
                for outcome in settled:
                    self._finish(outcome)
                for change in reversed(resend):
                    self.parked.pop(change.key, None)
                    self.resent.add(change.key)
                    self.pending.appendleft(change)
                self.resolving = False
                self.cond.notify_all()

    def _still_unknown(self, parked: Parked, why: str) -> Outcome:
        return Outcome(
            parked.change,
            "unknown",
            error=f"may or may not have happened ({parked.reason}); {why}",
            attempts=parked.attempts,
            unknown=True,
            since=parked.since_text,
            unknown_at=parked.unknown_at,
        )

    def _settle_parked(self) -> None:
        """Stopped with creates still parked: they are reported unknown (resume looks first)."""
        with self.cond:
            left = list(self.parked.values())
        for parked in left:
            outcome = self._still_unknown(parked, "the apply stopped before looking for it")
            self._journal(lambda w, o=outcome: w.outcome(o))
            with self.cond:
                self._finish(outcome)

    def _guarded(self, change: Change) -> Outcome | None:
        """An update or delete, after checking nobody changed the subproject since the plan;
        None when the apply stopped before it was sent."""
        sid = change.subproject_id or ""
        judged = False  # the record just read is the version the plan's guard rails judged
        if self.freshness is not None and not change.forced and change.base_update_time:
            try:
                record = self.freshness.current(sid)
            except Cancelled:
                return None
            except SinchError as err:
                return self._failure(change, err)
            checked = self._checked(change, record)
            if checked is not None:
                return checked
            judged = True
        if self.stop.is_set():
            return None  # stopped (a failed key exchange, a journal error) while checking
        return self._send(change, judged)

    def _checked(self, change: Change, record: dict | None) -> Outcome | None:
        """The outcome the last-moment check decides, or None: send it."""
        verdict = judge(change.op, record, change.base_update_time, change.body())
        if verdict.action == "send":
            return None
        if verdict.action == "gone":
            return Outcome.failed(
                change, "no longer exists on the server", self._attempts(), http_status=404
            )
        now = (record or {}).get("updateTime")
        if verdict.action == "done":
            update_time = now if change.op == "update" else None
            return Outcome.done(
                change, self._attempts(), update_time=update_time, note=verdict.note
            )
        if verdict.deleted:
            error = "deleted on the server since the plan (there is no undelete)"
        else:
            error = changed_on_server(now, change.base_update_time, "the plan") + "; not applied"
        return Outcome.conflict(change, error)

    def _send(self, change: Change, judged: bool = False) -> Outcome:
        """Send it; unless the plan's guard rails judged this very version (`judged`), the
        client checks the protection itself (guards.py), with the change's override if any."""
        sid = change.subproject_id or ""
        expected = None if change.forced else change.base_update_time
        allow = judged or PROTECTED in change.overrides
        try:
            if change.op == "update":
                sp = self.client.update(
                    sid,
                    display_name=change.send_name,
                    labels=change.send_labels,
                    expected_update_time=expected,
                    allow_protected=allow,
                )
                return Outcome.done(change, self._attempts(), subproject=sp)
            deleted_now = self.client.delete(
                sid, expected_update_time=expected, allow_protected=allow
            )
        except ChangedOnServer as err:
            return Outcome.conflict(change, err.message)
        except SinchError as err:
            return self._failure(change, err)
        note = None if deleted_now else "was already deleted"
        return Outcome.done(change, self._attempts(), note=note)

    # -- after the batch ---------------------------------------------------------------------

    def _sweep_twins(self) -> None:
        """Creates sent again: an earlier attempt may still have committed. Delete such twins."""
        made = [
            (o, Wanted(o.change.send_name or "", o.change.send_labels or {}, self.sent[o.key][0]))
            for o in self.outcomes.values()
            if o.key in self.resent and o.status == "ok" and o.subproject_id
        ]
        if not made:
            return
        try:
            twins = self.client.finder.twins(
                [(wanted, o.subproject_id or "") for o, wanted in made], self.exclude
            )
        except SinchError as err:
            for outcome, _ in made:
                self._note(outcome, f"could not check for a duplicate from a late commit: {err}")
            return
        for (outcome, _), found in zip(made, twins, strict=True):
            for twin in found:
                try:
                    self.client.delete(twin.subproject_id, allow_protected=True)  # our own twin
                    deleted = True
                    words = (
                        f"a late commit of an earlier attempt made a duplicate, {twin.id}: deleted"
                    )
                except SinchError as err:
                    deleted = False
                    words = (
                        f"a late commit of an earlier attempt made a duplicate, {twin.id}; "
                        f"deleting it failed: {err}"
                    )
                self._journal(lambda w, o=outcome, t=twin, d=deleted: w.twin(o.change, t.id, d))
                self._note(outcome, words)

    def _note(self, outcome: Outcome, words: str) -> None:
        with self.cond:
            current = self.outcomes[outcome.key]
            note = f"{current.note}; {words}" if current.note else words
            self.outcomes[outcome.key] = dataclasses.replace(current, note=note)
