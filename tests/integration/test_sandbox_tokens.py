"""The token endpoint and its JWTs, as Sinch's auth gateway answers (checked with raw HTTP)."""

from __future__ import annotations

import re
import time

import pytest
import requests

from sinch_notebook.sandbox import DEMO_KEY_ID, DEMO_KEY_SECRET, Sandbox
from tests.sandbox_http import LIST, api, b64url, jwt_part, token

EXPIRED = re.compile(
    r'^Bearer error="invalid_token", error_description="Jwt expired at '
    r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", '
    r'error_uri="https://tools\.ietf\.org/html/rfc6750#section-3\.1"$'
)
GRANT = {"grant_type": "client_credentials"}


def post_token(sb: Sandbox, **kwargs) -> requests.Response:
    kwargs.setdefault("data", GRANT)
    kwargs.setdefault("auth", (DEMO_KEY_ID, DEMO_KEY_SECRET))
    return requests.post(sb.token_url, **kwargs)


# -- success ------------------------------------------------------------------------------------


def test_success_is_the_observed_shape(sandbox: Sandbox) -> None:
    response = post_token(sandbox)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["expires_in", "scope", "token_type", "access_token"]
    assert body["expires_in"] == 3599 and body["scope"] == "" and body["token_type"] == "bearer"


@pytest.mark.parametrize(("ttl", "expires_in"), [(3600, 3599), (60, 59), (3, 2), (1, 1)])
def test_expires_in_is_one_second_short_of_the_lifetime(ttl: float, expires_in: int) -> None:
    with Sandbox(token_ttl=ttl) as sb:
        body = post_token(sb).json()
    assert body["expires_in"] == expires_in
    claims = jwt_part(body["access_token"], 1)
    assert claims["exp"] - claims["iat"] == ttl


def test_the_token_is_a_jwt_naming_the_key(sandbox: Sandbox) -> None:
    access = token(sandbox)
    header, claims = jwt_part(access, 0), jwt_part(access, 1)
    assert header["alg"] == "HS256" and header["typ"] == "JWT" and header["kid"]
    assert claims["sub"] == claims["client_id"] == DEMO_KEY_ID
    assert {"exp", "iat", "jti"} <= set(claims)
    assert abs(claims["iat"] - time.time()) < 120
    assert DEMO_KEY_SECRET not in access


def test_each_sandbox_signs_with_its_own_key() -> None:
    with Sandbox() as a, Sandbox() as b:
        from_a = token(a)
        assert jwt_part(from_a, 0)["kid"] != jwt_part(token(b), 0)["kid"]
        response = api(b, "GET", LIST, bearer=from_a)
    assert response.status_code == 401
    assert "expired" not in response.headers["WWW-Authenticate"]


def test_client_secret_post_is_accepted(sandbox: Sandbox) -> None:
    form = {**GRANT, "client_id": DEMO_KEY_ID, "client_secret": DEMO_KEY_SECRET}
    response = post_token(sandbox, data=form, auth=None)
    assert response.status_code == 200


def test_curl_style_urlencoded_credentials_are_decoded() -> None:
    with Sandbox(key_id="id:with%colon", key_secret="s&cret=") as sb:
        response = requests.post(
            sb.token_url, data=GRANT, auth=("id%3Awith%25colon", "s%26cret%3D")
        )
    assert response.status_code == 200


# -- errors: RFC 6749 JSON -------------------------------------------------------------------------


def assert_oauth_error(response: requests.Response, status: int, error: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]
    return body


