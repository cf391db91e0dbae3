"""Applying a plan: the one engine for every bulk write (plans, `%%sinch create`, resume).

What it promises (the README's "Exactly once" says the same):
- **Creates exactly once.** A create whose outcome is unknown (504, dropped connection, read
  timeout, a body that is not the resource) is parked, not re-sent: once
  `RetryPolicy.commit_grace` has passed since, one listing looks for every parked create at
  once (`creates.CreateFinder`); found ones are done, missing ones are sent again. After the
  batch, creates that were sent again are swept for twins (an earlier attempt that committed
  later still), which are deleted. A create whose outcome stays unknown is reported "unknown",
  never "ok", and never re-sent without looking first.
- **No silent overwrite.** Just before an update or delete is sent, the subproject's current
  `updateTime` is compared with the plan's (`freshness.Freshness`); a change made since is a
  "conflict" and is not sent, unless the plan was made with `force=True`.
- **Nothing lost.** Each outcome is journaled the moment it is known; Ctrl-C stops dispatching,
  requests in flight finish and are journaled, and the result so far is returned.
- **One apply per journal.** The journal's lock is held for the whole apply (`journal.py`).
- **Token failures are shared.** A failed key exchange stops dispatching with one clear reason
  (every worker would meet the same failure); a 429 from the API or the token endpoint halves
  the concurrency (AIMD, at most once per cool-down) and pauses dispatching for the retry delay.

The calling thread only dispatches and reports; worker threads send and journal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MAX_WORKERS
from ..creates import Wanted
from ..errors import ChangedOnServer, SinchError, ValidationError
from ..models import Subproject, parse_time, rfc3339, same_version
from .errors import JournalError, PlanAlreadyApplied
from .freshness import Cancelled, Freshness
from .journal import JournalWriter, default_journal_path, read_journal
from .plan import Change, Plan
from .result import ApplyResult, Outcome

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from ..retry import RetryEvent

log = logging.getLogger("sinch_notebook.bulk")

ProgressCallback = Callable[[int, int, dict[str, int]], None]
ProgressArg = bool | ProgressCallback
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PROGRESS_INTERVAL = 0.1  # seconds between progress callbacks (the first and last always come)
DISPATCH_TICK = 0.2  # the dispatcher wakes at least this often
RESOLVE_BATCH_WAIT = 1.0  # seconds a due parked create may wait for others to share a listing


class AdaptiveLimit:
    """How many requests may be in flight: halved on 429, grown back as calls succeed."""

    def __init__(self, maximum: int, cooldown: float = 0.5) -> None:
        self.maximum = maximum
        self.cooldown = cooldown
        self._value = float(maximum)
        self._last_cut = -math.inf
        self._lock = threading.Lock()
        self.cuts = 0
        self.lowest = maximum

    @property
    def current(self) -> int:
        return max(1, int(self._value))

    def throttled(self) -> bool:
        """Note a 429; True when it lowered the limit."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_cut < self.cooldown:
                return False
            self._last_cut = now
            self._value = max(1.0, self._value / 2)
            self.cuts += 1
            self.lowest = min(self.lowest, self.current)
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._value = min(float(self.maximum), self._value + 1 / self._value)


class StopRequested(Exception):
    """The progress callback returned False: stop as Ctrl-C would."""


class _Reporter:
    """A tqdm.auto bar, a caller's callback (at most every PROGRESS_INTERVAL s), or nothing."""

    def __init__(self, progress: ProgressArg, total: int, desc: str) -> None:
        self.total = total
        self.interval = PROGRESS_INTERVAL
        self.callback: ProgressCallback | None = None
        self.bar: Any = None
        self._last: tuple | None = None
        self._last_call = -math.inf
        if callable(progress) and not isinstance(progress, bool):
            self.callback = progress
        elif progress and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="change", dynamic_ncols=True)

    def update(self, done: int, counts: dict[str, int], final: bool = False) -> None:
        state = (done, *counts.values())
        if state == self._last:
            return
        now = time.monotonic()
        first = self._last is None
        if not (first or final or done == self.total) and now - self._last_call < self.interval:
            return
        self._last = state
        self._last_call = now
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix(
                ok=counts["ok"], failed=counts["failed"], retrying=counts["retrying"]
            )
        if self.callback is not None:
            try:
                answer = self.callback(done, self.total, dict(counts))
            except KeyboardInterrupt:
                raise
            except Exception:
                log.exception("progress callback failed; no more progress will be reported")
                self.callback = None
                return
            if answer is False and not final:
                raise StopRequested

    def close(self, interrupted: bool) -> None:
        if self.bar is not None:
            if interrupted:
                self.bar.set_description("interrupted")
            self.bar.close()


