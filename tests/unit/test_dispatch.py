"""The bulk dispatcher alone: a Work of plain jobs, no server (what a change means is
`sending.py`, tested through real applies in test_apply.py)."""

from __future__ import annotations

import threading

from sinch_notebook.bulk.dispatch import Dispatcher, Job, Reporter, Tally


class Jobs:
    """`count` jobs that note how many run at once; job `stop_at` halts the dispatcher."""

    def __init__(self, dispatcher: Dispatcher, count: int, stop_at: int | None = None) -> None:
        self.dispatcher = dispatcher
        self.left = list(range(count))
        self.ran: list[int] = []
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.stop_at = stop_at

    def take(self, room: int) -> list[Job]:
        jobs: list[Job] = []
        while self.left and len(jobs) < room:
            n = self.left.pop(0)
            jobs.append((f"job:{n}", lambda n=n: self.run(n)))
        return jobs

    def run(self, n: int) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        if n == self.stop_at:  # halts before any job can finish, so none is dispatched after
            self.dispatcher.halt("job said stop")
            self.release.set()
        self.release.wait(5)
        with self.lock:
            self.running -= 1
            self.ran.append(n)

    def idle(self) -> bool:
        return not self.left

    def wake_in(self) -> list[float]:
        return []

    def tally(self) -> Tally:
        return Tally(len(self.ran), 0, set(), len(self.left))


def _dispatcher(workers: int, seen: list[dict[str, int]]) -> Dispatcher:
    def progress(done: int, total: int, counts: dict[str, int]) -> None:
        seen.append(counts)

    reporter = Reporter(progress, 20, "test", interval=0.0)
    return Dispatcher(workers, reporter, lambda listener: lambda: None)


def test_it_runs_every_job_with_at_most_the_limit_in_flight() -> None:
    seen: list[dict[str, int]] = []
    dispatcher = _dispatcher(4, seen)
    work = Jobs(dispatcher, 20)
    threading.Timer(0.3, work.release.set).start()
    dispatcher.run(work)
    assert sorted(work.ran) == list(range(20))
    assert work.most == 4
    assert dispatcher.active == 0 and not dispatcher.interrupted
    assert seen[0]["pending"] == 20 and seen[0]["workers"] == 4


def test_halt_stops_dispatching_and_lets_jobs_in_flight_finish() -> None:
    dispatcher = _dispatcher(2, [])
    work = Jobs(dispatcher, 20, stop_at=0)
    dispatcher.run(work)
    assert dispatcher.stopped == "job said stop"
    assert sorted(work.ran) == [0, 1]  # the two in flight finish; nothing more is sent
    assert dispatcher.active == 0


def test_a_progress_callback_answering_false_stops_as_ctrl_c_would() -> None:
    reporter = Reporter(lambda done, total, counts: False, 20, "test", interval=0.0)
    dispatcher = Dispatcher(2, reporter, lambda listener: lambda: None)
    work = Jobs(dispatcher, 20)
    work.release.set()
    dispatcher.run(work)
    assert dispatcher.interrupted and dispatcher.stop.is_set()
    assert len(work.ran) < 20
