"""Clients nobody here wrote, against the sandbox: Sinch's own Python SDK, requests-oauthlib
(RFC 6749 client credentials), and curl with the seed document's commands.

If the sandbox's token endpoint or 401s drifted from what Sinch sends, these are the clients
that would notice first: they are written against the real services.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, DEMO_PROJECT_ID, Sandbox

sinch = pytest.importorskip("sinch", reason="the official Sinch SDK (pip install sinch)")
from sinch.core.endpoint import HTTPEndpoint  # noqa: E402
from sinch.domains.authentication.exceptions import AuthenticationException  # noqa: E402

# -- the official Sinch Python SDK -----------------------------------------------------------------


class ListSubprojects(HTTPEndpoint):
    """A Subprojects call made through the SDK's own transport (it refreshes on 401s)."""

    ENDPOINT_URL = "{origin}/v1/projects/{project_id}/subprojects"
    HTTP_METHOD = "GET"
    HTTP_AUTHENTICATION = "OAUTH"

    def __init__(self, origin: str, project_id: str) -> None:
        super().__init__(project_id, None)
        self.origin = origin

    def build_url(self, sinch_client: Any) -> str:
        return self.ENDPOINT_URL.format(origin=self.origin, project_id=self.project_id)

    def handle_response(self, response: Any) -> Any:
        return response


def sdk_client(sb: Sandbox, secret: str = DEMO_KEY_SECRET) -> Any:
    client = sinch.SinchClient(key_id=DEMO_KEY_ID, key_secret=secret, project_id=DEMO_PROJECT_ID)
    client.configuration.auth_origin = sb.url  # the SDK's token endpoint is {origin}/oauth2/token
    return client


def test_sdk_token_exchange(sandbox: Sandbox) -> None:
    token = sdk_client(sandbox).authentication.get_auth_token()
    assert token.expires_in == 3599
    assert token.token_type == "bearer" and token.scope == ""
    assert token.access_token.count(".") == 2


def test_sdk_shows_the_sandboxs_error_description_for_a_wrong_secret(sandbox: Sandbox) -> None:
    with pytest.raises(AuthenticationException) as info:
        sdk_client(sandbox, secret="wrong").authentication.get_auth_token()
    assert str(info.value) != "None"
    assert str(info.value).startswith("Client authentication failed")
    assert info.value.response_status_code == 401


def test_sdk_refreshes_once_on_the_expired_challenge(sandbox: Sandbox) -> None:
    client = sdk_client(sandbox)
    endpoint = ListSubprojects(sandbox.url, DEMO_PROJECT_ID)
    assert client.configuration.transport.request(endpoint).status_code == 200
    sandbox.expire_tokens()
    assert client.configuration.transport.request(endpoint).status_code == 200
    stats = sandbox.stats
    assert stats["token_requests"] == 2 and stats["responses"][401] == 1


@pytest.mark.parametrize("how", ["invalid", "no-challenge"])
def test_sdk_does_not_refresh_on_a_401_that_does_not_say_expired(how: str) -> None:
    with Sandbox(auth_challenge=how != "no-challenge") as sb:
        client = sdk_client(sb)
        endpoint = ListSubprojects(sb.url, DEMO_PROJECT_ID)
        client.configuration.transport.request(endpoint)
        if how == "invalid":
            sb.revoke_tokens()
        else:
            sb.expire_tokens()
        assert client.configuration.transport.request(endpoint).status_code == 401
        assert sb.stats["token_requests"] == 1


def test_sdk_retries_the_token_endpoints_429_without_retry_after(sandbox: Sandbox) -> None:
    sandbox.inject(429, path_contains="/oauth2/token")
    client = sdk_client(sandbox)
    client.configuration.retry_manager.BACKOFF_BASE_SECONDS = 0.01
    assert client.authentication.get_auth_token().expires_in == 3599
    assert sandbox.stats["token_requests"] == 2


# -- requests-oauthlib: RFC 6749 client credentials ------------------------------------------------


@pytest.fixture
def oauthlib_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox is plain HTTP on loopback


@pytest.mark.usefixtures("oauthlib_over_http")
def test_requests_oauthlib_client_credentials_flow(sandbox: Sandbox) -> None:
    from oauthlib.oauth2 import BackendApplicationClient
    from requests_oauthlib import OAuth2Session

    session = OAuth2Session(client=BackendApplicationClient(client_id=DEMO_KEY_ID))
    token = session.fetch_token(
        token_url=sandbox.token_url, client_id=DEMO_KEY_ID, client_secret=DEMO_KEY_SECRET
    )
    assert token["token_type"] == "bearer" and token["expires_in"] == 3599
    response = session.get(f"{sandbox.url}/v1/projects/{DEMO_PROJECT_ID}/subprojects")
    assert response.status_code == 200 and response.json()["subprojects"] == []


@pytest.mark.usefixtures("oauthlib_over_http")
def test_requests_oauthlib_wrong_secret_is_invalid_client(sandbox: Sandbox) -> None:
    from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError
    from requests_oauthlib import OAuth2Session

    session = OAuth2Session(client=BackendApplicationClient(client_id=DEMO_KEY_ID))
    with pytest.raises(InvalidClientError) as info:
        session.fetch_token(
            token_url=sandbox.token_url, client_id=DEMO_KEY_ID, client_secret="wrong"
        )
    assert info.value.status_code == 401
    assert "Client authentication failed" in info.value.description


# -- curl with the seed document's commands (host changed) -----------------------------------------

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(*args: str) -> Any:
    done = subprocess.run(
        ["curl", "--silent", "--show-error", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


@needs_curl
def test_the_seed_documents_curl_commands(sandbox: Sandbox) -> None:
    body = curl(
        f"{sandbox.url}/oauth2/token",
        "-d",
        "grant_type=client_credentials",
        "--user",
        f"{DEMO_KEY_ID}:{DEMO_KEY_SECRET}",
    )
    assert body["expires_in"] == 3599
    listed = curl(
        f"{sandbox.url}/v1alpha1/projects/{DEMO_PROJECT_ID}/subprojects",
        "-H",
        f"Authorization: Bearer {body['access_token']}",
    )
    assert listed == {"subprojects": [], "nextPageToken": ""}
    basic = curl(
        "--url",
        f"{sandbox.url}/v1alpha1/projects/{DEMO_PROJECT_ID}/subprojects",
        "--header",
        "Accept: application/json",
        "-u",
        f"{DEMO_KEY_ID}:{DEMO_KEY_SECRET}",
    )
    assert basic == listed
