"""Sending one API request: auth, proxies, an overall deadline, the retry rules, the server clock.

Retry rules (the loop itself is `retry.run_with_retries`):
- GET, PATCH and DELETE are retried on connection errors, 429, 502, 503, 504 and on a success
  whose body is not what the API promises (a proxy page), honouring `Retry-After`.
- A non-idempotent request (create) is retried here only when it surely did not reach the
  server (connection refused, 429). When its outcome is unknown (a dropped connection, a read
  timeout, the deadline, a 5xx, a body that is not the resource) `OutcomeUnknown` is raised and
  the caller reconciles (see `creates.py`).
- A 401 whose challenge says the token expired refreshes the shared token and resends once.

Redirects: a write (POST, PATCH, DELETE) never follows one: it is `Redirected`, and for a create
an unknown outcome (looked for, never assumed). A GET follows up to MAX_REDIRECTS hops on the
API's own scheme, host and port; a loop, or one to another origin, is `Redirected`. The origin
is read by the parser that connects (requests prepares the URL, urllib3 parses it: `origin`),
never by another one that could disagree; a `Location` with a backslash, user info, white space
or control characters is never followed, and `Authorization` goes only to the API's origin.

Bodies: every answer is read up to `max_response_bytes` (`ResponseTooLarge` beyond; for a
create, an unknown outcome), so memory stays bounded whatever the server sends.

Proxies: loopback traffic (the sandbox) never goes through a proxy, so neither credentials nor
tokens reach one in clear text; remote traffic honours the user's proxy settings.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, LocationParseError, NewConnectionError
from urllib3.util import parse_url

from .auth import DEFAULT_TIMEOUT, BasicAuth, TokenAuth
from .deadline import DEFAULT_MAX_BODY, BodyTooLarge, deadline, session_for
from .errors import (
    NESTED_TOO_DEEP,
    ResponseTooLarge,
    TransportError,
    UnexpectedResponse,
    describe_body,
    describe_transport_failure,
    error_from_response,
    redirect_refused,
    redirect_target,
    response_json,
)
from .models import api_item_problem, check_int, parse_time
from .retry import RETRYABLE_STATUSES, Retryable, RetryNotifier, RetryPolicy, run_with_retries

log = logging.getLogger("sinch_notebook.client")

_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
MAX_CLOCK_SKEW = 30.0  # how far off the client's clock may be when no server time is known
MAX_REDIRECTS = 5  # hops a read follows (same origin only)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MIN_MAX_RESPONSE_BYTES = 64 << 10
Check = Callable[[Any], "str | None"]


class OutcomeUnknown(Exception):
    """A non-idempotent request went out and we do not know whether it took effect.

    `error` is the SinchError to report when looking for it finds nothing and sending it again
    cannot help (a redirect answers every attempt the same way); None otherwise.
    """

    def __init__(self, reason: str, error: Exception | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
        self.at = time.time()


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) where the HTTP library would connect for `url`, with the scheme's
    default port filled in: the URL as requests prepares it, parsed by urllib3 (the parser
    that connects). None for a URL it cannot read (that matches nothing: never followed)."""
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parts = parse_url(prepared)
    except (requests.RequestException, LocationParseError, ValueError, UnicodeError):
        return None
    scheme = (parts.scheme or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.host or "").lower(), port


# A backslash, white space or a control character: parsers disagree on where such a URL goes.
_UNSAFE_IN_LOCATION = re.compile(r"[\\\x00-\x20\x7f-\x9f]")


def unsafe_location(location: str, target: str) -> str | None:
    """Why a redirect's `Location` is never followed whatever its origin, or None."""
    if _UNSAFE_IN_LOCATION.search(location):
        return "a Location with a backslash, white space or control characters is never followed"
    try:
        user_info = "@" in urlsplit(target).netloc or parse_url(target).auth is not None
    except (LocationParseError, ValueError):
        return None  # no origin can be read from it either: refused as another origin
    if user_info:
        return "a Location with user info (user@host) is never followed"
    return None


def check_max_response_bytes(value: Any) -> int:
    return check_int(value, "max_response_bytes", MIN_MAX_RESPONSE_BYTES)


