"""`sn.connect()` and the one active connection that the magic, the panel and `sn.plan` share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

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


def connect_or_sandbox(*, quiet: bool = False, **options: Any) -> SubprojectsClient:
    """Your account when `SINCH_*` credentials are set, else the local sandbox's demo account.

    The example notebooks start with this, so they run unchanged anywhere: offline against the
    sandbox, or against a real project. It prints one line saying which it connected to (never
    the secret) unless `quiet`. Half-set credentials are an error rather than a silent sandbox:
    a forgotten export should not look like a working connection to the wrong account.
    """
    names = (ENV_KEY_ID, ENV_KEY_SECRET, ENV_PROJECT_ID)
    present = [name for name in names if env(name)]
    if present and len(present) < len(names):
        missing = ", ".join(name for name in names if name not in present)
        raise ValidationError(
            "environment",
            f"{missing} not set while {', '.join(present)} is: set all of {', '.join(names)} "
            "to use your account, or none of them for the local sandbox",
        )
    if present:
        client = connect(**options)
        message = (
            f"Connected to project {client.project_id!r} at {client.endpoints.api_url} "
            f"with key {client.key_id!r} (from the SINCH_* environment variables)."
        )
    else:
        from .sandbox.local import connect_local_sandbox

        client = connect_local_sandbox(**options)
        message = (
            f"Connected to the local Sinch sandbox at {client.endpoints.api_url} "
            f"(demo account, project {client.project_id!r}).\n"
            "No SINCH_* credentials are set; set SINCH_KEY_ID, SINCH_KEY_SECRET and "
            "SINCH_PROJECT_ID to use your own account."
        )
    if not quiet:
        print(message)
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