@pytest.mark.parametrize(
    "auth", [(DEMO_KEY_ID, "wrong"), ("unknown-key", DEMO_KEY_SECRET), ("", "")]
)
def test_bad_credentials_are_invalid_client_401(sandbox: Sandbox, auth) -> None:
    response = post_token(sandbox, auth=auth)
    body = assert_oauth_error(response, 401, "invalid_client")
    assert "Client authentication failed" in body["error_description"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_no_credentials_at_all_is_invalid_client(sandbox: Sandbox) -> None:
    assert_oauth_error(post_token(sandbox, auth=None), 401, "invalid_client")


def test_missing_grant_type_is_invalid_request(sandbox: Sandbox) -> None:
    body = assert_oauth_error(post_token(sandbox, data={"x": "1"}), 400, "invalid_request")
    assert "grant_type" in body["error_description"]


@pytest.mark.parametrize("grant", ["password", "authorization_code", "CLIENT_CREDENTIALS"])
def test_another_grant_is_unsupported_grant_type(sandbox: Sandbox, grant: str) -> None:
    response = post_token(sandbox, data={"grant_type": grant})
    assert_oauth_error(response, 400, "unsupported_grant_type")


def test_a_json_body_is_invalid_request(sandbox: Sandbox) -> None:
    response = post_token(sandbox, data=None, json=GRANT)
    assert_oauth_error(response, 400, "invalid_request")


def test_get_is_405_with_allow(sandbox: Sandbox) -> None:
    response = requests.get(sandbox.token_url, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
    assert_oauth_error(response, 405, "invalid_request")
    assert response.headers["Allow"] == "POST"


def test_the_bucket_is_30_then_429_without_retry_after(sandbox: Sandbox) -> None:
    with requests.Session() as session:
        codes = [
            session.post(sandbox.token_url, data=GRANT, auth=(DEMO_KEY_ID, DEMO_KEY_SECRET))
            for _ in range(40)
        ]
    ok = [r for r in codes if r.status_code == 200]
    limited = [r for r in codes if r.status_code == 429]
    assert len(ok) + len(limited) == 40
    assert 30 <= len(ok) < 40  # 30 at once, a few refilled at 10/s while we ran
    assert all("Retry-After" not in r.headers for r in limited)
    assert_oauth_error(limited[0], 429, limited[0].json()["error"])


def test_a_token_storm_bucket_refills_slowly() -> None:
    with Sandbox(token_burst=1, token_rate=0.2) as sb:
        first, second = post_token(sb), post_token(sb)
    assert (first.status_code, second.status_code) == (200, 429)
    assert "Retry-After" not in second.headers


def test_injected_token_faults_have_no_retry_after_unless_given(sandbox: Sandbox) -> None:
    sandbox.inject(429, path_contains="/oauth2/token")
    sandbox.inject(503, path_contains="/oauth2/token", retry_after=2)
    plain, told = post_token(sandbox), post_token(sandbox)
    assert plain.status_code == 429 and "Retry-After" not in plain.headers
    assert plain.json()["error"]
    assert told.status_code == 503 and told.headers["Retry-After"] == "2"
    assert post_token(sandbox).status_code == 200


# -- tokens on the API ----------------------------------------------------------------------------


def test_an_edited_token_is_invalid_not_expired(sandbox: Sandbox) -> None:
    header, claims, signature = token(sandbox).split(".")
    edited = jwt_part(f"{header}.{claims}.{signature}", 1)
    edited["exp"] += 3600
    for forged in (
        f"{header}.{b64url(edited)}.{signature}",
        f"{header}.{claims}.{signature[:-2]}AA",
        f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{claims}.",
        "not-a-jwt",
    ):
        response = api(sandbox, "GET", LIST, bearer=forged)
        assert response.status_code == 401, forged
        challenge = response.headers["WWW-Authenticate"]
        assert 'error="invalid_token"' in challenge and "expired" not in challenge


def test_expire_tokens_gives_the_gateways_expired_challenge(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    assert api(sandbox, "GET", LIST, bearer=bearer).status_code == 200
    sandbox.expire_tokens()
    response = api(sandbox, "GET", LIST, bearer=bearer)
    assert response.status_code == 401
    assert EXPIRED.match(response.headers["WWW-Authenticate"])
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert api(sandbox, "GET", LIST, bearer=token(sandbox)).status_code == 200


def test_a_short_lived_token_really_expires() -> None:
    with Sandbox(token_ttl=1) as sb:
        bearer = token(sb)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            response = api(sb, "GET", LIST, bearer=bearer)
            if response.status_code == 401:
                break
            time.sleep(0.1)
    assert response.status_code == 401
    assert EXPIRED.match(response.headers["WWW-Authenticate"])


def test_revoked_tokens_are_invalid(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    sandbox.revoke_tokens()
    response = api(sandbox, "GET", LIST, bearer=bearer)
    assert response.status_code == 401
    assert "expired" not in response.headers["WWW-Authenticate"]
    assert bearer not in sandbox.issued_tokens()


def test_401s_without_any_challenge_knob() -> None:
    with Sandbox(auth_challenge=False) as sb:
        bearer = token(sb)
        sb.expire_tokens()
        for response in (
            api(sb, "GET", LIST, bearer=bearer),
            api(sb, "GET", LIST, bearer="junk"),
            api(sb, "GET", LIST),
        ):
            assert response.status_code == 401
            assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(
    ("challenge", "expected"),
    [(True, 'Bearer realm="sinch"'), (False, None), ('Bearer error="x"', 'Bearer error="x"')],
)
def test_injected_401_challenge(sandbox: Sandbox, challenge, expected) -> None:
    bearer = token(sandbox)
    sandbox.inject(401, method="GET", challenge=challenge)
    response = api(sandbox, "GET", LIST, bearer=bearer)
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate") == expected


def test_secrets_and_tokens_stay_out_of_reprs_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cret-" + "x" * 20
    with (
        caplog.at_level("DEBUG", logger="sinch_notebook.sandbox"),
        Sandbox(key_secret=secret) as sb,
    ):
        bearer = token(sb, secret=secret)
        api(sb, "GET", LIST, bearer=bearer)
        api(sb, "GET", LIST, auth=(DEMO_KEY_ID, secret))
        objects = (sb, sb.accounts, sb.accounts.all(), sb.accounts.signer, sb.store)
        shown = " ".join(repr(x) for x in objects)
    for value in (secret, bearer):
        assert value not in shown
        assert value not in caplog.text