def _nothing_was_sent(exc: requests.RequestException) -> bool:
    """True for failures that happen before a request reaches the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class ServerClock:
    """Our estimate of the server's clock, from `Date` headers and the times of resources.

    Reconciling a create looks for subprojects created at or after the moment it was sent, in
    the server's time. Without any server time the estimate may be off by MAX_CLOCK_SKEW.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._known = False
        self._lock = threading.Lock()

    @property
    def known(self) -> bool:
        return self._known

    def note(self, response: requests.Response, sent_at: float, received_at: float) -> None:
        date = response.headers.get("Date")
        if not date:
            return
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        with self._lock:
            self._offset = server + 0.5 - (sent_at + received_at) / 2  # Date has 1 s resolution
            self._known = True

    def note_resource(self, record: Any, sent_at: float, received_at: float) -> None:
        """A mutation's `updateTime` is the server's time while we waited for the answer."""
        if self._known or not isinstance(record, dict):
            return
        stamp = parse_time(record.get("updateTime"))
        if stamp is None:
            return
        with self._lock:
            if not self._known:
                self._offset = stamp.timestamp() - (sent_at + received_at) / 2
                self._known = True

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self._offset, tz=timezone.utc)

    def uncertainty(self) -> float:
        """Seconds the estimate may be off: a Date header's second, or the allowed skew."""
        return 2.0 if self._known else MAX_CLOCK_SKEW + 2.0

    def earliest(self, local_time: float | None = None) -> datetime:
        """The earliest server time at which something sent now (or at `local_time`) landed."""
        at = time.time() if local_time is None else local_time
        moment = datetime.fromtimestamp(at + self._offset, tz=timezone.utc)
        return moment - timedelta(seconds=self.uncertainty())


