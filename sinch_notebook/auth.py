"""Credentials and the two ways of authenticating: OAuth2 bearer tokens and HTTP Basic.

The Key Secret lives in one private slot of `Credentials` and nowhere else (no public attribute,
no local variable of this package's frames that a verbose traceback would print). Reprs show
`***`, log lines show the Key ID, and every message passes through `redact()`.

One token per credential is shared by every thread and client of the process (`TokenSource`).
Its refresh is single-flight: callers queue on one lock; the first asks, and those that were
waiting meanwhile take its token, or its failure. So a burst of workers costs one token request,
and a token endpoint that keeps answering 429 sees one retry cycle at a time, not one per
worker.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import logging
import math
import re
import threading
import time
from dataclasses import dataclass

import requests
from requests.auth import AuthBase

from .deadline import BodyTooLarge, deadline, session_for
from .errors import (
    RateLimited,
    ResponseTooLarge,
    SinchError,
    TransportError,
    Unauthenticated,
    UnexpectedResponse,
    ValidationError,
    describe_body,
    describe_transport_failure,
    error_from_response,
    redirect_refused,
    redirect_target,
    response_json,
)
from .redact import MASK, register_credentials, register_secret, register_token
from .retry import TOKEN_RETRY, Retryable, RetryNotifier, RetryPolicy, run_with_retries

log = logging.getLogger("sinch_notebook.auth")

DEFAULT_TIMEOUT = (5.0, 30.0)
TOKEN_MAX_BODY = 1 << 20  # a token answer is a few hundred bytes
DEFAULT_LIFETIME = 3600.0  # when the answer has no expires_in (RFC 6749 makes it optional)
MAX_LIFETIME = 86400.0  # a longer expires_in is taken as a day: refreshed early, never late
# What a bearer token may contain (RFC 6750's b64token, plus other visible ASCII): nothing that
# could end or split the Authorization header.
_TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")


def _check_text(value: object, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"is required (the {what} of an access key)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, "must be text that UTF-8 can encode") from None
    return value


class Secret:
    """A Key Secret on its way to `Credentials`, masked in reprs (and so in verbose tracebacks).

    Functions that take the secret as a parameter wrap it here as their first statement and
    delete the parameter, so a traceback through them cannot print it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value
        if isinstance(value, str):
            register_secret(value)  # masked from the moment the package receives it

    @classmethod
    def wrap(cls, value: str | Secret | None) -> Secret:
        return value if isinstance(value, Secret) else cls(value)

    @property
    def given(self) -> bool:
        return self._value is not None

    def reveal(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})" if self._value is not None else "Secret(None)"

    def __reduce__(self):
        raise TypeError("a Secret cannot be pickled")


class Credentials:
    """A Key ID and Key Secret. The secret is readable through `.secret()` and nowhere else."""

    __slots__ = ("_secret", "key_id")

    def __init__(self, key_id: str, key_secret: str | Secret) -> None:
        self._secret = Secret.wrap(key_secret).reveal()
        del key_secret  # from here on only the slot holds it (verbose tracebacks print locals)
        self.key_id = _check_text(key_id, "key_id", "Key ID").strip()
        _check_text(self._secret, "key_secret", "Key Secret")
        register_credentials(self.key_id, self._secret)

    def secret(self) -> str:
        return self._secret

    def basic_header(self) -> str:
        """`Basic base64(Key ID:Key Secret)`, built at the moment it is sent."""
        pair = f"{self.key_id}:{self._secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def fingerprint(self) -> str:
        """Identifies the credential pair without revealing the secret (cache keys)."""
        digest = hashlib.sha256(f"{self.key_id}\0{self._secret}".encode()).hexdigest()
        return digest[:16]

    def __repr__(self) -> str:
        return f"Credentials(key_id={self.key_id!r}, key_secret={MASK!r})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("Credentials cannot be pickled: the Key Secret must not be persisted")


@dataclass
class _Token:
    value: str
    obtained_at: float
    expires_in: float

    @property
    def expires_at(self) -> float:
        return self.obtained_at + self.expires_in

    @property
    def refresh_at(self) -> float:
        """Refresh ahead of expiry by min(60 s, 10% of the lifetime): fits 1 h and 3 s tokens."""
        return self.expires_at - min(60.0, 0.1 * self.expires_in)

    def __repr__(self) -> str:
        return f"_Token({MASK}, expires_in={self.expires_in})"


class _BasicHeader(AuthBase):
    """Key ID and Key Secret as HTTP Basic, read from the credentials when the request goes."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.credentials.basic_header()
        return request

    def __repr__(self) -> str:
        return f"_BasicHeader(key_id={self.credentials.key_id!r})"


class TokenSource:
    """One cached OAuth2 token per credential, shared by every thread and client that uses it."""

    def __init__(
        self,
        credentials: Credentials,
        token_url: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.retry = retry or TOKEN_RETRY
        self.timeout = timeout
        self.events = RetryNotifier()
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._failure: tuple[int, SinchError] | None = None  # (cycles ended, what it raised)
        self._cycles_ended = 0
        self._session = session_for(token_url, pool_size=4)
        self._basic = _BasicHeader(credentials)
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"TokenSource(key_id={self.credentials.key_id!r}, token_url={self.token_url!r})"

    def token(self) -> str:
        current = self._token
        if current is not None and time.time() < current.refresh_at:
            return current.value
        arrived = self._cycles_ended
        with self._lock:
            current = self._token
            if current is not None and time.time() < current.refresh_at:
                return current.value
            failed = self._failure
            if failed is not None and failed[0] > arrived:
                raise _copy(failed[1])  # a cycle failed while we waited: its failure is ours
            try:
                current = self._token = self._fetch()
            except SinchError as err:
                self._failure = (self._cycles_ended + 1, err)
                raise
            finally:
                self._cycles_ended += 1
            self._failure = None
            return current.value

    def invalidate(self, used: str) -> None:
        """Forget the token `used`, unless another thread has already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value == used:
                self._token = None

    def seconds_left(self) -> float | None:
        current = self._token
        return None if current is None else max(0.0, current.expires_at - time.time())

    def _fetch(self) -> _Token:
        return run_with_retries(
            self._attempt, self.retry, method="POST", path=self.token_url, notify=self.events
        )

    def _attempt(self, number: int) -> _Token:
        started = time.time()
        self.requests_made += 1
        seconds = float(sum(self.timeout))
        try:
            with deadline(seconds, TOKEN_MAX_BODY) as flight:
                response = self._session.post(
                    self.token_url,
                    data={"grant_type": "client_credentials"},
                    auth=self._basic,
                    headers={"Accept": "application/json"},
                    timeout=self.timeout,
                )
        except BodyTooLarge as exc:
            raise self._unexpected(
                f"the token endpoint answered {exc.status} with more than {exc.limit} bytes; "
                "reading stopped there",
                exc.status,
                ResponseTooLarge,
            ) from None
        except requests.RequestException as exc:
            words = (
                f"no complete answer within {seconds:g} s"
                if flight.cut
                else describe_transport_failure(exc)
            )
            error = TransportError(
                f"the token endpoint {self.token_url} did not answer: {words}",
                method="POST",
                path=self.token_url,
            )
            error.token_endpoint = True
            raise Retryable(error, status=None, reason=words) from None
        code = response.status_code
        if code == 200:
            return self._parse(response, started)
        if 300 <= code < 400 and response.headers.get("Location"):
            target = redirect_target(response.url, response.headers["Location"].strip())
            error = redirect_refused(
                response, target, method="POST", path=self.token_url, setting="SINCH_AUTH_URL"
            )
            error.token_endpoint = True
            raise error
        error = self._error(response)
        if code == 429 or code >= 500:
            raise Retryable.for_status(error, code, response.headers.get("Retry-After"))
        raise error

    def _parse(self, response: requests.Response, started: float) -> _Token:
        """The token and its lifetime, or one clear error that never quotes the token."""
        try:
            body = response_json(response)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            what = describe_body(response) if body is None else "JSON without an access_token"
            raise self._unexpected(f"the token endpoint answered 200 with {what}")
        value = body["access_token"]
        register_token(value)  # masked from here on, even if a later check refuses it
        if not _TOKEN_TEXT.fullmatch(value):
            raise self._unexpected(
                "the token endpoint answered 200 with an access_token that cannot be sent in "
                "an HTTP header (empty, or with spaces, line breaks, control or non-ASCII "
                "characters)"
            )
        token_type = body.get("token_type") or "bearer"
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            shown = token_type if isinstance(token_type, str) else type(token_type).__name__
            raise self._unexpected(f"unsupported token_type {shown[:40]!r} (expected bearer)")
        expires_in = _lifetime(body.get("expires_in"))
        if isinstance(expires_in, str):
            raise self._unexpected(
                f"the token endpoint answered 200 with an expires_in {expires_in}"
            )
        log.debug(
            "token obtained for key %s, expires in %.0f s", self.credentials.key_id, expires_in
        )
        return _Token(value, started, max(1.0, expires_in))

    def _unexpected(
        self, message: str, status: int = 200, cls: type[UnexpectedResponse] = UnexpectedResponse
    ) -> UnexpectedResponse:
        error = cls(message, http_status=status, method="POST", path=self.token_url)
        error.token_endpoint = True
        return error

    def _error(self, response: requests.Response) -> SinchError:
        err = error_from_response(response, path=self.token_url)
        if isinstance(err, Unauthenticated):
            err.set_message(
                f"the token endpoint rejected Key ID {self.credentials.key_id!r} "
                f"and its Key Secret ({err.message.rstrip('.')})"
            )
        elif isinstance(err, RateLimited):
            err.set_message(
                f"the token endpoint is rate limiting key exchanges ({err.message.rstrip('.')}); "
                "wait a few seconds and try again"
            )
        err.token_endpoint = True
        return err


