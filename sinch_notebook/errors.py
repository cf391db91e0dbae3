"""Exceptions: one class per API status, plus the client's own failures.

Every exception carries what a user needs to act (HTTP status, API status, one clear line) and
never what must stay secret: every message passes through `redact()` when the exception is made,
and messages are built from the response body, the method and the path, never from headers.

`error_from_response` reads every error body the API and the gateways in front of it were seen
to send (docs/api-facts.md): the API's `{"error": {...}}` object, the bare `{"error": "<text>"}`,
OAuth2 JSON from the token endpoint, RFC 7807 problem JSON, and HTML or text from a proxy.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.utils import guess_json_utf

from .redact import redact
from .shown import visible

MAX_MESSAGE = 200  # characters of a proxy's page kept in a message


class SinchError(Exception):
    """Base class for everything this package raises on purpose."""

    http_status: int | None = None
    status: str = ""
    attempts: int = 1
    token_endpoint: bool = False  # raised by the key exchange, not by an API call

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        status: str | None = None,
        details: list[Any] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        message = visible(redact(message), keep="\n")
        super().__init__(message)
        self.message = message
        if http_status is not None:
            self.http_status = http_status
        if status is not None:
            self.status = status
        self.details = _redacted_details(details or [])
        self.method = method
        self.path = path

    def __init_subclass__(cls, *, http: int | None = None, api: str = "", **kwargs: Any) -> None:
        """`class NotFound(SinchError, http=404, api="NOT_FOUND")`: a status class in one line."""
        super().__init_subclass__(**kwargs)
        if http is not None:
            cls.http_status = http
        if api:
            cls.status = api

    def set_message(self, message: str) -> None:
        """Replace the message (redacted, as every message is)."""
        self.message = visible(redact(message), keep="\n")
        self.args = (self.message,)

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method and self.path else ""
        code = f"{self.http_status} {self.status}".strip() if self.http_status else self.status
        prefix = f"{code}: " if code else ""
        return f"{prefix}{self.message}{where}"


def _redacted_details(details: list[Any]) -> list[Any]:
    try:
        return json.loads(redact(json.dumps(details)))
    except (TypeError, ValueError):
        return []


class ValidationError(SinchError, ValueError):
    """Input rejected before any request was sent; `field` names what is wrong."""

    status = "VALIDATION"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    def __str__(self) -> str:
        return self.message


class UserFileError(ValidationError):
    """A file the user wrote (profiles, a label policy) refused: which, where and why."""

    def __init__(self, field: str, source: str, line: int | None, reason: str) -> None:
        where = f"{source}, line {line}" if line else source
        super().__init__(field, f"{where}: {reason}")
        self.line = line
        self.reason = reason


class InsecureTransportError(ValidationError):
    """Credentials would travel in clear text to a host that is not this machine."""


class ChangedOnServer(SinchError, api="CHANGED_ON_SERVER"):
    """Not sent: the subproject changed on the server since it was read (its updateTime moved)."""


class SubprojectChanged(ChangedOnServer):
    """Not deleted: the subproject is no longer the version the person saw (`seen`); `current`
    is what it is now, so a face can ask again naming it."""

    def __init__(self, message: str, *, seen: Any, current: Any) -> None:
        super().__init__(message)
        self.seen = seen
        self.current = current


class InvalidArgument(SinchError, http=400, api="INVALID_ARGUMENT"):
    """The request was refused as malformed or out of range."""


class FailedPrecondition(SinchError, http=400, api="FAILED_PRECONDITION"):
    """The request is well formed but the state it needs (the parent project) is missing."""


class Unauthenticated(SinchError, http=401, api="UNAUTHENTICATED"):
    """The credentials or the token were refused."""


class PermissionDenied(SinchError, http=403, api="PERMISSION_DENIED"):
    """The access key may not do this."""


class NotFound(SinchError, http=404, api="NOT_FOUND"):
    """No such subproject (or route)."""


class AlreadyExists(SinchError, http=409, api="ALREADY_EXISTS"):
    """Something with that identity is already there."""


class RateLimited(SinchError, http=429, api="RESOURCE_EXHAUSTED"):
    """Too many requests; `retry_after` is the wait the server asked for, if it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(SinchError, http=500, api="INTERNAL"):
    """The server or a gateway in front of it failed."""


class TransportError(SinchError, api="UNAVAILABLE"):
    """The request could not be completed: connection refused, reset or timed out."""


class CreateOutcomeUnknown(TransportError):
    """A create may or may not have reached the server and looking for it could not tell."""


class UnexpectedResponse(SinchError, api="UNEXPECTED_RESPONSE"):
    """A success status with a body that is not what the API promises (a proxy page, say)."""


