"""Edits of one subproject from many threads of one process never lose each other's labels.

The API takes the full set of labels, so `client.edit` reads, merges and writes; two edits that
read the same labels would each drop the other's. One lock per (API, project, subproject) in the
core serializes them: threads sharing a client, and separate clients of the process (the panel
and a cell), are all covered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

THREADS = 8
ROUNDS = 4


@pytest.fixture
def slow() -> Iterator[Sandbox]:
    """Each request takes a little while, so unserialized read-modify-writes would overlap."""
    with Sandbox(latency=0.02, retry_after=0) as sb:
        yield sb


def _run_together(work: list) -> None:
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job) -> None:
        start.wait()
        try:
            job()
        except BaseException as err:  # reported below, with the others
            errors.append(err)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_every_label_survives_concurrent_edits_through_one_client(
    slow: Sandbox, round_: int
) -> None:
    client = slow.connect(retry=FAST_RETRY, activate=False)
    sp = client.create(f"Shared {round_}", {"base": "1"})
    reports: list[sn.client.Edit] = []
    jobs = [
        lambda i=i: reports.append(client.edit(sp.id, set_labels={f"k{i}": str(i)}))
        for i in range(THREADS)
    ]
    _run_together(jobs)
    labels = client.get(sp.id).labels
    assert labels == {"base": "1", **{f"k{i}": str(i) for i in range(THREADS)}}
    assert all(report.changed for report in reports)


def test_separate_clients_of_the_process_are_serialized_too(slow: Sandbox) -> None:
    """The panel and a cell: two client objects of one connection, one subproject."""
    first = slow.connect(retry=FAST_RETRY, activate=False)
    second = slow.connect(retry=FAST_RETRY, activate=False)
    sp = first.create("Shared", {})
    jobs = [
        lambda i=i: (first if i % 2 else second).edit(sp.id, set_labels={f"k{i}": "v"})
        for i in range(THREADS)
    ]
    _run_together(jobs)
    assert first.get(sp.id).labels == {f"k{i}": "v" for i in range(THREADS)}


def test_edits_of_different_subprojects_do_not_wait_for_each_other(slow: Sandbox) -> None:
    """The lock is per subproject: one held does not block an edit of another."""
    from sinch_notebook.client import edit_lock

    client = slow.connect(retry=FAST_RETRY, activate=False)
    held, other = client.create("Held", {}), client.create("Other", {})
    with edit_lock(client, held.id):
        done = threading.Event()
        worker = threading.Thread(
            target=lambda: (client.edit(other.id, set_labels={"a": "b"}), done.set())
        )
        worker.start()
        assert done.wait(60), "an edit of another subproject waited for this lock"
        worker.join()
        blocked = threading.Event()
        waiting = threading.Thread(
            target=lambda: (client.edit(held.id, set_labels={"a": "b"}), blocked.set())
        )
        waiting.start()
        assert not blocked.wait(0.5)  # the same subproject waits for the lock
    waiting.join(60)
    assert blocked.is_set()
    assert client.get(held.id).labels == {"a": "b"}
