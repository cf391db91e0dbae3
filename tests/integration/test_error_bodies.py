"""Every error body the API and the gateways in front of it were seen to send is one clear line
(docs/api-facts.md), and the 401 rules match the official SDKs'. Real HTTP to the sandbox."""

from __future__ import annotations

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox

NO_RETRY = sn.RetryPolicy(retries=0)


SANDBOX = {"subprojects": 3}  # the `sb` fixture's account (tests/conftest.py)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "cls", "line"),
    [
        (
            400,
            '{"error": {"code": 400, "message": "displayName: is required", '
            '"status": "INVALID_ARGUMENT", "details": []}}',
            "application/json",
            sn.InvalidArgument,
            "400 INVALID_ARGUMENT: displayName: is required",
        ),
        (
            403,
            '{"error": {"code": 403, "message": "", "status": "PERMISSION_DENIED", "details": []}}',
            "application/json",
            sn.PermissionDenied,
            "403 PERMISSION_DENIED: the access key has no permission for this",
        ),
        (
            400,
            '{"error": "failed to marshal error message"}',
            "application/json",
            sn.InvalidArgument,
            "400 INVALID_ARGUMENT: failed to marshal error message",
        ),
        (
            401,
            '{"error": "invalid_client", "error_description": "Client authentication failed"}',
            "application/json",
            sn.Unauthenticated,
            "401 UNAUTHENTICATED: invalid_client: Client authentication failed",
        ),
        (
            429,
            '{"type": "about:blank", "title": "Too Many Requests", "detail": "slow down"}',
            "application/problem+json",
            sn.RateLimited,
            "429 RESOURCE_EXHAUSTED: Too Many Requests: slow down",
        ),
        (
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
            "<p>nginx</p></body></html>",
            "text/html",
            sn.ServerError,
            "502 UNAVAILABLE: an HTML page from a proxy or gateway: 502 Bad Gateway",
        ),
        (
            503,
            "upstream connect error or disconnect/reset before headers\n",
            "text/plain",
            sn.ServerError,
            "503 UNAVAILABLE: upstream connect error or disconnect/reset before headers",
        ),
        (500, "", "text/plain", sn.ServerError, "500 INTERNAL: the server had an internal error"),
    ],
    ids=[
        "api-object",
        "api-empty-message",
        "bare-string",
        "oauth2",
        "problem",
        "html",
        "text",
        "empty",
    ],
)
def test_every_observed_error_body_is_one_clear_line(
    sb: Sandbox, status, body, content_type, cls, line
) -> None:
    client = sb.connect(activate=False, retry=NO_RETRY)
    sb.inject(status, method="GET", body=body, content_type=content_type)
    with pytest.raises(cls) as info:
        client.list()
    text = str(info.value)
    assert text.startswith(line), text
    assert "\n" not in text and len(text) < 400
    assert info.value.http_status == status


def test_a_long_proxy_page_is_cut_after_redaction(sb: Sandbox) -> None:
    client = sb.connect(activate=False, retry=NO_RETRY)
    sb.inject(503, method="GET", body="x" * 5000, content_type="text/plain")
    with pytest.raises(sn.ServerError) as info:
        client.list()
    assert len(info.value.message) <= 200 and info.value.message.endswith("…")


def test_the_official_expired_challenge_refreshes_once(sb: Sandbox) -> None:
    client = sb.connect(activate=False)
    sb.expire_tokens()  # "Bearer error=invalid_token, error_description=Jwt expired at ..."
    sb.reset_stats()
    assert len(client.list()) == 3
    assert sb.stats["token_requests"] == 1 and sb.stats["responses"][401] == 1


def test_a_401_without_any_challenge_is_one_error_and_no_refresh_loop(sb: Sandbox) -> None:
    client = sb.connect(activate=False)
    sb.inject(401, method="GET", challenge=False, times=100)
    sb.reset_stats()
    with pytest.raises(sn.Unauthenticated) as info:
        client.list()
    assert sb.stats["requests"] == 1 and sb.stats["token_requests"] == 0
    assert "\n" not in str(info.value)


def test_basic_auth_deletes_are_refused_with_a_hint_to_use_oauth(sb: Sandbox) -> None:
    basic = sb.connect(auth="basic", activate=False)
    target = sb.subprojects()[0]["subprojectId"]
    with pytest.raises(sn.PermissionDenied) as info:
        basic.delete(target)
    assert "connect with OAuth2" in str(info.value)
    assert sb.connect(activate=False).delete(target) is True
