"""The fault model real gateways produce, over real HTTP with plain requests and sockets.

No test here asserts a duration: a late commit is checked by what the store holds before and
after (`commits_pending`, `wait_commits`), a slow answer by a client's read timeout firing.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from sinch_notebook.sandbox import Sandbox
from tests.sandbox_http import LIST, api, create, token

LATER = 600.0  # a commit delay no test waits for: only stop() or wait_commits makes it


@pytest.fixture
def bearer(sandbox: Sandbox) -> str:
    return token(sandbox)


def names(sb: Sandbox) -> list[str]:
    return [s["displayName"] for s in sb.subprojects()]


# -- late commits ----------------------------------------------------------------------------------


def test_a_late_commit_answers_504_and_commits_afterwards(sandbox: Sandbox, bearer: str) -> None:
    sandbox.inject(504, method="POST", commit_after=LATER)
    response = api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "late"})
    assert response.status_code == 504
    assert response.json()["error"]["status"] == "DEADLINE_EXCEEDED"
    assert names(sandbox) == [] and sandbox.commits_pending == 1
    listed = api(sandbox, "GET", LIST, bearer=bearer, params={"showDeleted": "true"}).json()
    assert listed["subprojects"] == [], "a client that looks at once finds nothing"
    assert sandbox.stats["late_commits"] == 1
    sandbox.stop()  # the backend finishes what it accepted
    assert names(sandbox) == ["late"] and sandbox.commits_pending == 0


def test_a_late_commit_is_found_after_the_delay(sandbox: Sandbox, bearer: str) -> None:
    sandbox.inject(504, method="POST", commit_after=0.3)
    answered = time.time()
    assert api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "x"}).status_code == 504
    assert sandbox.wait_commits(timeout=30)
    [found] = api(sandbox, "GET", LIST, bearer=bearer).json()["subprojects"]
    assert found["displayName"] == "x"
    assert found["createTime"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(answered - 1))


def test_a_late_commit_can_drop_the_connection(sandbox: Sandbox, bearer: str) -> None:
    sandbox.inject(reset=True, method="POST", commit_after=LATER)
    with pytest.raises(requests.ConnectionError):
        api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "ghost"})
    assert names(sandbox) == [] and sandbox.commits_pending == 1
    assert sandbox.stats["resets"] == 1
    assert sandbox.wait_commits(timeout=0.05) is False  # still waiting: the timeout is honoured
    sandbox.stop()
    assert names(sandbox) == ["ghost"]


def test_late_updates_and_deletes(sandbox: Sandbox, bearer: str) -> None:
    path = f"/v1/subprojects/{create(sandbox, bearer, 'A')['subprojectId']}"
    sandbox.inject(504, method="PATCH", commit_after=0.2)
    sandbox.inject(504, method="DELETE", commit_after=0.4)
    assert api(sandbox, "PATCH", path, bearer=bearer, json={"displayName": "B"}).status_code == 504
    assert api(sandbox, "DELETE", path, bearer=bearer).status_code == 504
    assert api(sandbox, "GET", path, bearer=bearer).json()["displayName"] == "A"
    assert sandbox.wait_commits(timeout=30)
    after = api(sandbox, "GET", path, bearer=bearer).json()
    assert (after["displayName"], after["deleted"]) == ("B", True)


def test_an_invalid_request_is_refused_at_once_not_committed_late(
    sandbox: Sandbox, bearer: str
) -> None:
    sandbox.inject(504, method="POST", commit_after=0.1)
    response = api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": ""})
    assert response.status_code == 400
    assert sandbox.commits_pending == 0 and sandbox.stats["late_commits"] == 0


def test_random_late_commits_hit_mutations_only() -> None:
    with Sandbox(late_commit_rate=1.0, commit_delay=0.1, fault_seed=3) as sb:
        bearer = token(sb)
        outcomes = []
        for i in range(8):
            try:
                outcomes.append(
                    api(sb, "POST", LIST, bearer=bearer, json={"displayName": f"n{i}"}).status_code
                )
            except requests.ConnectionError:
                outcomes.append("reset")
        assert api(sb, "GET", LIST, bearer=bearer).status_code == 200
        assert sb.wait_commits(timeout=30)
        assert sorted(names(sb)) == [f"n{i}" for i in range(8)]
        stats = sb.stats
    assert set(outcomes) == {504, "reset"}
    assert stats["late_commits"] == 8


# -- slow answers ----------------------------------------------------------------------------------


def test_a_slow_answer_commits_first_and_answers_after_the_read_timeout(
    sandbox: Sandbox, bearer: str
) -> None:
    sandbox.inject(method="POST", commit=True, delay=30)
    with pytest.raises(requests.ReadTimeout):
        api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "slow"}, timeout=(5, 1))
    assert names(sandbox) == ["slow"]


def test_a_delay_without_commit_makes_the_change_when_it_answers(
    sandbox: Sandbox, bearer: str
) -> None:
    sandbox.inject(method="POST", delay=2)
    with pytest.raises(requests.ReadTimeout):
        api(sandbox, "POST", LIST, bearer=bearer, json={"displayName": "then"}, timeout=(5, 0.2))
    assert names(sandbox) == []
    deadline = time.monotonic() + 30
    while not names(sandbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert names(sandbox) == ["then"]


def test_random_slow_answers_and_stop_does_not_wait_for_them() -> None:
    sb = Sandbox(slow_rate=1.0, slow_seconds=LATER).start()
    bearer = token(sb)
    with pytest.raises(requests.ReadTimeout):
        api(sb, "POST", LIST, bearer=bearer, json={"displayName": "s"}, timeout=(5, 0.5))
    assert names(sb) == ["s"]
    stopper = threading.Thread(target=sb.stop)
    stopper.start()
    stopper.join(timeout=30)
    assert not stopper.is_alive()


# -- odd 200s, trickles, resets --------------------------------------------------------------------


def test_odd_answers_are_200s_that_are_not_the_resource() -> None:
    with Sandbox(odd_rate=1.0, fault_seed=1) as sb:
        bearer = token(sb)
        answers = [
            api(sb, "POST", LIST, bearer=bearer, json={"displayName": f"o{i}"}) for i in range(12)
        ]
        stats = sb.stats
        assert sorted(names(sb)) == sorted(f"o{i}" for i in range(12)), "committed first"
    assert {r.status_code for r in answers} == {200}
    bodies = {r.text for r in answers}
    assert len(bodies) >= 3
    for response in answers:
        if response.headers["Content-Type"].startswith("text/html"):
            assert response.text.startswith("<!DOCTYPE html>")
            continue
        body = json.loads(response.text) if response.text else None
        assert not (isinstance(body, dict) and "subprojectId" in body)
    assert stats["odd_answers"] == 12


def raw_exchange(sb: Sandbox, request: bytes) -> tuple[bytes, list[bytes]]:
    """The response head, and the body as the recv() calls delivered it."""
    with socket.create_connection(("127.0.0.1", sb.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        length = int(fields[b"Content-Length"])
        chunks = [rest] if rest else []
        while sum(map(len, chunks)) < length:
            chunks.append(sock.recv(65536))
        return head, chunks


def test_a_trickling_body_arrives_byte_by_byte(sandbox: Sandbox, bearer: str) -> None:
    sandbox.inject(method="GET", trickle=0.02)
    request = f"GET {LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {bearer}\r\n\r\n"
    head, chunks = raw_exchange(sandbox, request.encode())
    assert head.startswith(b"HTTP/1.1 200")
    body = b"".join(chunks)
    assert json.loads(body) == {"subprojects": [], "nextPageToken": ""}
    assert len(chunks) > len(body) // 3  # most bytes came alone


def test_a_reset_is_a_tcp_rst_with_no_answer(sandbox: Sandbox, bearer: str) -> None:
    sandbox.inject(reset=True, method="GET")
    request = f"GET {LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {bearer}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(request.encode())
        with pytest.raises(ConnectionResetError):
            while sock.recv(65536):
                pass
    assert sandbox.stats["resets"] == 1


# -- paging faults ---------------------------------------------------------------------------------


def test_repeat_token_never_advances(sandbox: Sandbox, bearer: str) -> None:
    for i in range(3):
        create(sandbox, bearer, f"n{i}")
    sandbox.inject(method="GET", path_contains="/subprojects", page="repeat-token", times=3)
    first = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": 1}).json()
    fixed = first["nextPageToken"]
    assert fixed and [s["displayName"] for s in first["subprojects"]] == ["n0"]
    for _ in range(2):
        again = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": 1, "pageToken": fixed})
        assert again.json()["nextPageToken"] == fixed
        assert [s["displayName"] for s in again.json()["subprojects"]] == ["n0"]
    # fault used up: the token is genuine and pages on normally
    normal = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": 1, "pageToken": fixed})
    assert normal.status_code == 200 and normal.json()["nextPageToken"] not in ("", fixed)


def test_empty_page_with_a_token_to_the_real_items(sandbox: Sandbox, bearer: str) -> None:
    for i in range(3):
        create(sandbox, bearer, f"n{i}")
    sandbox.inject(method="GET", path_contains="/subprojects", page="empty-with-token")
    empty = api(sandbox, "GET", LIST, bearer=bearer, params={"pageSize": 2}).json()
    assert empty["subprojects"] == [] and empty["nextPageToken"]
    seen, params = [], {"pageSize": 2, "pageToken": empty["nextPageToken"]}
    while True:
        body = api(sandbox, "GET", LIST, bearer=bearer, params=params).json()
        seen += [s["displayName"] for s in body["subprojects"]]
        if not body["nextPageToken"]:
            break
        params["pageToken"] = body["nextPageToken"]
    assert seen == ["n0", "n1", "n2"]


def test_an_unknown_page_fault_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="page must be one of"):
        sandbox.inject(page="shuffle")


# -- the older knobs keep their meaning ------------------------------------------------------------


def test_error_rate_504_is_committed_and_502_503_are_not() -> None:
    with Sandbox(error_rate=1.0, fault_seed=5) as sb:
        bearer = token(sb)
        codes = [
            api(sb, "POST", LIST, bearer=bearer, json={"displayName": f"e{i}"}).status_code
            for i in range(30)
        ]
        made = len(sb.subprojects())
    assert set(codes) == {502, 503, 504}
    assert made == codes.count(504)


def test_server_errors_are_terse_and_named_as_the_api_family_does(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    for status, name in [
        (500, "INTERNAL"),
        (502, "UNAVAILABLE"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
    ]:
        sandbox.inject(status, method="GET")
        body = api(sandbox, "GET", LIST, bearer=bearer).json()
        assert body == {"error": {"code": status, "message": "", "status": name, "details": []}}


def test_token_storm_is_part_of_the_chaos() -> None:
    with Sandbox(token_burst=1, token_rate=0.2) as sb:
        statuses = [
            requests.post(
                sb.token_url, data={"grant_type": "client_credentials"}, auth=(sb.key_id, "x")
            ).status_code
            for _ in range(3)
        ]
    assert statuses[0] == 401 and statuses[1:] == [429, 429]


def test_all_the_chaos_at_once_is_what_the_stats_say() -> None:
    """Every random knob together, as a scenario test would set them, seen by a plain client."""
    with Sandbox(
        error_rate=0.1,
        throttle_rate=0.1,
        reset_rate=0.05,
        late_commit_rate=0.15,
        commit_delay=0.05,
        slow_rate=0.05,
        slow_seconds=0.05,
        odd_rate=0.1,
        retry_after=0,
        fault_seed=42,
    ) as sb:
        bearer = token(sb)
        statuses: list[int | str] = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {bearer}"
            for i in range(120):
                try:
                    response = session.post(sb.url + LIST, json={"displayName": f"c{i}"})
                    statuses.append(response.status_code)
                except requests.ConnectionError:
                    statuses.append("reset")
        assert sb.wait_commits(timeout=30)
        stats = sb.stats
        made = len(sb.subprojects())
    assert set(statuses) <= {200, 429, 502, 503, 504, "reset"}
    assert stats["late_commits"] > 0 and stats["odd_answers"] > 0 and stats["resets"] > 0
    assert stats["responses"][429] > 0
    nothing_done = stats["responses"][429] + stats["responses"].get(502, 0)
    nothing_done += stats["responses"].get(503, 0)
    assert made == 120 - nothing_done, "every other create was committed, late ones included"