class Redirected(UnexpectedResponse, api="REDIRECTED"):
    """The server answered with a redirect the client does not follow.

    A write (create, update, delete, the key exchange) never follows a redirect: re-sending it
    elsewhere, or as a GET the way browsers do, would report a change nobody made. A read
    follows one only to the same scheme, host and port, a few times. `location` is where the
    server pointed, without user info, query or fragment.
    """

    def __init__(self, message: str, *, location: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


class ResponseTooLarge(UnexpectedResponse, api="RESPONSE_TOO_LARGE"):
    """An answer longer than the client's limit: reading stopped there (memory stays bounded)."""


# The classes of the API's statuses; the first of two that share an HTTP status is its class.
_API_CLASSES: tuple[type[SinchError], ...] = (
    InvalidArgument,
    FailedPrecondition,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    AlreadyExists,
    RateLimited,
    ServerError,
)
_BY_STATUS = {cls.status: cls for cls in _API_CLASSES} | {
    "UNAVAILABLE": ServerError,
    "DEADLINE_EXCEEDED": ServerError,
}
_BY_HTTP = {cls.http_status or 0: cls for cls in reversed(_API_CLASSES)}

# OAuth2 (RFC 6749) error codes of a token endpoint, by meaning.
_OAUTH_CLASSES: dict[str, type[SinchError]] = {
    "invalid_client": Unauthenticated,
    "unauthorized_client": Unauthenticated,
    "invalid_grant": Unauthenticated,
    "access_denied": PermissionDenied,
    "invalid_request": InvalidArgument,
    "unsupported_grant_type": InvalidArgument,
    "invalid_scope": InvalidArgument,
    "temporarily_unavailable": ServerError,
    "server_error": ServerError,
}

# The live API often answers with an empty message: say what the status means instead.
_MEANINGS = {
    "INVALID_ARGUMENT": "the request was not accepted as valid",
    "FAILED_PRECONDITION": "the parent project is invalid or does not exist",
    "UNAUTHENTICATED": "the credentials or the token were not accepted",
    "PERMISSION_DENIED": "the access key has no permission for this",
    "NOT_FOUND": "not found",
    "ALREADY_EXISTS": "it already exists",
    "RESOURCE_EXHAUSTED": "too many requests; slow down and try again",
    "INTERNAL": "the server had an internal error",
    "UNAVAILABLE": "the service is unavailable right now; try again later",
    "DEADLINE_EXCEEDED": "the gateway timed out waiting for the service",
}
# Each HTTP status the API family uses and its gRPC-style name (the gateway's 5xx included).
_HTTP_STATUS_NAMES = {code: cls.status for code, cls in _BY_HTTP.items()} | {
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def shown_location(url: str) -> str:
    """A redirect target fit for a message: no user info, query or fragment, redacted.

    A `Location` may carry credentials (`https://user:pw@host`) or a signed query; neither is
    shown. A query that was there is marked `?…`.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "an address that is not a valid URL"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if parts.query:
        shown += "?…"
    return one_line(shown, 120) or "an empty address"


def redirect_target(base: str, location: str) -> str:
    """Where a `Location` points, resolved against the URL that answered with it."""
    try:
        return urljoin(base, location)
    except ValueError:
        return location


def redirect_refused(
    response: requests.Response,
    target: str,
    *,
    method: str,
    path: str | None,
    setting: str,
    why: str | None = None,
) -> Redirected:
    """The one-line error of a redirect the client does not follow, saying where it pointed.

    `setting` names the option that holds the URL (SINCH_API_URL, SINCH_AUTH_URL): a gateway
    redirecting http:// to https:// is the usual cause, and the fix is there. `why` replaces
    the usual reason (a Location that is never followed, whatever its origin).
    """
    code = response.status_code
    shown = shown_location(target)
    if why is None and method != "GET":
        why = f"a {method} never follows a redirect, so it was not sent there"
    elif why is None:
        why = "a read follows a redirect only to the same scheme, host and port"
    hint = ""
    source = urlsplit(response.url or "")
    if source.scheme == "http" and shown.startswith("https://"):
        hint = f" (is {setting} http:// where https:// is meant?)"
    return Redirected(
        f"the server redirected the request ({code}) to {shown}: {why}{hint}",
        http_status=code,
        location=shown,
        method=method,
        path=path,
    )


def body_text(response: requests.Response, limit: int = 1 << 16) -> str:
    """The start of a body as text, for messages (no charset sniffing over megabytes)."""
    head = (response.content or b"")[:limit]
    try:
        return head.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        return head.decode("utf-8", errors="replace")


NESTED_TOO_DEEP = "JSON nested deeper than Python can read"


def read_json(text: str) -> Any:
    """JSON text as Python, or ValueError: also for nesting deeper than Python can parse.

    `json.loads` raises RecursionError on JSON nested some thousands deep; that is a body the
    API never sends, so it is an ordinary "not JSON" here.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(NESTED_TOO_DEEP) from None


def response_json(response: requests.Response) -> Any:
    """The response body as JSON, or ValueError (not JSON, not text, or nested too deep)."""
    content = response.content or b""
    encoding = response.encoding or guess_json_utf(content) or "utf-8"
    try:
        text = content.decode(encoding)
    except LookupError:  # a charset Python does not know
        text = content.decode("utf-8")
    return read_json(text)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP-date); None when absent."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    from email.utils import parsedate_to_datetime
    from time import time

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """Whitespace collapsed, cut at `limit` characters (after redaction, so no secret is cut)."""
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)


