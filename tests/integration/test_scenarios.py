"""The core issue's acceptance scenarios, at full size."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox

pytestmark = pytest.mark.slow


def test_500_creates_and_500_updates_exactly_once_under_faults() -> None:
    with Sandbox(
        error_rate=0.1, throttle_rate=0.05, reset_rate=0.02, retry_after=1, fault_seed=11
    ) as sb:
        client = sb.connect(activate=False, retry=sn.RetryPolicy(retries=10, base=0.05, cap=1))
        with ThreadPoolExecutor(16) as pool:
            created = list(
                pool.map(lambda i: client.create(f"item-{i}", {"n": str(i)}), range(500))
            )
            updated = list(
                pool.map(
                    lambda sp: client.update(sp.id, labels={"n": sp.labels["n"], "v": "2"}),
                    created,
                )
            )
        truth = sb.subprojects()
        stats = sb.stats
    assert len(truth) == 500, "no duplicates, none lost"
    assert sorted(r["displayName"] for r in truth) == sorted(f"item-{i}" for i in range(500))
    assert {r["subprojectId"] for r in truth} == {sp.id for sp in created}
    assert all(r["labels"] == {"n": r["displayName"][5:], "v": "2"} for r in truth)
    assert [u.id for u in updated] == [c.id for c in created]
    # the faults really happened
    assert stats["resets"] > 0 and stats["responses"].get(429, 0) > 0
    assert sum(stats["responses"].get(c, 0) for c in (502, 503, 504)) > 0


def test_short_lived_tokens_under_16_threads() -> None:
    ttl, duration = 3, 10.0
    with Sandbox(token_ttl=ttl) as sb:
        client = sb.connect(activate=False, verify=False)
        errors: list[Exception] = []
        calls = [0] * 16
        stop_at = time.monotonic() + duration

        def hammer(n: int) -> None:
            while time.monotonic() < stop_at:
                try:
                    client.list(page_size=1)
                    calls[n] += 1
                except Exception as exc:  # reported below
                    errors.append(exc)

        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = sb.stats
    assert errors == []
    assert min(calls) > 0
    # Tokens say expires_in = ttl - 1 (3599 for an hour, as live) and are renewed 10% early.
    assert stats["token_requests"] <= duration / ((ttl - 1) * 0.9) + 1
    assert 401 not in stats["responses"]
