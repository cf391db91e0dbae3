"""Ctrl-C during apply: in-flight requests finish, the result so far comes back, the journal
is consistent with the server, and sn.resume() applies exactly what is left."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

import sinch_notebook as sn
import sinch_notebook.bulk.apply as apply_module
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.helpers import journal_in_tmp, journal_records  # noqa: F401 - fixture


@pytest.fixture
def slow() -> Iterator[Sandbox]:
    """Requests take a while, so an interrupt always finds some in flight."""
    with Sandbox(subprojects=40, seed=8, latency=0.08, retry_after=0) as sb:
        yield sb


pytestmark = pytest.mark.usefixtures("journal_in_tmp")


def platinum_plan(client: sn.SubprojectsClient) -> sn.Plan:
    df = client.frame()
    df["label.tier"] = "platinum"
    return client.plan(df)


def assert_consistent(sb: Sandbox, result: sn.ApplyResult) -> None:
    """Journal, result and server agree: ok <-> applied and journaled; skipped <-> neither."""
    lines = journal_records(result.journal_path)
    journaled = {r["key"]: r["status"] for r in lines if r["type"] == "outcome"}
    server = {r["subprojectId"]: r for r in sb.subprojects()}
    for outcome in result.outcomes:
        applied = server[outcome.change.subproject_id]["labels"].get("tier") == "platinum"
        if outcome.status == "ok":
            assert journaled[outcome.key] == "ok" and applied
        else:
            assert outcome.status == "skipped", outcome
            assert outcome.key not in journaled and not applied
    assert lines[-1]["type"] == "end" and lines[-1]["interrupted"] is True


def test_keyboard_interrupt_from_the_progress_callback(slow: Sandbox) -> None:
    client = slow.connect(retry=FAST_RETRY, activate=False)
    plan = platinum_plan(client)

    def stop_after_a_few(done, total, counts):
        if done >= 5:
            raise KeyboardInterrupt

    result = plan.apply(allow_mass_update=True, workers=4, progress=stop_after_a_few)
    assert result.interrupted and not result.ok
    assert result.counts["ok"] >= 5 and result.counts["skipped"] > 0
    assert result.counts["ok"] + result.counts["skipped"] == len(plan)
    assert "Interrupted" in str(result)
    assert "sn.resume(" in str(result)
    assert_consistent(slow, result)

    slow.reset_stats()
    resumed = sn.resume(result.journal_path, progress=False, client=client)
    assert resumed.ok and resumed.earlier_done == result.counts["ok"]
    assert {o.key for o in resumed.outcomes} == {
        o.key for o in result.outcomes if o.status == "skipped"
    }
    assert slow.stats["operations"]["update"] == result.counts["skipped"], "exactly the rest"
    live = [r for r in slow.subprojects() if not r["deleted"]]
    assert all(r["labels"]["tier"] == "platinum" for r in live)


def _interrupt_while_in_flight(
    sb: Sandbox, started: list[threading.Thread], times: int = 1
) -> None:
    """Hold the sandbox's requests, press Ctrl-C `times` times, then let the requests finish.

    Waiting until a request is held makes it certain that apply() is still draining when every
    signal lands, so no signal can arrive after it returned (which would abort the session).
    """
    sb.hold_requests()

    def fire() -> None:
        deadline = time.monotonic() + 10
        while sb.requests_held == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        for _ in range(times):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        sb.release_requests()

    thread = threading.Thread(target=fire)
    started.append(thread)  # before start: the signal may land in the caller at once
    thread.start()


@pytest.mark.parametrize("signals", [1, 3])
def test_real_sigint_to_the_main_thread(slow: Sandbox, signals: int) -> None:
    """One Ctrl-C stops cleanly; more Ctrl-Cs while draining do not abandon requests."""
    client = slow.connect(retry=FAST_RETRY, activate=False)
    plan = platinum_plan(client)
    started: list[threading.Thread] = []

    def arm(done, total, counts):
        if done >= 2 and not started:
            _interrupt_while_in_flight(slow, started, signals)

    try:
        result = plan.apply(allow_mass_update=True, workers=3, progress=arm)
        started[0].join()
    except KeyboardInterrupt:  # pragma: no cover - this is the failure being tested for
        pytest.fail("Ctrl-C escaped from apply()")
    assert result.interrupted
    assert 2 <= result.counts["ok"] < len(plan)
    assert result.counts["failed"] == 0, "in-flight requests finished normally"
    assert_consistent(slow, result)


def test_interrupt_with_a_tqdm_bar(slow: Sandbox, capsys) -> None:
    client = slow.connect(retry=FAST_RETRY, activate=False)
    plan = platinum_plan(client)
    started: list[threading.Thread] = []
    original = apply_module._Reporter.update

    def update(self, done, counts, final=False):
        original(self, done, counts, final)
        if done >= 2 and not started:
            _interrupt_while_in_flight(slow, started)

    apply_module._Reporter.update = update
    try:
        result = plan.apply(allow_mass_update=True, workers=2)  # the default tqdm bar
        started[0].join()
    finally:
        apply_module._Reporter.update = original
    assert result.interrupted
    assert "interrupted" in capsys.readouterr().err
    assert_consistent(slow, result)


def test_remaining_plan_covers_interrupted_changes(slow: Sandbox) -> None:
    client = slow.connect(retry=FAST_RETRY, activate=False)
    plan = platinum_plan(client)

    def stop(done, total, counts):
        if done >= 3:
            raise KeyboardInterrupt

    result = plan.apply(allow_mass_update=True, workers=2, progress=stop, journal=False)
    assert result.journal_path is None
    assert len(result.failed) == 0
    rest = result.remaining
    assert len(rest) == result.counts["skipped"] > 0
    assert "Its .remaining.apply() applies what is not done." in str(result)
    assert rest.apply(progress=False, journal=False, allow_mass_update=True).ok


def test_callback_returning_false_stops_like_ctrl_c(slow: Sandbox) -> None:
    """How a widget's Stop button stops an apply running in another thread."""
    client = slow.connect(retry=FAST_RETRY, activate=False)
    plan = platinum_plan(client)
    stop = threading.Event()
    some_done = threading.Event()
    results: list[sn.ApplyResult] = []

    def progress(done, total, counts):
        if done:
            some_done.set()
        return not stop.is_set()

    worker = threading.Thread(
        target=lambda: results.append(
            plan.apply(allow_mass_update=True, workers=2, progress=progress)
        )
    )
    worker.start()
    assert some_done.wait(timeout=30)  # a click once progress shows (no guess at timing)
    stop.set()  # the button's click handler
    worker.join(timeout=30)
    (result,) = results
    assert result.interrupted and 0 < result.counts["ok"] < len(plan)
    assert result.counts["skipped"] == len(plan) - result.counts["ok"]
    assert_consistent(slow, result)
