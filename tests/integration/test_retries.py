"""Retries with backoff, Retry-After, and creates that never duplicate."""

from __future__ import annotations

import threading
import time

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY


def test_reads_survive_error_and_throttle_rates() -> None:
    # one thread and a fixed fault seed: the same faults on every run
    with Sandbox(subprojects=250, seed=7, retry_after=0, fault_seed=3) as sb:
        client = sb.connect(activate=False, retry=FAST_RETRY)
        sb.error_rate, sb.throttle_rate = 0.2, 0.1
        for _ in range(5):
            assert len(client.list(show_deleted=True, page_size=50)) == 250
        codes = sb.stats["responses"]
    assert codes.get(429, 0) > 0 and sum(codes.get(c, 0) for c in (502, 503, 504)) > 0


def test_retry_after_is_honoured(client: sn.SubprojectsClient, sandbox: Sandbox) -> None:
    sandbox.inject(429, method="GET", retry_after=1)
    started = time.monotonic()
    client.list()
    assert time.monotonic() - started >= 1.0


def test_retry_after_longer_than_we_wait_raises_at_once(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=sn.RetryPolicy(max_retry_after=5))
    sandbox.inject(429, method="GET", retry_after=3600)
    started = time.monotonic()
    with pytest.raises(sn.RateLimited) as info:
        client.list()
    assert info.value.retry_after == 3600
    assert time.monotonic() - started < 1


def test_500_is_not_retried_for_reads(client, sandbox: Sandbox) -> None:
    sandbox.inject(500, method="GET", path_contains="/subprojects/")
    created = client.create("a")
    with pytest.raises(sn.ServerError):
        client.get(created.id)


def test_retries_give_up_after_the_policy(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=sn.RetryPolicy(retries=2, base=0.01))
    sandbox.inject(503, method="GET", times=10)
    with pytest.raises(sn.ServerError) as info:
        client.list()
    assert info.value.attempts == 3


@pytest.mark.parametrize(
    ("fault", "kwargs"),
    [
        ("reset after commit", {"reset": True}),
        ("504 after commit", {"status": 504, "commit": True}),
        ("502 before commit", {"status": 502}),
        ("500 before commit", {"status": 500}),
    ],
)
def test_create_with_unknown_outcome_never_duplicates(
    client, sandbox: Sandbox, fault, kwargs
) -> None:
    sandbox.inject(method="POST", **kwargs)
    created = client.create("Acme", labels={"tier": "gold"})
    on_server = sandbox.subprojects()
    assert [s["subprojectId"] for s in on_server] == [created.id], fault
    assert sandbox.stats["operations"]["create"] == (
        1 if kwargs.get("commit") or kwargs.get("reset") else 2
    )


def test_create_throttled_is_resent_without_a_lookup(client, sandbox: Sandbox) -> None:
    client.list()
    sandbox.reset_stats()
    sandbox.inject(429, method="POST", retry_after=0)
    client.create("throttled")
    assert sandbox.stats["operations"] == {"create": 2}
    assert len(sandbox.subprojects()) == 1


def test_create_reconcile_does_not_claim_an_older_twin(client, sandbox: Sandbox) -> None:
    older = client.create("Twin", labels={"a": "b"})
    sandbox.inject(502, method="POST")
    newer = client.create("Twin", labels={"a": "b"})
    assert newer.id != older.id
    assert len(sandbox.subprojects()) == 2


def test_create_outcome_unknown_when_lookup_fails(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=sn.RetryPolicy(retries=1, base=0.01))
    sandbox.inject(method="POST", reset=True)
    sandbox.inject(503, method="GET", times=5)
    with pytest.raises(sn.CreateOutcomeUnknown, match="may or may not have happened"):
        client.create("Limbo")
    assert len(sandbox.subprojects()) == 1  # it did happen; the caller was told it cannot know


def test_no_duplicates_under_reset_rate(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=FAST_RETRY)
    sandbox.reset_rate = 0.3
    made = [client.create(f"r{i}") for i in range(40)]
    on_server = sandbox.subprojects()
    assert sorted(s.id for s in made) == sorted(s["subprojectId"] for s in on_server)
    assert len(on_server) == 40
    assert sandbox.stats["resets"] > 0


def test_identical_concurrent_creates_each_happen_once(sandbox: Sandbox) -> None:
    client = sandbox.connect(activate=False, retry=FAST_RETRY)
    sandbox.reset_rate = 0.3
    results: list[sn.Subproject] = []
    lock = threading.Lock()

    def make() -> None:
        sp = client.create("Same", labels={"k": "v"})
        with lock:
            results.append(sp)

    threads = [threading.Thread(target=make) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({s.id for s in results}) == 10
    assert len(sandbox.subprojects()) == 10


def test_delete_retried_after_a_lost_response_succeeds(client, sandbox: Sandbox) -> None:
    sp = client.create("gone")
    sandbox.inject(method="DELETE", reset=True)
    client.delete(sp.id)
    assert client.get(sp.id).deleted


def test_delete_of_a_missing_id_still_fails(client) -> None:
    with pytest.raises(sn.NotFound):
        client.delete("01FC66621VHDBN119Z8PMXXXXX")


def test_update_retried_after_a_lost_response(client, sandbox: Sandbox) -> None:
    sp = client.create("u")
    sandbox.inject(method="PATCH", reset=True)
    sandbox.inject(503, method="PATCH")
    assert client.update(sp.id, labels={"x": "y"}).labels == {"x": "y"}
