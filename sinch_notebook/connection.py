"""`sn.connect()` and the one active connection that the magic, the panel and `sn.plan` share."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .auth import BasicAuth, Credentials, TokenAuth, shared_token_source
from .client import SubprojectsClient
from .config import (
    AUTH_MODES,
    ENV_AUTH_MODE,
    ENV_KEY_ID,
    ENV_KEY_SECRET,
    ENV_PROJECT_ID,
    Endpoints,
    env,
)
from .errors import SinchError, ValidationError
from .retry import RetryPolicy

Listener = Callable[["SubprojectsClient | None"], None]

_active: SubprojectsClient | None = None
_listeners: list[Listener] = []
_lock = threading.Lock()


def _required(value: str | None, arg: str, env_name: str) -> str:
    value = value if value is not None else env(env_name)
    if not value:
        raise ValidationError(arg, f"is required: pass {arg}= or set {env_name}")
    return value


def connect(
    key_id: str | None = None,
    key_secret: str | None = None,
    project_id: str | None = None,
    *,
    auth: str | None = None,
    auth_url: str | None = None,
    api_url: str | None = None,
    api_version: str | None = None,
    verify: bool = True,
    activate: bool = True,
    retry: RetryPolicy | None = None,
    pool_size: int = 32,
) -> SubprojectsClient:
    """Connect to a parent project; arguments win over `SINCH_*` environment variables.

    With `verify` (the default) one cheap call proves the credentials and project now, so a
    typo surfaces here rather than in the middle of later work. The new client becomes the
    active connection unless `activate=False`.
    """
    mode = auth or env(ENV_AUTH_MODE) or "oauth"
    if mode not in AUTH_MODES:
        raise ValidationError("auth", f"must be one of {', '.join(AUTH_MODES)}, got {mode!r}")
    endpoints = Endpoints.resolve(auth_url, api_url, api_version)
    credentials = Credentials(
        _required(key_id, "key_id", ENV_KEY_ID), _required(key_secret, "key_secret", ENV_KEY_SECRET)
    )
    project = _required(project_id, "project_id", ENV_PROJECT_ID)
    policy = retry or RetryPolicy()
    if mode == "oauth":
        authenticator: TokenAuth | BasicAuth = TokenAuth(
            shared_token_source(credentials, endpoints.auth_url, retry=policy)
        )
    else:
        authenticator = BasicAuth(credentials)
    client = SubprojectsClient(
        project, authenticator, endpoints=endpoints, retry=policy, pool_size=pool_size
    )
    if verify:
        client.verify()
    if activate:
        set_active(client)
    return client


def set_active(client: SubprojectsClient | None) -> None:
    """Make `client` the shared connection and tell every listener (panel, magic)."""
    global _active
    with _lock:
        _active = client
        listeners = list(_listeners)
    for listener in listeners:
        listener(client)


def active() -> SubprojectsClient | None:
    return _active


def require_active() -> SubprojectsClient:
    client = _active
    if client is None:
        raise SinchError("not connected: run sn.connect() or %sinch login first")
    return client


def disconnect() -> None:
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