class Transport:
    """Sends API requests to one base URL with one auth; thread-safe."""

    def __init__(
        self,
        base_url: str,
        auth: TokenAuth | BasicAuth,
        *,
        retry: RetryPolicy,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pool_size: int = 32,
        max_response_bytes: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.base_url = base_url
        self.auth = auth
        self.retry = retry
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.session = session_for(base_url, pool_size)
        self.clock = ServerClock()
        self.events = RetryNotifier()

    @property
    def max_response_bytes(self) -> int:
        """The longest answer read (bytes, after decompression); longer ones are an error."""
        return self._max_response_bytes

    @max_response_bytes.setter
    def max_response_bytes(self, value: int) -> None:
        self._max_response_bytes = check_max_response_bytes(value)

    @property
    def deadline_seconds(self) -> float:
        """The most one attempt may take, however the server trickles its answer."""
        return float(sum(self.timeout))

    def close(self) -> None:
        self.session.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        idempotent: bool = True,
        check: Check | None = None,
        before_resend: Callable[[], Any] | None = None,
    ) -> Any:
        """The parsed JSON body of a successful answer that passes `check` (None = fine).

        `before_resend()` runs before each attempt after the first: it may return a body (the
        earlier attempt did take effect: done, nothing is resent) or raise to stop.
        """
        request = _Request(method, path, params, json, idempotent, check)

        def attempt(number: int) -> Any:
            if number > 1 and before_resend is not None:
                done = before_resend()
                if done is not None:
                    return done
            return self._attempt(request, number)

        return run_with_retries(attempt, self.retry, method=method, path=path, notify=self.events)

    def _attempt(self, request: _Request, number: int) -> Any:
        refreshed = False
        while True:
            sent_at = time.time()
            response = self._send(request, number)
            if response.status_code in REDIRECTS:
                response = self._follow(request, response, number)
            received_at = time.time()
            self.clock.note(response, sent_at, received_at)
            code = response.status_code
            log.debug(
                "%s %s -> %s (%.0f ms)",
                request.method,
                request.path,
                code,
                (received_at - sent_at) * 1000,
            )
            if code == 401 and not refreshed and self.auth.should_retry_unauthorized(response):
                refreshed = True
                continue
            if code < 400:
                body = self._body(request, response)
                if request.method != "GET":
                    self.clock.note_resource(body, sent_at, received_at)
                return body
            if not request.idempotent and code >= 500:
                raise OutcomeUnknown(f"server error {code}")
            error = error_from_response(response, path=request.path)
            if code == 401 and self.auth.mode == "oauth":
                error.set_message(
                    f"{error.message}: the access token was not accepted; a new one is "
                    "fetched on the next call"
                )
            if code in RETRYABLE_STATUSES:
                raise Retryable.for_status(error, code, response.headers.get("Retry-After"))
            raise error

    def _follow(
        self, request: _Request, response: requests.Response, number: int
    ) -> requests.Response:
        """Where a redirect may be followed (a GET, same origin, no loop), the final answer;
        otherwise `Redirected` (for a create: an unknown outcome carrying it)."""
        seen = {response.url}
        hops = 0
        while response.status_code in REDIRECTS:
            hops += 1
            location = (response.headers.get("Location") or "").strip()
            if not location:
                raise UnexpectedResponse(
                    f"the API answered {response.status_code} (a redirect) without saying where",
                    http_status=response.status_code,
                    method=request.method,
                    path=request.path,
                )
            target = redirect_target(response.url, location)
            unsafe = unsafe_location(location, target)
            refused = redirect_refused(
                response,
                target,
                method=request.method,
                path=request.path,
                setting="SINCH_API_URL",
                why=unsafe,
            )
            here = origin(self.base_url)
            if request.method != "GET" or unsafe or here is None or origin(target) != here:
                if not request.idempotent:
                    raise OutcomeUnknown(refused.message, refused)
                raise refused
            if target in seen or hops > MAX_REDIRECTS:
                what = "in a loop" if target in seen else f"more than {MAX_REDIRECTS} times"
                refused.set_message(
                    f"the server redirected the request {what} ({hops} redirect"
                    f"{'s' if hops > 1 else ''}, the last to {refused.location}); stopped there"
                )
                raise refused
            seen.add(target)
            response = self._send(request, number, url=target)
        return response

    def _send(self, request: _Request, number: int, url: str | None = None) -> requests.Response:
        """One HTTP exchange: to `base_url + path` with the params, or to `url` (a redirect's
        target, which carries its own query)."""
        seconds = self.deadline_seconds
        # credentials only ever go to the API's own origin (a redirect elsewhere is refused
        # before this; this holds even if that check were wrong)
        auth = self.auth if url is None or origin(url) == origin(self.base_url) else None
        try:
            with deadline(seconds, self.max_response_bytes) as flight:
                return self.session.request(
                    request.method,
                    url or self.base_url + request.path,
                    params=None if url else request.params,
                    json=request.json,
                    auth=auth,
                    timeout=self.timeout,
                )
        except BodyTooLarge as exc:
            words = (
                f"an answer longer than {exc.limit} bytes (the client's max_response_bytes); "
                "reading stopped there"
            )
            if not request.idempotent:
                raise OutcomeUnknown(f"the API sent {words}") from None
            raise ResponseTooLarge(
                f"the API sent {words}",
                http_status=exc.status,
                method=request.method,
                path=request.path,
            ) from None
        except _TRANSIENT as exc:
            if flight.cut:
                words = f"no complete answer within {seconds:g} s"
            else:
                words = describe_transport_failure(exc)
            if not request.idempotent and not _nothing_was_sent(exc):
                raise OutcomeUnknown(words) from None
            tries = f"after {number} attempts" if number > 1 else "to the first attempt"
            error = TransportError(
                f"no response {tries} from {self.base_url}: {words}",
                method=request.method,
                path=request.path,
            )
            raise Retryable(error, status=None, reason=words) from None

    def _body(self, request: _Request, response: requests.Response) -> Any:
        try:
            body = response_json(response)
        except ValueError:
            body = None
            what = describe_body(response)
            problem = what if what == NESTED_TOO_DEEP else f"{what} instead of JSON"
        else:
            problem = request.check(body) if request.check is not None else None
        if problem is None:
            return body
        problem = f"the API answered {response.status_code} with {problem}"
        if not request.idempotent:
            raise OutcomeUnknown(problem)
        error = UnexpectedResponse(
            f"{problem} (a proxy, captive portal or gateway in between?)",
            http_status=response.status_code,
            method=request.method,
            path=request.path,
        )
        raise Retryable(error, status=response.status_code, reason="unexpected answer")


@dataclass(frozen=True)
class _Request:
    """One API request as the caller asked for it (the same for every attempt)."""

    method: str
    path: str
    params: dict[str, Any] | None
    json: dict[str, Any] | None
    idempotent: bool
    check: Check | None


def expect_object(body: Any) -> str | None:
    """The body must be a JSON object."""
    return None if isinstance(body, dict) else f"a JSON {type(body).__name__} instead of an object"


def expect_subproject(body: Any) -> str | None:
    """The body must be a Subproject resource (`models.api_item_problem`)."""
    problem = api_item_problem(body)
    return None if problem is None else f"a body that is not a subproject ({problem})"


def expect_page(body: Any) -> str | None:
    """The body must be a page of a listing."""
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__} instead of a page of subprojects"
    items = body.get("subprojects")
    if items is not None and not isinstance(items, list):
        return "a page whose subprojects are not a list"
    token = body.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        return "a page whose nextPageToken is not a string"
    return None
