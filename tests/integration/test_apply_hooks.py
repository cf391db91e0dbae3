"""The two small client hooks bulk apply builds on: retry listeners and find_created."""

from __future__ import annotations

from datetime import timedelta

import pytest

import sinch_notebook as sn
from sinch_notebook.client import RetryEvent
from sinch_notebook.sandbox import Sandbox


def test_retry_listener_hears_every_retry(sandbox: Sandbox, client) -> None:
    events: list[RetryEvent] = []
    unsubscribe = client.add_retry_listener(events.append)
    sandbox.inject(503, method="GET", times=2)
    sandbox.inject(429, method="GET", times=1, retry_after=0)
    client.list()
    assert [(e.method, e.status, e.attempt) for e in events] == [
        ("GET", 503, 1),
        ("GET", 503, 2),
        ("GET", 429, 3),
    ]
    assert all(e.delay >= 0 and "/subprojects" in e.path for e in events)
    unsubscribe()
    sandbox.inject(503, method="GET", times=1)
    client.list()
    assert len(events) == 3
    unsubscribe()  # twice is harmless


def test_retry_listener_hears_connection_failures_and_create_resends(
    sandbox: Sandbox, client
) -> None:
    events: list[RetryEvent] = []
    client.add_retry_listener(events.append)
    sandbox.inject(502, method="POST")  # outcome unknown: looked for, not there, sent again
    client.create("resent", {})
    assert [(e.method, e.status) for e in events] == [("POST", None)]
    assert "server error 502" in events[0].reason
    sandbox.inject(reset=True, method="GET")
    client.list()
    assert events[-1].method == "GET" and events[-1].status is None


def test_a_failing_listener_does_not_break_the_call(sandbox: Sandbox, client, caplog) -> None:
    def broken(event: RetryEvent) -> None:
        raise RuntimeError("boom")

    client.add_retry_listener(broken)
    sandbox.inject(503, method="GET")
    assert client.list() == []
    assert "retry listener failed" in caplog.text


def test_find_created_matches_name_labels_and_time(sandbox: Sandbox, client) -> None:
    since = client.server_now() - timedelta(seconds=2)
    made = client.create("Found", {"a": "1"})
    other = sn.SubprojectsClient(client.project_id, client.auth, endpoints=client.endpoints)
    # this client claimed `made` when it created it; a fresh one (a new process) has not
    assert client.find_created([("Found", {"a": "1"}, since)]) == [None]
    found = other.find_created(
        [
            ("Found", {"a": "1"}, since),
            ("Found", {"a": "1"}, since),  # only one exists: handed out once
            ("Found", {"a": "2"}, since),
            ("Missing", {}, since),
        ]
    )
    assert [sp.id if sp else None for sp in found] == [made.id, None, None, None]
    # claimed now: a second look does not hand it out again
    assert other.find_created([("Found", {"a": "1"}, since)]) == [None]
    third = sn.SubprojectsClient(client.project_id, client.auth, endpoints=client.endpoints)
    assert third.find_created([("Found", {"a": "1"}, since)], exclude={made.id}) == [None]
    later = client.server_now() + timedelta(seconds=5)
    assert third.find_created([("Found", {"a": "1"}, later)]) == [None]
    assert third.find_created([]) == []


def test_find_created_lists_once_and_sees_deleted(sandbox: Sandbox, client) -> None:
    since = client.server_now() - timedelta(seconds=2)
    made = client.create("Gone", {})
    client.delete(made.id)
    fresh = sn.SubprojectsClient(client.project_id, client.auth, endpoints=client.endpoints)
    sandbox.reset_stats()
    assert fresh.find_created([("Gone", {}, since)] * 3)[0].id == made.id
    assert sandbox.stats["operations"] == {"list": 1}


def test_find_created_validates_input(sandbox: Sandbox, client) -> None:
    sandbox.reset_stats()
    with pytest.raises(sn.ValidationError):
        client.find_created([("", {}, client.server_now())])
    assert sandbox.stats["requests"] == 0
