"""The dispatcher of a bulk apply: how many requests are in flight, and when to stop.

It knows nothing of what a change means (that is `sending.py`): it runs the jobs a `Work`
hands it on a thread pool, with at most `AdaptiveLimit.current` in flight. What it owns:
- **AIMD.** A 429 from the API or the token endpoint halves the concurrency (at most once per
  cool-down) and pauses dispatching for the retry delay; each success grows it back.
- **Ctrl-C.** The calling thread only dispatches and reports; Ctrl-C (or a progress callback
  answering False) stops dispatching, and requests in flight finish (`drain`): a second Ctrl-C
  does not abandon them.
- **A shared stop.** `halt(reason)` stops dispatching for a failure every later request would
  meet too (a failed key exchange, a journal that cannot be written).
- **Progress.** A tqdm bar or a caller's callback, at most every `interval` seconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from ..retry import RetryEvent, RetryListener

log = logging.getLogger("sinch_notebook.bulk")

ProgressCallback = Callable[[int, int, dict[str, int]], None]
ProgressArg = bool | ProgressCallback
Job = tuple[str | None, Callable[[], None]]  # (the change's key, or None; what to run)
DISPATCH_TICK = 0.2  # the dispatcher wakes at least this often


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


class Reporter:
    """A tqdm.auto bar, a caller's callback (at most every `interval` s), or nothing."""

    def __init__(self, progress: ProgressArg, total: int, desc: str, interval: float) -> None:
        self.total = total
        self.interval = interval
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


class Tally(NamedTuple):
    """Where a `Work` stands, for the progress counts."""

    ok: int
    failed: int
    parked: set[str]  # keys of creates waiting to be looked for
    unsent: int  # changes not yet sent (parked ones included)


class Work(Protocol):
    """What the dispatcher runs. Every method is called holding the dispatcher's `cond`."""

    def take(self, room: int) -> list[Job]:
        """At most `room` jobs that may start now."""
        ...

    def idle(self) -> bool:
        """Nothing is left to dispatch or to wait for."""
        ...

    def wake_in(self) -> list[float]:
        """Seconds until something waiting becomes due (empty: nothing waits on a clock)."""
        ...

    def tally(self) -> Tally:
        """Outcomes so far and what is still to send."""
        ...


class Dispatcher:
    """Runs a `Work`'s jobs with at most `limit.current` in flight; see the module docstring."""

    def __init__(
        self,
        workers: int,
        reporter: Reporter,
        listen: Callable[[RetryListener], Callable[[], None]],
    ) -> None:
        self.workers = workers
        self.reporter = reporter
        self.listen = listen
        self.limit = AdaptiveLimit(workers)
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.stopped: str | None = None  # why dispatching stopped early (besides Ctrl-C)
        self.interrupted = False
        self.active = 0
        self.pause_until = 0.0
        self.retrying: set[str] = set()
        self._local = threading.local()
        self._work: Work | None = None

    # -- calling thread ----------------------------------------------------------------------

    def run(self, work: Work) -> None:
        """Dispatch until `work` is idle or the apply stops, then let in-flight jobs finish."""
        self._work = work
        unsubscribe = self.listen(self._on_retry)
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sinch-apply")
        try:
            try:
                self.report()
                while True:
                    with self.cond:
                        self._dispatch(pool, work)
                        if self._finished(work):
                            break
                        self.cond.wait(self._wait_time(work))
                    self.report()
            except (KeyboardInterrupt, StopRequested):
                self.interrupt()
            self._drain(pool)
        finally:
            unsubscribe()

    def interrupt(self) -> None:
        self.interrupted = True
        self.stop.set()

    def guarded(self, step: Callable[[], None]) -> None:
        """Run `step`; a Ctrl-C in it stops the apply (as it would while dispatching)."""
        try:
            step()
        except (KeyboardInterrupt, StopRequested):
            self.interrupt()

    def shielded(self, step: Callable[[], None]) -> None:
        """Run `step` to its end even if Ctrl-C lands in it (it must be safe to repeat)."""
        while True:
            try:
                step()
                return
            except (KeyboardInterrupt, StopRequested):
                self.interrupt()

    def _dispatch(self, pool: ThreadPoolExecutor, work: Work) -> None:
        """Submit what may go now (called holding `cond`)."""
        if self.stop.is_set() or time.monotonic() < self.pause_until:
            return
        for key, job in work.take(self.limit.current - self.active):
            self.active += 1
            pool.submit(self._run_job, key, job)

    def _finished(self, work: Work) -> bool:
        if self.active > 0:
            return False
        return self.stop.is_set() or work.idle()

    def _wait_time(self, work: Work) -> float:
        waits = [DISPATCH_TICK, *work.wake_in()]
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

        self.shielded(wait)

    def counts(self) -> dict[str, int]:
        with self.cond:
            tally = self._work.tally() if self._work else Tally(0, 0, set(), 0)
            return {
                "ok": tally.ok,
                "failed": tally.failed,
                "retrying": len(self.retrying | tally.parked),
                "pending": tally.unsent + max(self.active, 0),
                "workers": self.limit.current,
            }

    def report(self, final: bool = False) -> None:
        counts = self.counts()
        self.reporter.update(counts["ok"] + counts["failed"], counts, final)

    # -- worker threads ----------------------------------------------------------------------

    def _run_job(self, key: str | None, job: Callable[[], None]) -> None:
        self._local.key = key
        self._local.retries = 0
        try:
            job()
        finally:
            self._local.key = None
            with self.cond:
                self.active -= 1
                if key is not None:
                    self.retrying.discard(key)
                self.cond.notify_all()

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

    def attempts(self, at_least: int = 0) -> int:
        """Attempts of the current job's request: 1 + the retries seen in this thread."""
        return max(1 + getattr(self._local, "retries", 0), at_least)

    def halt(self, reason: str) -> None:
        """A failure every later request would meet too: stop dispatching, saying why."""
        with self.cond:
            if self.stopped is None:
                self.stopped = reason
        self.stop.set()