def looks_like_html(text: str, content_type: str = "") -> bool:
    head = text.lstrip()[:200].lower()
    return "html" in content_type.lower() or head.startswith(("<!doctype", "<html", "<head"))


def html_summary(text: str) -> str:
    """The title (or first heading, or first text) of an HTML page, as plain text."""
    for pattern in (_TITLE, _H1):
        match = pattern.search(text)
        if match:
            found = html.unescape(_TAG.sub(" ", match.group(1))).strip()
            if found:
                return found
    return html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", text))).strip()


def describe_body(response: requests.Response) -> str:
    """What a body that is not the expected JSON is, in a few words."""
    try:
        response_json(response)
    except ValueError as exc:
        if str(exc) == NESTED_TOO_DEEP:
            return NESTED_TOO_DEEP
    text = body_text(response)
    if not text.strip():
        return "an empty body"
    if looks_like_html(text, response.headers.get("Content-Type", "")):
        summary = one_line(html_summary(text), 80)
        return f"an HTML page ({summary!r})" if summary else "an HTML page"
    return f"text {one_line(text, 80)!r}"


def _json_body(response: requests.Response) -> Any:
    try:
        return response_json(response)
    except ValueError:
        return None


def _error_fields(response: requests.Response) -> tuple[str, str, list[Any], str | None]:
    """(api status, message, details, oauth error code) from any observed body shape."""
    body = _json_body(response)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # the API's own shape
            details = error.get("details")
            return (
                str(error.get("status") or ""),
                str(error.get("message") or ""),
                details if isinstance(details, list) else [],
                None,
            )
        if isinstance(error, str):
            description = next(
                (
                    str(body[k])
                    for k in ("error_description", "error_verbose", "error_hint")
                    if body.get(k)
                ),
                "",
            )
            if description or error in _OAUTH_CLASSES:  # OAuth2 JSON (RFC 6749)
                text = f"{error}: {description}" if description else error
                return "", text, [], error
            return "", error, [], None  # the bare {"error": "<text>"} the live API sent
        if "title" in body or "detail" in body:  # RFC 7807 problem JSON
            title = str(body.get("title") or "").strip()
            detail = str(body.get("detail") or "").strip()
            message = f"{title}: {detail}" if title and detail else title or detail
            return "", message, [], None
    text = body_text(response)
    if not text.strip():
        return "", "", [], None
    if looks_like_html(text, response.headers.get("Content-Type", "")):
        summary = html_summary(text)
        where = "an HTML page from a proxy or gateway"
        return "", f"{where}: {summary}" if summary else where, [], None
    return "", text, [], None


def error_from_response(response: requests.Response, *, path: str | None = None) -> SinchError:
    """The exception matching an error response, as one clear line, whatever its body."""
    status, message, details, oauth = _error_fields(response)
    code = response.status_code
    cls = (
        _BY_STATUS.get(status)
        or (_OAUTH_CLASSES.get(oauth) if oauth else None)
        or _BY_HTTP.get(code)
        or (ServerError if code >= 500 else SinchError)
    )
    status = status or _HTTP_STATUS_NAMES.get(code) or cls.status or ""
    message = one_line(message) or _MEANINGS.get(status) or (response.reason or "error")
    kwargs: dict[str, Any] = {
        "http_status": code,
        "status": status or None,
        "details": details,
        "method": response.request.method if response.request is not None else None,
        "path": path,
    }
    if cls is RateLimited:
        return RateLimited(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    return cls(message, **kwargs)


def describe_transport_failure(exc: BaseException) -> str:
    """A network failure in plain words (never urllib3's nested repr)."""
    text = str(exc)
    lowered = text.lower()
    checks = (
        ("connection refused", "the connection was refused (is the server running?)"),
        ("name or service not known", "the host name could not be resolved"),
        ("nodename nor servname", "the host name could not be resolved"),
        ("failed to resolve", "the host name could not be resolved"),
        ("temporary failure in name resolution", "the host name could not be resolved"),
        ("certificate", "the server's TLS certificate was not accepted"),
        ("ssl", "the TLS connection failed"),
        ("connection reset", "the connection was reset by the server"),
        ("remotedisconnected", "the server closed the connection without answering"),
        ("connection aborted", "the connection was dropped before the answer"),
        ("incomplete", "the connection was dropped in the middle of the answer"),
        ("network is unreachable", "the network is unreachable"),
    )
    for needle, words in checks:
        if needle in lowered:
            return words
    if isinstance(exc, requests.ConnectTimeout):
        return "connecting timed out"
    if isinstance(exc, requests.ReadTimeout):
        return "the server did not answer in time"
    if isinstance(exc, requests.Timeout):
        return "the request timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection was dropped in the middle of the answer"
    if isinstance(exc, requests.ConnectionError):
        return "the connection failed"
    return f"the request failed ({type(exc).__name__})"
