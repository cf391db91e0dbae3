"""OAuth2 key exchange: one shared token per credential, refreshed ahead of time and on expiry."""

from __future__ import annotations

import pickle
import threading
import time

import pytest

import sinch_notebook as sn
from sinch_notebook.auth import Credentials
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY


def test_one_token_for_many_calls(client: sn.SubprojectsClient, sandbox: Sandbox) -> None:
    for _ in range(20):
        client.list()
    assert sandbox.stats["token_requests"] == 1


def test_clients_with_the_same_credential_share_one_token(sandbox: Sandbox) -> None:
    first = sandbox.connect(activate=False)
    second = sandbox.connect(activate=False)
    first.list()
    second.list()
    assert sandbox.stats["token_requests"] == 1
    assert first.auth.source is second.auth.source


def test_expired_token_401_refreshes_once_and_retries(client, sandbox: Sandbox) -> None:
    client.list()
    sandbox.expire_tokens()
    client.create("after expiry")
    stats = sandbox.stats
    assert stats["token_requests"] == 2
    assert stats["responses"][401] == 1
    assert [s["displayName"] for s in sandbox.subprojects()] == ["after expiry"]


def test_revoked_token_is_one_clear_error_then_replaced(client, sandbox: Sandbox) -> None:
    """The SDKs' rule: only an *expired* challenge is refreshed and resent; any other rejected
    token is one clear error, and is dropped so the next call fetches a new one."""
    client.list()
    sandbox.revoke_tokens()
    with pytest.raises(sn.Unauthenticated, match="a new one is fetched on the next call"):
        client.list()
    client.list()
    stats = sandbox.stats
    assert stats["token_requests"] == 2
    assert stats["responses"][401] == 1


def test_a_401_that_does_not_reject_the_token_is_not_retried(client, sandbox: Sandbox) -> None:
    client.list()
    sandbox.inject(401, method="GET")
    with pytest.raises(sn.Unauthenticated):
        client.list()
    assert sandbox.stats["token_requests"] == 1


def test_restarted_server_on_the_same_port_does_not_strand_the_shared_token() -> None:
    with Sandbox() as first:
        port = first.port
        first.connect(activate=False).list()
    with Sandbox(port=port) as second:
        # connect() verifies: the stale shared token is rejected once (one clear error) ...
        with pytest.raises(sn.Unauthenticated, match="a new one is fetched"):
            second.connect(activate=False)
        # ... and dropped, so the next connection works with one new token.
        assert second.connect(activate=False).list() == []
        assert second.stats["token_requests"] == 1


def test_refresh_ahead_of_expiry_avoids_401s() -> None:
    with Sandbox(token_ttl=1) as sb:
        client = sb.connect(activate=False)
        deadline = time.time() + 2.5
        while time.time() < deadline:
            client.list()
            time.sleep(0.05)
        stats = sb.stats
    assert 401 not in stats["responses"]
    assert 3 <= stats["token_requests"] <= 4  # refresh at 0.9 s of each 1 s token


def test_concurrent_first_calls_make_one_token_request(sandbox: Sandbox) -> None:
    sandbox.latency = 0.05  # widen the race window
    client = sandbox.connect(activate=False, verify=False)
    barrier = threading.Barrier(16)
    errors: list[Exception] = []

    def call() -> None:
        barrier.wait()
        try:
            client.list()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sandbox.stats["token_requests"] == 1


def test_token_endpoint_429_and_5xx_are_retried(sandbox: Sandbox) -> None:
    sandbox.inject(429, path_contains="/oauth2/token", times=2)
    sandbox.inject(503, path_contains="/oauth2/token", times=1)
    client = sandbox.connect(activate=False, retry=FAST_RETRY)
    assert client.list() == []
    assert sandbox.stats["token_requests"] == 4


def test_wrong_secret_is_a_clear_unauthenticated_error(sandbox: Sandbox) -> None:
    with pytest.raises(sn.Unauthenticated) as info:
        sandbox.connect(key_secret="not-the-secret", activate=False)
    assert "token endpoint rejected Key ID 'demo-key-id'" in str(info.value)
    assert info.value.http_status == 401


def test_token_type_case_and_missing_scope_are_accepted(sandbox: Sandbox) -> None:
    sandbox.inject(
        200,
        path_contains="/oauth2/token",
        body='{"access_token": "x", "token_type": "Bearer", "expires_in": 3599}',
    )
    client = sandbox.connect(activate=False, verify=False)
    assert client.auth.source.token() == "x"
    assert 3590 < client.token_seconds_left() <= 3599


def test_credentials_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Credentials("id", "secret-value"))


def test_status_reports_minutes_left_but_no_token(client: sn.SubprojectsClient) -> None:
    client.list()
    status = client.status()
    assert 59 <= status["token_minutes_left"] <= 60
    token = client.auth.source.token()
    assert token not in repr(status)
