"""Late commits: changes the sandbox makes some seconds after it answered for them.

A gateway that times out answers 504 (or the connection drops) while the backend goes on and
commits the request later. One daemon thread per sandbox runs these commits in time order; a
client that looks at once finds nothing, one that looks after the delay finds the change.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("sinch_notebook.sandbox")


class CommitScheduler:
    """Runs `commit()` callables at their due time, on one thread started on first use."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._running = 0  # commits taken off the queue and not yet finished
        self._thread: threading.Thread | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"CommitScheduler(pending={self.pending})"

    @property
    def pending(self) -> int:
        """Late commits scheduled and not yet made."""
        with self._cond:
            return len(self._queue) + self._running

    def open(self) -> None:
        """Accept late commits again (a sandbox started after a stop)."""
        with self._cond:
            self._closed = False

    def schedule(self, delay: float, commit: Callable[[], object]) -> None:
        with self._cond:
            if self._closed:
                self._run(commit)
                return
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), commit))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="sinch-sandbox-commits", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every scheduled commit has been made; False if `timeout` ran out."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._queue or self._running), timeout)

    def close(self) -> None:
        """Make every pending commit now (the backend finishes what it accepted) and stop."""
        with self._cond:
            self._closed = True
            due, self._queue = [entry[2] for entry in sorted(self._queue)], []
            self._running += len(due)
            self._cond.notify_all()
            thread = self._thread
        for commit in due:
            self._run(commit)
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=5)
        with self._cond:
            self._thread = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                _, _, commit = heapq.heappop(self._queue)
                self._running += 1
            self._run(commit)
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    @staticmethod
    def _run(commit: Callable[[], object]) -> None:
        try:
            commit()
        except Exception:  # e.g. the subproject was deleted in between: nothing to commit
            log.debug("a late commit did not apply", exc_info=True)
