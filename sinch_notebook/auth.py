"""Credentials and the two ways of authenticating: OAuth2 bearer tokens and HTTP Basic.

The Key Secret and access tokens live only in private attributes of these objects: reprs show
`***`, log lines show the Key ID, and exceptions are scrubbed before they are raised.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from .errors import (
    RateLimited,
    SinchError,
    TransportError,
    Unauthenticated,
    ValidationError,
    error_from_response,
    parse_retry_after,
)
from .retry import RETRYABLE_STATUSES, RetryPolicy

log = logging.getLogger("sinch_notebook.auth")

MASK = "***"
DEFAULT_TIMEOUT = (5.0, 30.0)


class Credentials:
    """A Key ID and Key Secret. The secret is readable through `.secret()` and nowhere else."""

    __slots__ = ("_secret", "key_id")

    def __init__(self, key_id: str, key_secret: str) -> None:
        if not isinstance(key_id, str) or not key_id.strip():
            raise ValidationError("key_id", "is required (the Key ID of an access key)")
        if not isinstance(key_secret, str) or not key_secret:
            raise ValidationError("key_secret", "is required (the Key Secret of an access key)")
        self.key_id = key_id.strip()
        self._secret = key_secret

    def secret(self) -> str:
        return self._secret

    def fingerprint(self) -> str:
        """Identifies the credential pair without revealing the secret (cache keys)."""
        digest = hashlib.sha256(f"{self.key_id}\0{self._secret}".encode()).hexdigest()
        return digest[:16]

    def redact(self, text: str) -> str:
        return text.replace(self._secret, MASK) if self._secret else text

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


class TokenSource:
    """One cached OAuth2 token per credential, shared by every thread and client that uses it.

    Callers that find the token due for refresh queue on one lock; the first refreshes, the
    others then find the fresh token. So a burst of threads costs one token request, which
    matters because the auth gateway rate-limits token requests.
    """

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
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._session = requests.Session()
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"TokenSource(key_id={self.credentials.key_id!r}, token_url={self.token_url!r})"

    def token(self) -> str:
        current = self._token
        if current is not None and time.time() < current.refresh_at:
            return current.value
        with self._lock:
            current = self._token
            if current is None or time.time() >= current.refresh_at:
                current = self._token = self._fetch()
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
        creds = self.credentials
        attempt = 0
        while True:
            attempt += 1
            started = time.time()
            try:
                self.requests_made += 1
                response = self._session.post(
                    self.token_url,
                    data={"grant_type": "client_credentials"},
                    auth=HTTPBasicAuth(creds.key_id, creds.secret()),
                    headers={"Accept": "application/json"},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                if attempt <= self.retry.retries:
                    time.sleep(self.retry.delay(attempt))
                    continue
                raise TransportError(
                    creds.redact(f"token endpoint unreachable: {type(exc).__name__}: {exc}"),
                    method="POST",
                    path=self.token_url,
                ) from None
            if response.status_code == 200:
                return self._parse(response, started)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if (
                response.status_code in RETRYABLE_STATUSES or response.status_code >= 500
            ) and attempt <= self.retry.retries:
                log.debug("token request got %s, retrying", response.status_code)
                time.sleep(self.retry.delay(attempt, retry_after))
                continue
            raise self._error(response)

    def _parse(self, response: requests.Response, started: float) -> _Token:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise SinchError(
                "the token endpoint answered 200 without an access_token",
                http_status=200,
                method="POST",
                path=self.token_url,
            )
        token_type = str(body.get("token_type") or "bearer")
        if token_type.lower() != "bearer":
            raise SinchError(f"unsupported token_type {token_type!r}", method="POST")
        try:
            expires_in = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0
        log.debug(
            "token obtained for key %s, expires in %.0f s", self.credentials.key_id, expires_in
        )
        return _Token(body["access_token"], started, max(1.0, expires_in))

    def _error(self, response: requests.Response) -> SinchError:
        err = error_from_response(response, path=self.token_url)
        err.message = self.credentials.redact(err.message)
        if isinstance(err, Unauthenticated):
            err.message = (
                f"the token endpoint rejected Key ID {self.credentials.key_id!r} "
                f"and its Key Secret ({err.message})"
            )
        elif isinstance(err, RateLimited):
            err.message = f"token requests are rate limited ({err.message})"
        err.args = (err.message,)
        return err


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


class TokenAuth(AuthBase):
    """`Authorization: Bearer <token>` from a shared TokenSource."""

    mode = "oauth"

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    @property
    def key_id(self) -> str:
        return self.source.credentials.key_id

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.source.token()}"
        return request

    def should_retry_unauthorized(self, response: requests.Response) -> bool:
        """On a 401 that rejects the token itself, drop it so the one retry gets a new one.

        The SDKs do this when the token expired; a token that is merely unknown (revoked, or a
        server restarted under a long-lived kernel) is just as stale, and the shared cache
        would otherwise keep handing it out to every client of this credential.
        """
        challenge = response.headers.get("WWW-Authenticate", "").lower()
        if "invalid_token" not in challenge and "expired" not in challenge:
            return False
        sent = response.request.headers.get("Authorization", "") if response.request else ""
        self.source.invalidate(sent.removeprefix("Bearer "))
        return True

    def seconds_left(self) -> float | None:
        return self.source.seconds_left()

    def __repr__(self) -> str:
        return f"TokenAuth(key_id={self.key_id!r}, token={MASK!r})"


class BasicAuth(HTTPBasicAuth):
    """HTTP Basic with Key ID and Key Secret on every API call (meant for testing)."""

    mode = "basic"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__(credentials.key_id, credentials.secret())
        self.credentials = credentials

    @property
    def key_id(self) -> str:
        return self.credentials.key_id

    def should_retry_unauthorized(self, response: requests.Response) -> bool:
        return False

    def seconds_left(self) -> float | None:
        return None

    def __repr__(self) -> str:
        return f"BasicAuth(key_id={self.key_id!r}, key_secret={MASK!r})"
