"""The activity log, the background worker and the timer: thread-safe, ordered, no leftovers."""

from __future__ import annotations

import threading

import pandas as pd

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import PanelLog, Ticker, Worker

from .conftest import PanelFactory
from .helpers import connect_panel


def test_log_appends_from_many_threads_lose_nothing() -> None:
    log = PanelLog()
    barrier = threading.Barrier(8)

    def spam(n: int) -> None:
        barrier.wait()
        for i in range(60):
            (log.info if i % 2 else log.error)(f"thread {n} message {i}")

    threads = [threading.Thread(target=spam, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log.widget.outputs) == 480
    text = log.text()
    for n in range(8):
        for i in range(60):
            assert f"thread {n} message {i}\n" in text
    names = {entry["name"] for entry in log.widget.outputs}
    assert names == {"stdout", "stderr"}


def test_the_newest_entry_is_on_top_so_it_is_always_in_view() -> None:
    log = PanelLog()
    log.error("an old failure")
    for n in range(30):
        log.info(f"action {n}")
    assert "action 29" in log.widget.outputs[0]["text"]  # the top of the scrolled box
    assert log.newest().endswith("action 29")
    assert log.text().index("an old failure") < log.text().index("action 29")  # text: in order


def test_the_log_keeps_the_last_entries() -> None:
    from sinch_notebook.widgets.output import MAX_ENTRIES

    log = PanelLog()
    for n in range(MAX_ENTRIES + 10):
        log.info(f"entry {n}")
    assert len(log.widget.outputs) == MAX_ENTRIES
    assert log.newest().endswith(f"entry {MAX_ENTRIES + 9}")


def test_log_shows_rich_objects_and_clears() -> None:
    log = PanelLog()
    log.display(pd.DataFrame({"a": [1, 2]}))
    entry = log.widget.outputs[0]
    assert entry["output_type"] == "display_data"
    assert "text/html" in entry["data"] and "text/plain" in entry["data"]
    log.clear()
    assert log.widget.outputs == ()


def test_worker_runs_jobs_in_order_and_leaves_no_thread() -> None:
    log = PanelLog()
    seen: list[str | None] = []
    worker = Worker(log, on_busy=seen.append)
    order: list[int] = []
    for n in range(20):
        worker.submit(f"job {n}", order.append, n)
    assert worker.wait(10)
    assert order == list(range(20))
    assert not worker.busy
    assert not [t for t in threading.enumerate() if t.name == "sinch-panel-worker"]
    assert seen[-1] is None and "job 0" in seen


def test_worker_jobs_may_queue_more_jobs_and_wait_covers_them() -> None:
    worker = Worker(PanelLog())
    done: list[str] = []

    def first() -> None:
        worker.submit("second", done.append, "second")
        done.append("first")

    worker.submit("first", first)
    assert worker.wait(10)
    assert done == ["first", "second"]


def test_a_failing_job_is_logged_and_the_worker_goes_on() -> None:
    log = PanelLog()
    worker = Worker(log)
    after: list[int] = []

    def boom() -> None:
        raise RuntimeError("kaput")

    worker.submit("Exploding", boom)
    worker.submit("After", after.append, 1)
    assert worker.wait(10)
    assert after == [1]
    assert "Exploding: unexpected RuntimeError: kaput" in log.text()
    assert "Traceback" not in log.text()


def test_wait_times_out_while_a_job_runs() -> None:
    worker = Worker(PanelLog())
    gate = threading.Event()
    worker.submit("blocked", gate.wait, 10)
    assert worker.wait(0.05) is False
    assert worker.busy
    gate.set()
    assert worker.wait(10)


def test_synchronous_mode_runs_inline() -> None:
    worker = Worker(PanelLog(), threaded=False)
    caller: list[threading.Thread] = []
    worker.submit("inline", lambda: caller.append(threading.current_thread()))
    assert caller == [threading.current_thread()]
    assert worker.wait(0)


def test_ticker_ticks_and_stops() -> None:
    ticks = threading.Semaphore(0)
    ticker = Ticker(0.01, ticks.release)
    ticker.start()
    ticker.start()  # idempotent: still one thread
    assert len([t for t in threading.enumerate() if t.name == "sinch-panel-ticker"]) == 1
    assert ticks.acquire(timeout=5) and ticks.acquire(timeout=5)
    ticker.stop()
    assert not ticker.running
    assert not [t for t in threading.enumerate() if t.name == "sinch-panel-ticker"]


def test_a_synchronous_panel_connects_inline(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel(threaded=False)
    connect_panel(panel, secret_sandbox)
    assert "token valid for" in panel.connect_form.status.value
    assert len(panel.browser.rows) == 60
