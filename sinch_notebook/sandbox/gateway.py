"""The auth gateway's token endpoint: OAuth2 client credentials, as Sinch's answers it.

Success is `{"expires_in", "scope", "token_type", "access_token"}` with `expires_in` one second
short of the token's real lifetime (3599 for an hour), as observed live. Errors are RFC 6749
JSON (`error`, `error_description`), in the words of the OAuth2 server Sinch's gateway is
built on, checked in the same order: method, body, grant_type present, client, grant_type value.
The gateway rate-limits token requests per key with a bucket and answers 429 without
`Retry-After`.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .accounts import basic_credentials
from .bodies import BASIC_REALM, oauth_error
from .faults import fault_reply
from .messages import Reply, Request

if TYPE_CHECKING:
    from . import Sandbox

TOKEN_PATH = "/oauth2/token"
FORM = "application/x-www-form-urlencoded"

MALFORMED = (
    "The request is missing a required parameter, includes an invalid parameter value, includes "
    "a parameter more than once, or is otherwise malformed."
)
CLIENT_FAILED = (
    "Client authentication failed (e.g., unknown client, no client authentication included, or "
    "unsupported authentication method)."
)
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."
RATE_LIMITED = "Too many token requests. Reuse the access token until it expires."
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class _OAuthError(Exception):
    def __init__(self, code: int, description: str, error: str | None = None, **headers: str):
        super().__init__(description)
        self.reply = Reply(code, oauth_error(code, description, error), headers=dict(headers))


def token_endpoint(sandbox: Sandbox, request: Request) -> Reply:
    """Answer one request to `/oauth2/token`."""
    sandbox.counters.count("token_requests")
    fault = sandbox.faults.scripted_for(request.method, TOKEN_PATH)
    if fault is not None and fault.delay:
        sandbox.sleep(fault.delay)
    if fault is not None and not fault.answers_for_real:
        return fault_reply(fault, lambda code: oauth_error(code, ""), BASIC_REALM, request)
    try:
        reply = _exchange(sandbox, request)
    except _OAuthError as error:
        error.reply.headers.update(_NO_STORE)
        return error.reply
    if fault is not None:
        reply.body = odd_token_body(reply.body, fault.access_token, fault.expires_in)
        reply.trickle = fault.trickle
    return reply


def odd_token_body(body: str, access_token: str | None, expires_in: object) -> str:
    """A successful answer with `access_token` and/or `expires_in` replaced; a string
    `expires_in` is written into the JSON as it is (`1e400`, `-5`, `"soon"`)."""
    fields = {name: json.dumps(value) for name, value in json.loads(body).items()}
    if access_token is not None:
        fields["access_token"] = json.dumps(access_token)
    if isinstance(expires_in, str):
        fields["expires_in"] = expires_in
    elif expires_in is not None:
        fields["expires_in"] = json.dumps(expires_in)
    return "{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in fields.items()) + "}"


def _exchange(sandbox: Sandbox, request: Request) -> Reply:
    if request.method != "POST":
        raise _OAuthError(
            405,
            f"{MALFORMED} HTTP method is '{request.method}', expected 'POST'.",
            "invalid_request",
            Allow="POST",
        )
    form = _form(request)
    basic = basic_credentials(request.headers.get("Authorization", ""))
    if basic is None:  # client_secret_post: the credentials in the form
        key_id, secret = _one(form, "client_id"), _one(form, "client_secret")
    else:
        key_id, secret = basic
    if sandbox.accounts.token_request_wait(key_id or "-", sandbox.token_burst, sandbox.token_rate):
        raise _OAuthError(429, RATE_LIMITED)
    grant = _one(form, "grant_type")
    if not grant:
        raise _OAuthError(400, f"{MALFORMED} Request parameter 'grant_type' is missing")
    account = sandbox.accounts.check_secret(key_id, secret)
    if account is None:
        headers = {"WWW-Authenticate": BASIC_REALM} if basic is not None else {}
        raise _OAuthError(401, CLIENT_FAILED, "invalid_client", **headers)
    if grant != "client_credentials":
        raise _OAuthError(400, UNSUPPORTED_GRANT, "unsupported_grant_type")
    ttl = sandbox.token_ttl
    body = {
        "expires_in": max(1, math.ceil(ttl) - 1),
        "scope": "",
        "token_type": "bearer",
        "access_token": sandbox.accounts.issue(account, ttl),
    }
    return Reply(200, json.dumps(body), headers=dict(_NO_STORE))


def _form(request: Request) -> dict[str, list[str]]:
    media_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != FORM or not request.body:
        raise _OAuthError(400, f"{MALFORMED} The POST body can not be empty.")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise _OAuthError(400, f"{MALFORMED} The POST body is not UTF-8.") from None
    form = parse_qs(text, keep_blank_values=True)
    for name in ("grant_type", "client_id", "client_secret"):
        if len(form.get(name, [])) > 1:
            raise _OAuthError(400, f"{MALFORMED} Request parameter '{name}' is repeated.")
    return form


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0]
