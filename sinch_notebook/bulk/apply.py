"""Applying a plan: concurrent requests, adaptive concurrency, progress, journal, Ctrl-C.

The calling thread only dispatches and reports; worker threads send, journal each outcome the
moment it is known, and record it. So whatever point Ctrl-C (KeyboardInterrupt) hits the
calling thread at, dispatching stops, in-flight requests finish and are journaled, and the
result so far is returned.

Adaptive concurrency (AIMD, as TCP does): a 429 halves the number of requests in flight (at most
once per cool-down, so one burst counts once); each success adds 1/limit, so the limit grows back
by one per "window" of successes, up to `workers`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CreateOutcomeUnknown, NotFound, SinchError, ValidationError
from ..models import format_time, parse_time
from .errors import MASS_DELETE_THRESHOLD, JournalError, MassDeleteRefused
from .journal import JournalWriter, default_journal_path
from .plan import Change, Plan
from .result import ApplyResult, Outcome

if TYPE_CHECKING:
    from ..client import RetryEvent, SubprojectsClient

log = logging.getLogger("sinch_notebook.bulk")

ProgressCallback = Callable[[int, int, dict[str, int]], None]
ProgressArg = bool | ProgressCallback
MAX_WORKERS = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PROGRESS_INTERVAL = 0.1  # seconds between progress callbacks (the first and last always come)


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


class _Engine:
    """Sends `changes` with at most `limit.current` in flight; see the module docstring."""

    def __init__(
        self,
        client: SubprojectsClient,
        changes: Sequence[Change],
        workers: int,
        writer: JournalWriter | None,
        reporter: _Reporter,
        done_before: dict[str, Outcome],
    ) -> None:
        self.client = client
        self.changes = list(changes)
        self.workers = workers
        self.writer = writer
        self.reporter = reporter
        self.limit = AdaptiveLimit(workers)
        self.outcomes: dict[str, Outcome] = dict(done_before)
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.active = 0
        self.ok = sum(1 for o in self.outcomes.values() if o.status == "ok")
        self.failed = len(self.outcomes) - self.ok
        self.retrying: set[str] = set()
        self.interrupted = False
        self.journal_error: JournalError | None = None
        self._local = threading.local()

    # -- calling thread ----------------------------------------------------------------------

    def run(self) -> None:
        unsubscribe = self.client.add_retry_listener(self._on_retry)
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sinch-apply")
        pending = deque(self.changes)
        try:
            try:
                self._report(len(pending))
                while True:
                    with self.cond:
                        while (
                            pending and self.active < self.limit.current and not self.stop.is_set()
                        ):
                            pool.submit(self._work, pending[0])
                            pending.popleft()
                            self.active += 1
                        if self.active <= 0 and (not pending or self.stop.is_set()):
                            break
                        self.cond.wait(0.2)
                    self._report(len(pending))
            except (KeyboardInterrupt, StopRequested):
                self.interrupted = True
                self.stop.set()
            self._drain(pool, pending)
        finally:
            unsubscribe()

    def _drain(self, pool: ThreadPoolExecutor, pending: deque) -> None:
        """Let in-flight requests finish (a second Ctrl-C does not abandon them)."""
        while True:
            try:
                with self.cond:
                    while self.active > 0:
                        self.cond.wait(0.2)
                pool.shutdown(wait=True)
                self._report(0 if self.stop.is_set() else len(pending), final=True)
                return
            except (KeyboardInterrupt, StopRequested):
                self.interrupted = True
                self.stop.set()

    def counts(self, pending: int) -> dict[str, int]:
        with self.cond:
            return {
                "ok": self.ok,
                "failed": self.failed,
                "retrying": len(self.retrying),
                "pending": pending + max(self.active, 0),
                "workers": self.limit.current,
            }

    def _report(self, pending: int, final: bool = False) -> None:
        counts = self.counts(pending)
        self.reporter.update(counts["ok"] + counts["failed"], counts, final)

    # -- worker threads ----------------------------------------------------------------------

    def _on_retry(self, event: RetryEvent) -> None:
        if event.status == 429 and self.limit.throttled():
            log.debug("429: concurrency lowered to %d", self.limit.current)
        key = getattr(self._local, "key", None)
        if key is None:
            return
        self._local.retries += 1
        with self.cond:
            self.retrying.add(key)
            self.cond.notify_all()  # so the live "retrying" count shows now

    def _work(self, change: Change) -> None:
        outcome: Outcome | None = None
        try:
            if self.stop.is_set():
                return
            self._local.key = change.key
            self._local.retries = 0
            since = None
            if change.op == "create":
                since = format_time(self.client.server_now() - timedelta(seconds=2))
                if not self._journal(lambda w: w.started(change, since)):
                    return  # not sent: without a journal line it could not be resumed safely
            outcome = self._execute(change, since)
            self._journal(lambda w: w.outcome(outcome))
        finally:
            self._local.key = None
            with self.cond:
                self.active -= 1
                self.retrying.discard(change.key)
                if outcome is not None:
                    self.outcomes[change.key] = outcome
                    if outcome.status == "ok":
                        self.ok += 1
                        self.limit.succeeded()
                    else:
                        self.failed += 1
                self.cond.notify_all()

    def _journal(self, write: Callable[[JournalWriter], None]) -> bool:
        if self.writer is None:
            return True
        try:
            write(self.writer)
            return True
        except JournalError as err:
            with self.cond:
                if self.journal_error is None:
                    self.journal_error = err
            self.stop.set()
            return False

    def _attempts(self, err: SinchError | None = None) -> int:
        seen = 1 + getattr(self._local, "retries", 0)
        return max(seen, err.attempts if err is not None else 0)

    def _execute(self, change: Change, since: str | None) -> Outcome:
        client = self.client
        try:
            if change.op == "create":
                try:
                    sp = client.create(change.send_name or "", change.send_labels or {})
                except CreateOutcomeUnknown as err:
                    return Outcome(
                        change,
                        "failed",
                        error=str(err),
                        attempts=self._attempts(err),
                        unknown=True,
                        since=since,
                    )
                return Outcome(
                    change,
                    "ok",
                    attempts=self._attempts(),
                    subproject_id=sp.subproject_id,
                    update_time=format_time(sp.update_time),
                )
            sid = change.subproject_id or ""
            if change.op == "update":
                sp = client.update(sid, display_name=change.send_name, labels=change.send_labels)
                return Outcome(
                    change,
                    "ok",
                    attempts=self._attempts(),
                    subproject_id=sid,
                    update_time=format_time(sp.update_time),
                )
            note = None
            try:
                client.delete(sid)
            except NotFound:
                if not _is_deleted(client, sid):
                    raise
                note = "was already deleted"
            return Outcome(change, "ok", attempts=self._attempts(), subproject_id=sid, note=note)
        except SinchError as err:
            return Outcome(
                change,
                "failed",
                http_status=err.http_status,
                error=str(err),
                attempts=self._attempts(err),
                subproject_id=change.subproject_id,
            )
        except Exception as err:  # a bug must not abandon the other changes; report it
            log.exception("unexpected error applying %s", change.key)
            return Outcome(
                change,
                "failed",
                error=f"{type(err).__name__}: {err}",
                attempts=self._attempts(),
                subproject_id=change.subproject_id,
                unknown=change.op == "create",
                since=since,
            )


def _is_deleted(client: SubprojectsClient, sid: str) -> bool:
    try:
        return client.get(sid).deleted
    except SinchError:
        return False


def _reconcile(
    client: SubprojectsClient,
    changes: list[Change],
    writer: JournalWriter | None,
    exclude: Collection[str],
) -> tuple[list[Change], list[Outcome]]:
    """Look (with one listing) for creates that an earlier attempt may have made."""
    checks = [c for c in changes if c.op == "create" and c.reconcile_since]
    if not checks:
        return changes, []
    # an unreadable time (a hand-edited journal) looks at every subproject: safe, if slower
    wanted = [
        (c.send_name or "", c.send_labels or {}, parse_time(c.reconcile_since) or _EPOCH)
        for c in checks
    ]
    outcomes: list[Outcome] = []
    try:
        found = client.find_created(wanted, exclude=exclude)
    except SinchError as err:
        for change in checks:
            outcomes.append(
                Outcome(
                    change,
                    "failed",
                    http_status=err.http_status,
                    error=f"not sent: could not check whether an earlier try created it ({err})",
                    unknown=True,
                    since=change.reconcile_since,
                )
            )
        found = []
    for change, sp in zip(checks, found, strict=False):
        if sp is None:
            continue
        outcomes.append(
            Outcome(
                change,
                "ok",
                subproject_id=sp.subproject_id,
                update_time=format_time(sp.update_time),
                note="found on the server: an earlier attempt had created it",
            )
        )
    settled = {o.key for o in outcomes}
    for outcome in outcomes:
        if writer is not None:
            writer.outcome(outcome)
    return [c for c in changes if c.key not in settled], outcomes


def _check_args(workers: Any, progress: Any, allow_mass_delete: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ValidationError("workers", f"must be an integer from 1 to {MAX_WORKERS}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValidationError("workers", f"must be from 1 to {MAX_WORKERS}, got {workers}")
    if not (isinstance(progress, bool) or callable(progress)):
        raise ValidationError("progress", "must be True, False or a callable(done, total, counts)")
    if not isinstance(allow_mass_delete, bool):
        raise ValidationError("allow_mass_delete", "must be True or False")


def _open_journal(journal: Any) -> JournalWriter | None:
    if journal is False:
        return None
    if isinstance(journal, JournalWriter):
        return journal
    if journal is None or journal is True:
        return JournalWriter(default_journal_path())
    if isinstance(journal, (str, Path)):
        return JournalWriter(journal)
    raise ValidationError("journal", "must be None (default path), a path, or False (none)")


def apply_plan(
    plan: Plan,
    *,
    workers: int = 8,
    progress: ProgressArg = True,
    journal: Any = None,
    allow_mass_delete: bool = False,
    earlier_done: int = 0,
    exclude_ids: Collection[str] = (),
) -> ApplyResult:
    """See `Plan.apply`. Every check happens before the first request."""
    _check_args(workers, progress, allow_mass_delete)
    client = plan.client
    if client is None:
        raise SinchError("this plan has no connection to apply it with")
    if plan.deletes > MASS_DELETE_THRESHOLD and not allow_mass_delete:
        raise MassDeleteRefused(plan.deletes)
    resumed = isinstance(journal, JournalWriter)
    writer = _open_journal(journal) if plan.changes else None
    try:
        plan._mark_applied()
    except SinchError:
        if writer is not None and not resumed:
            writer.close()
            writer.path.unlink(missing_ok=True)
        raise
    conflicts = [Outcome(c, "conflict", error=c.conflict) for c in plan.conflicts]
    if not plan.changes:
        return ApplyResult(plan, conflicts, invalid=plan.invalid, earlier_done=earlier_done)
    started = time.monotonic()
    done: dict[str, Outcome] = {}
    concurrency = {"workers": workers, "lowest": workers, "slowdowns": 0}
    interrupted = False
    journal_error: JournalError | None = None
    try:
        if writer is not None and resumed:
            writer.note("resume", pending=len(plan.changes), done_before=earlier_done)
        elif writer is not None:
            writer.plan(plan, allow_mass_delete=allow_mass_delete)
        try:
            to_send, settled = _reconcile(client, plan.changes, writer, exclude_ids)
        except KeyboardInterrupt:
            interrupted = True
        else:
            done.update((o.key, o) for o in settled)
            reporter = _Reporter(progress, len(plan.changes), "apply")
            engine = _Engine(client, to_send, workers, writer, reporter, done)
            try:
                engine.run()
            finally:
                done = engine.outcomes
                interrupted = engine.interrupted
                journal_error = engine.journal_error
                concurrency = {
                    "workers": workers,
                    "lowest": engine.limit.lowest,
                    "slowdowns": engine.limit.cuts,
                }
                reporter.close(interrupted)
    finally:
        why = "the journal could not be written" if journal_error else "interrupted"
        outcomes = [
            done.get(c.key) or Outcome(c, "skipped", error=f"not sent: {why}") for c in plan.changes
        ]
        if writer is not None:
            counts: dict[str, int] = {}
            for outcome in outcomes:
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
            with contextlib.suppress(JournalError):
                writer.note("end", interrupted=interrupted, counts=counts)
            writer.close()
    result = ApplyResult(
        plan,
        outcomes + conflicts,
        invalid=plan.invalid,
        journal_path=writer.path if writer is not None else None,
        interrupted=interrupted,
        elapsed=time.monotonic() - started,
        earlier_done=earlier_done,
        concurrency=concurrency,
    )
    if journal_error is not None:
        raise JournalError(
            f"{journal_error.message}; stopped sending. The outcomes so far are in the "
            "error's .result",
            result,
        )
    return result