@dataclass
class _Parked:
    """A create whose outcome is unknown, waiting for the commit grace before it is looked for."""

    change: Change
    since: datetime
    since_text: str
    unknown_at: float
    attempts: int
    reason: str


def _create_key(change: Change) -> tuple:
    return (change.send_name or "", tuple(sorted((change.send_labels or {}).items())))


class _Engine:
    """Sends `changes` with at most `limit.current` in flight; see the module docstring."""

    def __init__(
        self,
        client: SubprojectsClient,
        changes: Sequence[Change],
        *,
        workers: int,
        writer: JournalWriter | None,
        reporter: _Reporter,
        exclude: Collection[str],
    ) -> None:
        self.client = client
        self.workers = workers
        self.writer = writer
        self.reporter = reporter
        self.exclude = set(exclude)
        self.freshness: Freshness | None = None
        self.grace = client.retry.commit_grace
        self.max_attempts = client.retry.retries + 1
        self.limit = AdaptiveLimit(workers)
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.stopped: str | None = None  # why dispatching stopped early (besides Ctrl-C)
        self.journal_error: JournalError | None = None
        self.interrupted = False
        self.outcomes: dict[str, Outcome] = {}
        self.pending: deque[Change] = deque()
        self.parked: dict[str, _Parked] = {}
        self.blocked: dict[tuple, deque[Change]] = {}
        self.busy_keys: set[tuple] = set()
        self.sent: dict[str, tuple[datetime, str]] = {}  # create key -> (since, its text)
        self.attempts: dict[str, int] = {}
        self.resent: set[str] = set()
        self.resolving = False
        self.active = 0
        self.pause_until = 0.0
        self.ok = 0
        self.failed = 0
        self.retrying: set[str] = set()
        self._local = threading.local()
        for change in changes:
            if change.op == "create" and change.reconcile_since:
                since = parse_time(change.reconcile_since) or _EPOCH
                self.sent[change.key] = (since, change.reconcile_since)
                self.attempts[change.key] = 1
                self.busy_keys.add(_create_key(change))
                self.parked[change.key] = _Parked(
                    change,
                    since,
                    change.reconcile_since,
                    change.unknown_at or 0.0,
                    1,
                    "an earlier attempt's outcome is unknown",
                )
            else:
                self.pending.append(change)

    # -- calling thread ----------------------------------------------------------------------

    def run(self) -> None:
        unsubscribe = self.client.add_retry_listener(self._on_retry)
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sinch-apply")
        try:
            try:
                self._report()
                while True:
                    with self.cond:
                        self._dispatch(pool)
                        if self._finished():
                            break
                        self.cond.wait(self._wait_time())
                    self._report()
            except (KeyboardInterrupt, StopRequested):
                self._interrupt()
            self._drain(pool)
            self._settle_parked()
            if not self.stop.is_set():
                try:
                    self._sweep_twins()
                except (KeyboardInterrupt, StopRequested):
                    self._interrupt()
            self._shielded(lambda: self._report(final=True))
        finally:
            unsubscribe()

    def _interrupt(self) -> None:
        self.interrupted = True
        self.stop.set()

    def _shielded(self, step: Callable[[], None]) -> None:
        """Run `step` to its end even if Ctrl-C lands in it (it must be safe to repeat)."""
        while True:
            try:
                step()
                return
            except (KeyboardInterrupt, StopRequested):
                self._interrupt()

    def _dispatch(self, pool: ThreadPoolExecutor) -> None:
        """Submit what may go now (called holding `cond`)."""
        if self.stop.is_set() or time.monotonic() < self.pause_until:
            return
        while self.pending and self.active < self.limit.current:
            change = self.pending.popleft()
            if change.op == "create":
                key = _create_key(change)
                if key in self.busy_keys and change.key not in self.resent:
                    self.blocked.setdefault(key, deque()).append(change)
                    continue
                self.busy_keys.add(key)
            self.active += 1
            pool.submit(self._work, change)
        if self.parked and not self.resolving and self.active < self.limit.current:
            now = time.time()
            due = [p for p in self.parked.values() if p.unknown_at + self.grace <= now]
            oldest = min(p.unknown_at for p in self.parked.values()) + self.grace
            # One listing for all: wait until every parked create is due, unless the oldest
            # has already waited RESOLVE_BATCH_WAIT beyond its grace.
            if due and (len(due) == len(self.parked) or now - oldest >= RESOLVE_BATCH_WAIT):
                self.resolving = True
                self.active += 1
                pool.submit(self._resolve, due)

    def _finished(self) -> bool:
        if self.active > 0:
            return False
        if self.stop.is_set():
            return True
        return not self.pending and not self.parked and not any(self.blocked.values())

    def _wait_time(self) -> float:
        waits = [DISPATCH_TICK]
        if self.parked and not self.resolving:
            now = time.time()
            times = [p.unknown_at + self.grace for p in self.parked.values()]
            waits.extend(t - now for t in (min(times) + RESOLVE_BATCH_WAIT, max(times)))
        if self.pause_until:
            waits.append(self.pause_until - time.monotonic())
        return max(0.01, min(waits))

    def _drain(self, pool: ThreadPoolExecutor) -> None:
        """Let in-flight requests finish (a second Ctrl-C does not abandon them)."""

        def wait() -> None:
            with self.cond:
                while self.active > 0:
                    self.cond.wait(DISPATCH_TICK)
            pool.shutdown(wait=True)

        self._shielded(wait)

    def counts(self) -> dict[str, int]:
        with self.cond:
            waiting = len(self.pending) + sum(len(q) for q in self.blocked.values())
            return {
                "ok": self.ok,
                "failed": self.failed,
                "retrying": len(self.retrying | set(self.parked)),
                "pending": waiting + len(self.parked) + max(self.active, 0),
                "workers": self.limit.current,
            }

    def _report(self, final: bool = False) -> None:
        counts = self.counts()
        self.reporter.update(counts["ok"] + counts["failed"], counts, final)

    # -- bookkeeping (worker threads) --------------------------------------------------------

    def _on_retry(self, event: RetryEvent) -> None:
        if event.status == 429:
            if self.limit.throttled():
                log.debug("429: concurrency lowered to %d", self.limit.current)
            with self.cond:
                self.pause_until = max(self.pause_until, time.monotonic() + event.delay)
        key = getattr(self._local, "key", None)
        if key is None:
            return
        self._local.retries += 1
        with self.cond:
            self.retrying.add(key)
            self.cond.notify_all()  # so the live "retrying" count shows now

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
                    self.stopped = f"the journal could not be written ({err.message})"
            self.stop.set()
            return False

    def _finish(self, outcome: Outcome) -> None:
        """Record a final outcome (called holding `cond`)."""
        self.outcomes[outcome.key] = outcome
        self.parked.pop(outcome.key, None)
        if outcome.status == "ok":
            self.ok += 1
            self.limit.succeeded()
        else:
            self.failed += 1
        change = outcome.change
        if change.op == "create":
            key = _create_key(change)
            self.busy_keys.discard(key)
            waiting = self.blocked.get(key)
            if waiting:
                self.pending.appendleft(waiting.popleft())
        self.cond.notify_all()

    def _stop_for(self, err: SinchError) -> None:
        """A failure every later request would meet too (the key exchange): stop dispatching."""
        with self.cond:
            if self.stopped is None:
                self.stopped = f"the key exchange failed: {err}"
        self.stop.set()

    def _attempts(self, err: SinchError | None = None) -> int:
        seen = 1 + getattr(self._local, "retries", 0)
        return max(seen, err.attempts if err is not None else 0)

    def _failure(self, change: Change, err: Exception) -> Outcome:
        if isinstance(err, SinchError):
            if err.token_endpoint:
                self._stop_for(err)
            return Outcome(
                change,
                "failed",
                http_status=err.http_status,
                error=str(err),
                attempts=self._attempts(err),
                subproject_id=change.subproject_id,
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
            self._local.key = change.key
            self._local.retries = 0
            try:
                outcome = self._create(change) if change.op == "create" else self._guarded(change)
            except Exception as err:  # a bug must not abandon the other changes
                outcome = self._failure(change, err)
            if outcome is not None:
                self._journal(lambda w: w.outcome(outcome))
        finally:
            self._local.key = None
            with self.cond:
                self.active -= 1
                self.retrying.discard(change.key)
                if outcome is not None:
                    self._finish(outcome)
                elif change.key not in self.parked and change.op == "create":
                    self.busy_keys.discard(_create_key(change))  # not sent (stopped)
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
            return Outcome(
                change,
                "ok",
                attempts=self._attempts() + attempt - 1,
                subproject_id=sent.subproject_id,
                update_time=rfc3339(sent.update_time),
                subproject=sent,
            )
        self._journal(lambda w: w.unknown(change, sent.reason))
        with self.cond:
            self.parked[change.key] = _Parked(
                change, since, since_text, sent.at, attempt, sent.reason
            )
        return None

    def _resolve(self, due: list[_Parked]) -> None:
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
                        Outcome(
                            parked.change,
                            "ok",
                            attempts=parked.attempts,
                            subproject_id=sp.subproject_id,
                            update_time=rfc3339(sp.update_time),
                            note=note,
                            subproject=sp,
                        )
                    )
                elif parked.attempts >= self.max_attempts:
                    settled.append(
                        Outcome(
                            parked.change,
                            "failed",
                            error=(
                                f"create did not go through after {parked.attempts} attempts "
                                f"({parked.reason}); looked for after the commit grace: it is "
                                "not on the server"
                            ),
                            attempts=parked.attempts,
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
                self.active -= 1
                self.cond.notify_all()

    def _still_unknown(self, parked: _Parked, why: str) -> Outcome:
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
        client = self.client
        sid = change.subproject_id or ""
        if self.freshness is not None and not change.forced and change.base_update_time:
            try:
                record = self.freshness.current(sid)
            except Cancelled:
                return None
            except SinchError as err:
                return self._failure(change, err)
            if record is None:
                return Outcome(
                    change,
                    "failed",
                    http_status=404,
                    error="no longer exists on the server",
                    attempts=self._attempts(),
                    subproject_id=sid,
                )
            if change.op == "delete" and record.get("deleted"):
                return Outcome(
                    change,
                    "ok",
                    attempts=self._attempts(),
                    subproject_id=sid,
                    note="was already deleted",
                )
            if record.get("deleted"):
                return Outcome(
                    change,
                    "conflict",
                    error="deleted on the server since the plan (there is no undelete)",
                    subproject_id=sid,
                )
            if not same_version(change.base_update_time, record.get("updateTime")):
                if _as_planned(change, record):  # e.g. an earlier attempt that did commit
                    return Outcome(
                        change,
                        "ok",
                        attempts=self._attempts(),
                        subproject_id=sid,
                        update_time=record.get("updateTime"),
                        note="already as planned on the server (nothing sent)",
                    )
                return Outcome(
                    change,
                    "conflict",
                    error=(
                        f"changed on the server (updateTime {record.get('updateTime')}) since "
                        f"the plan (updateTime {change.base_update_time}); not applied"
                    ),
                    subproject_id=sid,
                )
        expected = None if change.forced else change.base_update_time
        if self.stop.is_set():
            return None  # stopped (a failed key exchange, a journal error) while checking
        try:
            if change.op == "update":
                sp = client.update(
                    sid,
                    display_name=change.send_name,
                    labels=change.send_labels,
                    expected_update_time=expected,
                )
                return Outcome(
                    change,
                    "ok",
                    attempts=self._attempts(),
                    subproject_id=sid,
                    update_time=rfc3339(sp.update_time),
                )
            deleted_now = client.delete(sid, expected_update_time=expected)
        except ChangedOnServer as err:
            return Outcome(change, "conflict", error=err.message, subproject_id=sid)
        except SinchError as err:
            return self._failure(change, err)
        note = None if deleted_now else "was already deleted"
        return Outcome(change, "ok", attempts=self._attempts(), subproject_id=sid, note=note)

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
                    self.client.delete(twin.subproject_id)
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


def _as_planned(change: Change, record: dict[str, Any]) -> bool:
    """Whether the server already holds what this update would send."""
    if change.op != "update" or record.get("deleted"):
        return False
    if change.send_name is not None and record.get("displayName") != change.send_name:
        return False
    labels = record.get("labels") if isinstance(record.get("labels"), dict) else {}
    return change.send_labels is None or labels == change.send_labels


# -- the entry point ---------------------------------------------------------------------------


def _check_args(workers: Any, progress: Any, allow_mass_delete: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ValidationError("workers", f"must be an integer from 1 to {MAX_WORKERS}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValidationError("workers", f"must be from 1 to {MAX_WORKERS}, got {workers}")
    if not (isinstance(progress, bool) or callable(progress)):
        raise ValidationError("progress", "must be True, False or a callable(done, total, counts)")
    if not isinstance(allow_mass_delete, bool):
        raise ValidationError("allow_mass_delete", "must be True or False")


@dataclass
class _Journal:
    """The journal an apply writes, and what it already knew."""

    writer: JournalWriter | None
    changes: list[Change]
    earlier_done: int = 0
    exclude: frozenset[str] = frozenset()
    new_file: bool = False


def _open_journal(plan: Plan, journal: Any, allow_mass_delete: bool) -> _Journal:
    """Open (and lock) the journal, and write its first line, before anything is sent.

    A plan that continues a journal (resume, result.failed, result.remaining) appends to it and
    skips what it says is done. Any failure here raises with nothing sent.
    """
    changes = list(plan.changes)
    if journal is False or not changes:
        return _Journal(None, changes)
    if journal is None or journal is True:
        if plan.journal_path is not None:
            return _continue_journal(plan, changes)
        path: Path = default_journal_path()
    elif isinstance(journal, (str, Path)):
        path = Path(journal)
    else:
        raise ValidationError("journal", "must be None (default path), a path, or False (none)")
    writer = JournalWriter(path, what=f"an apply of a plan ({plan.origin})")
    try:
        writer.plan(plan, allow_mass_delete=allow_mass_delete)
    except JournalError as err:
        writer.discard()
        raise JournalError(
            f"{err.message}; nothing was sent (give another journal path, or journal=False)"
        ) from None
    return _Journal(writer, changes, new_file=True)


def _continue_journal(plan: Plan, changes: list[Change]) -> _Journal:
    path = Path(plan.journal_path or "")
    writer = JournalWriter(path, append=True, what=f"a {plan.origin} of this journal")
    try:
        state = read_journal(path)
        todo = [c for c in changes if c.key not in state.done]
        writer.note("resume", origin=plan.origin, pending=len(todo), done_before=len(state.done))
    except SinchError:
        with contextlib.suppress(JournalError):
            writer.close()
        raise
    return _Journal(writer, todo, len(state.done), frozenset(state.created_ids))


def apply_plan(
    plan: Plan,
    *,
    workers: int = 8,
    progress: ProgressArg = True,
    journal: Any = None,
    allow_mass_delete: bool = False,
) -> ApplyResult:
    """See `Plan.apply`. Every check, and the journal's first line, happen before any request."""
    _check_args(workers, progress, allow_mass_delete)
    client = plan.client
    if client is None:
        raise SinchError("this plan has no connection to apply it with")
    plan.raise_if_unsafe(allow_mass_delete)
    if plan.applied:
        plan._mark_applied()  # raises PlanAlreadyApplied
    opened = _open_journal(plan, journal, allow_mass_delete)
    writer = opened.writer
    try:
        plan._mark_applied()
    except PlanAlreadyApplied:
        if writer is not None:
            if opened.new_file:
                writer.discard()
            else:
                with contextlib.suppress(JournalError):
                    writer.close()
        raise
    conflicts = [Outcome(c, "conflict", error=c.conflict) for c in plan.conflicts]
    changes = opened.changes
    started = time.monotonic()
    guarded = sum(1 for c in changes if c.op != "create" and not c.forced)
    reporter = _Reporter(progress, len(changes), "apply")
    engine = _Engine(
        client,
        changes,
        workers=workers,
        writer=writer,
        reporter=reporter,
        exclude=opened.exclude,
    )
    if guarded:
        engine.freshness = Freshness(client, guarded, plan.server_size, engine.stop.is_set)
    try:
        if changes:
            engine.run()
    finally:
        reporter.close(engine.interrupted)
        why = engine.stopped or "interrupted"
        outcomes = [
            engine.outcomes.get(c.key) or Outcome(c, "skipped", error=f"not sent: {why}")
            for c in changes
        ]
        journal_error = engine.journal_error
        if writer is not None:
            counts: dict[str, int] = {}
            for outcome in outcomes:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
            with contextlib.suppress(JournalError):
                writer.note("end", interrupted=engine.interrupted, counts=counts)
            try:
                writer.close()
            except JournalError as err:
                journal_error = journal_error or err
    result = ApplyResult(
        plan,
        outcomes + conflicts,
        invalid=plan.invalid,
        journal_path=writer.path if writer is not None else plan.journal_path,
        interrupted=engine.interrupted,
        elapsed=time.monotonic() - started,
        earlier_done=opened.earlier_done,
        concurrency={
            "workers": workers,
            "lowest": engine.limit.lowest,
            "slowdowns": engine.limit.cuts,
        },
        stopped=engine.stopped,
    )
    if journal_error is not None:
        raise JournalError(
            f"{journal_error.message}; stopped sending. The outcomes so far are in the "
            "error's .result",
            result,
        )
    return result