def _lifetime(value: object) -> float | str:
    """Seconds from `expires_in`, or what is wrong with it (a sentence's end).

    Missing means the RFC's default assumption of an hour; a number (or numeric text, as some
    servers send) must be finite and positive; above MAX_LIFETIME it is taken as a day, so the
    token is refreshed early rather than used past a lifetime nobody means.
    """
    if value is None:
        return DEFAULT_LIFETIME
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return f"that is not a number (a JSON {type(value).__name__})"
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return "that is not a number"
    if not math.isfinite(seconds):
        return "that is not a finite number"
    if seconds <= 0:
        return f"that is not positive ({seconds:g})"
    return min(seconds, MAX_LIFETIME)


def _copy(error: SinchError) -> SinchError:
    clone = copy.copy(error)
    clone.__traceback__ = None
    return clone


_SOURCES: dict[tuple[str, str], TokenSource] = {}
_SOURCES_LOCK = threading.Lock()


def shared_token_source(credentials: Credentials, token_url: str, **kwargs) -> TokenSource:
    """The process-wide TokenSource for this credential and token endpoint."""
    key = (token_url, credentials.fingerprint())
    with _SOURCES_LOCK:
        source = _SOURCES.get(key)
        if source is None:
            source = _SOURCES[key] = TokenSource(credentials, token_url, **kwargs)
        return source


def forget_token_source(credentials: Credentials, token_url: str) -> None:
    with _SOURCES_LOCK:
        _SOURCES.pop((token_url, credentials.fingerprint()), None)


def forget_all_token_sources() -> None:
    """Drop every shared token (`%sinch logout` of everything; tests between sandboxes)."""
    with _SOURCES_LOCK:
        _SOURCES.clear()


class TokenAuth(AuthBase):
    """`Authorization: Bearer <token>` from a shared TokenSource."""

    mode = "oauth"

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    @property
    def key_id(self) -> str:
        return self.source.credentials.key_id

    @property
    def credentials(self) -> Credentials:
        return self.source.credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.source.token()}"
        return request

    def should_retry_unauthorized(self, response: requests.Response) -> bool:
        """The SDKs' rule: refresh and resend once when the challenge says the token expired.

        Any other 401 also drops the token it rejected, so the next call fetches a new one (a
        revoked token, or a server restarted under a long-lived kernel), but it is not resent:
        a 401 that a new token cannot cure must end in one clear error, never a refresh loop.
        """
        sent = response.request.headers.get("Authorization", "") if response.request else ""
        self.source.invalidate(sent.removeprefix("Bearer "))
        return "expired" in response.headers.get("WWW-Authenticate", "")

    def seconds_left(self) -> float | None:
        return self.source.seconds_left()

    def __repr__(self) -> str:
        return f"TokenAuth(key_id={self.key_id!r}, token={MASK!r})"


class BasicAuth(_BasicHeader):
    """HTTP Basic with Key ID and Key Secret on every API call (meant for reads and testing).

    The secret is read from the credentials as each request is prepared; no attribute of this
    object holds it.
    """

    mode = "basic"

    @property
    def key_id(self) -> str:
        return self.credentials.key_id

    def should_retry_unauthorized(self, response: requests.Response) -> bool:
        return False

    def seconds_left(self) -> float | None:
        return None

    def __repr__(self) -> str:
        return f"BasicAuth(key_id={self.key_id!r}, key_secret={MASK!r})"
