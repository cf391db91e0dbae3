"""`sn.connect()` and the one active connection that the magic, the panel and `sn.plan` share."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .auth import (
    DEFAULT_TIMEOUT,
    BasicAuth,
    Credentials,
    Secret,
    TokenAuth,
    shared_token_source,
)
from .client import SubprojectsClient
from .config import ENV_PROJECT_ID
from .errors import SinchError, ValidationError
from .options import GivenOptions, required
from .retry import RetryPolicy

Listener = Callable[["SubprojectsClient | None"], None]

_active: SubprojectsClient | None = None
_listeners: list[Listener] = []
_lock = threading.Lock()


def connect(
    key_id: str | None = None,
    key_secret: str | None = None,
    project_id: str | None = None,
    *,
    auth: str | None = None,
    auth_url: str | None = None,
    api_url: str | None = None,
    api_version: str | None = None,
    credentials: Credentials | None = None,
    verify: bool = True,
    activate: bool = True,
    retry: RetryPolicy | None = None,
    token_retry: RetryPolicy | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    pool_size: int = 32,
) -> SubprojectsClient:
    """Connect to a parent project; options resolve as `options.GivenOptions.resolve` says.

    With `verify` (the default) one cheap call proves the credentials and project now, so a
    typo surfaces here rather than in the middle of later work. The new client becomes the
    active connection unless `activate=False`. `credentials` (a `Credentials`) replaces
    key_id/key_secret, for callers that never hold the secret in a variable. `retry` is the
    policy of API calls; `token_retry` that of the key exchange (by default what the official
    SDKs do: 3 retries, full jitter up to 1 s x 4^n); it applies when this call makes the
    process's shared token source for the credential.
    """
    secret = Secret.wrap(key_secret)
    del key_secret  # only the Secret holds it (verbose tracebacks print arguments)
    options = GivenOptions(
        credentials.key_id if credentials is not None else key_id,
        project_id,
        auth,
        auth_url,
        api_url,
        api_version,
    ).resolve()
    if credentials is None:
        credentials = options.credentials(secret)
    del secret
    project = required(options.project_id, "project_id", ENV_PROJECT_ID)
    policy = retry or RetryPolicy()
    timeout = check_timeout(timeout)
    if not isinstance(pool_size, int) or isinstance(pool_size, bool) or not 1 <= pool_size <= 256:
        raise ValidationError("pool_size", f"must be an integer from 1 to 256, got {pool_size!r}")
    if options.auth == "oauth":
        authenticator: TokenAuth | BasicAuth = TokenAuth(
            shared_token_source(
                credentials, options.endpoints.auth_url, timeout=timeout, retry=token_retry
            )
        )
    else:
        authenticator = BasicAuth(credentials)
    client = SubprojectsClient(
        project,
        authenticator,
        endpoints=options.endpoints,
        retry=policy,
        timeout=timeout,
        pool_size=pool_size,
    )
    if verify:
        client.verify()
    if activate:
        set_active(client)
    return client


def check_timeout(timeout: object) -> tuple[float, float]:
    """(connect, read) seconds, each finite and positive."""
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        timeout = (timeout, timeout)
    if (
        not isinstance(timeout, tuple)
        or len(timeout) != 2
        or not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in timeout)
        or not all(0 < t < float("inf") for t in timeout)
    ):
        raise ValidationError(
            "timeout",
            f"must be seconds, or (connect, read) seconds, finite and > 0; got {timeout!r}",
        )
    return float(timeout[0]), float(timeout[1])


def set_active(client: SubprojectsClient | None) -> None:
    """Make `client` the shared connection and tell every listener (panel, magic)."""
    global _active
    with _lock:
        _active = client
        listeners = list(_listeners)
    for listener in listeners:
        listener(client)


def active() -> SubprojectsClient | None:
    """The shared connection (the last `sn.connect()`, `%sinch login` or panel login), or None."""
    return _active


def require_active() -> SubprojectsClient:
    """The shared connection; without one, an error saying how to connect."""
    client = _active
    if client is None:
        raise SinchError("not connected: run sn.connect() or %sinch login first")
    return client


def disconnect() -> None:
    """Forget the shared connection (the magic and the panel show themselves disconnected)."""
    set_active(None)


def on_change(listener: Listener) -> Callable[[], None]:
    """Call `listener(client)` whenever the active connection changes; returns an unsubscriber."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe
