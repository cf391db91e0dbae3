"""Background jobs for the panel, and a small periodic timer; neither leaves threads behind.

Network calls (the key exchange, listing 10,000 subprojects, applying a plan) run in a worker
thread so the notebook stays usable while they run. Jobs run one at a time in submission order,
which keeps the forms' state simple (a save never races a refresh). The thread exits as soon as
the queue is empty, so an idle panel holds no thread; `wait()` lets tests and scripts join.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .common import describe_error, log
from .output import PanelLog

Job = tuple[str, Callable[..., Any], tuple[Any, ...]]


class Worker:
    """Runs jobs one at a time in a background thread (or inline when `threaded=False`)."""

    def __init__(
        self,
        panel_log: PanelLog,
        *,
        threaded: bool = True,
        on_busy: Callable[[str | None], None] | None = None,
    ) -> None:
        self.log = panel_log
        self.threaded = threaded
        self.on_busy = on_busy
        self._lock = threading.Lock()
        self._queue: deque[Job] = deque()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition(self._lock)
        self._running = 0

    def submit(self, label: str, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(*args)`; `label` says what it does ("Loading subprojects")."""
        job: Job = (label, fn, args)
        if not self.threaded:
            self._execute(job)
            return
        with self._lock:
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._drain, name="sinch-panel-worker", daemon=True
                )
                self._thread.start()

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Block until every queued job has finished; False if `timeout` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._queue or self._thread is not None:
                if threading.current_thread() is self._thread:
                    return False  # a job waiting for itself would never finish
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._queue) or self._thread is not None or self._running > 0

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._thread = None
                    self._idle.notify_all()
                    break
                job = self._queue.popleft()
            self._execute(job)
        self._report_busy(None)

    def _execute(self, job: Job) -> None:
        label, fn, args = job
        with self._lock:
            self._running += 1
        self._report_busy(label)
        try:
            fn(*args)
        except Exception as exc:  # the safety net: jobs report their own expected errors
            log.debug("panel job %r failed", label, exc_info=True)
            self.log.error(f"{label}: {describe_error(exc)}")
        finally:
            with self._lock:
                self._running -= 1
            if not self.threaded:
                self._report_busy(None)

    def _report_busy(self, label: str | None) -> None:
        if self.on_busy is None:
            return
        try:
            self.on_busy(label)
        except Exception:
            log.debug("busy indicator failed", exc_info=True)


class Ticker:
    """Calls `fn()` every `interval` seconds in one daemon thread, until `stop()`."""

    def __init__(self, interval: float, fn: Callable[[], None]) -> None:
        self.interval = interval
        self.fn = fn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._loop, args=(self._stop,), name="sinch-panel-ticker", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.fn()
            except Exception:
                log.debug("ticker callback failed", exc_info=True)


class Debouncer:
    """Runs `fn()` once for a burst of `request()`s: `delay` seconds after the last one, in one
    background thread (which exits when idle).

    Why: a text field with `continuous_update` sends every keystroke, and a kernel that was busy
    receives them back to back; filtering once per key would queue one filter per letter. A
    request made while `fn` runs is served by one more run after it (the latest wins).
    `flush()` runs a pending `fn` now, in the caller's thread; `cancel()` forgets it.
    """

    def __init__(self, fn: Callable[[], None], delay: float, *, threaded: bool = True) -> None:
        self.fn = fn
        self.delay = delay
        self.threaded = threaded
        self.runs = 0  # how many times fn ran (benchmarks count filters with it)
        self._lock = threading.Condition()
        self._due: float | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Lock()  # one fn at a time, whichever thread runs it

    def request(self) -> None:
        if not self.threaded:
            self._run()
            return
        with self._lock:
            self._due = time.monotonic() + self.delay
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="sinch-panel-debounce", daemon=True
                )
                self._thread.start()
            self._lock.notify_all()

    @property
    def pending(self) -> bool:
        with self._lock:
            return self._due is not None

    def cancel(self) -> None:
        with self._lock:
            self._due = None
            self._lock.notify_all()

    def flush(self) -> None:
        """Run a pending `fn` now (in this thread) instead of after the delay."""
        with self._lock:
            due, self._due = self._due, None
            self._lock.notify_all()
        if due is not None:
            self._run()

    def settle(self, timeout: float | None = 60.0, *, flush: bool = True) -> bool:
        """Flush (or, with `flush=False`, let the delay run out), then wait for the background
        run; False on timeout."""
        if flush:
            self.flush()
        with self._lock:
            return self._lock.wait_for(
                lambda: self._thread is None or self._thread is threading.current_thread(),
                timeout,
            )

    def _loop(self) -> None:
        while True:
            with self._lock:
                while self._due is not None and time.monotonic() < self._due:
                    self._lock.wait(self._due - time.monotonic())
                if self._due is None:
                    self._thread = None
                    self._lock.notify_all()
                    return
                self._due = None
            self._run()

    def _run(self) -> None:
        with self._running:
            self.runs += 1
            try:
                self.fn()
            except Exception:  # the safety net: fn reports its own expected errors
                log.debug("debounced job failed", exc_info=True)
