"""`sn.connect()` and the one active connection that the magic, the panel and `sn.plan` share.

Several connections can be open at once, each with a name (`registry.py`); one is active.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..auth import (
    DEFAULT_TIMEOUT,
    BasicAuth,
    Credentials,
    Secret,
    TokenAuth,
    shared_token_source,
)
from ..client import SubprojectsClient
from ..config import (
    CREDENTIAL_VARS,
    ENV_PROJECT_ID,
    env,
    has_env_credentials,
)
from ..errors import SinchError, ValidationError
from ..models import check_int
from ..public import public
from ..retry import RetryPolicy
from . import registry as named
from .options import ConnectionOptions, GivenOptions, required

Listener = Callable[["SubprojectsClient | None"], None]

_active: SubprojectsClient | None = None
_logged_out = False  # a disconnect stays one: first use does not connect from SINCH_* again
_listeners: list[Listener] = []
_lock = threading.Lock()


@public
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
    profile: str | None = None,
    name: str | None = None,
) -> SubprojectsClient:
    """Connect to a parent project and make it the active connection.

    Every option you leave out comes from the environment, then from Sinch's defaults:

    - `key_id`: `SINCH_KEY_ID`
    - `key_secret`: `SINCH_KEY_SECRET` (only ever with the Key ID of `SINCH_KEY_ID`)
    - `project_id`: `SINCH_PROJECT_ID`
    - `auth`: `SINCH_AUTH`, `"oauth"` (OAuth2 token) or `"basic"`; default `"oauth"`
    - `auth_url`: `SINCH_AUTH_URL`, default `https://auth.sinch.com/oauth2/token`
    - `api_url`: `SINCH_API_URL`, default `https://subproject.api.sinch.com`
    - `api_version`: `%config Sinch.api_version`, whose default is `SINCH_API_VERSION`, else
      `"v1"` (or `"v1alpha1"`)

    So with those set, `sn.connect()` needs no arguments. With `verify` (the default) one
    cheap call proves the credentials and project now, so a typo surfaces here rather than in
    the middle of later work. `activate=False` returns the client without making it the
    active one (the one `%sinch` and the panel use). `credentials` (a `Credentials`) replaces
    key_id/key_secret, for callers that never hold the secret in a variable. `retry` is the
    policy of API calls; `token_retry` that of the key exchange (by default what the official
    SDKs do: 3 retries, full jitter up to 1 s x 4^n). `timeout` is (connect, read) seconds.

    `profile` names a saved profile (`sn.save_profile`): its settings, and its Key Secret from
    the OS keychain. `name` names the connection (default: the profile's name, else the project
    id); `sn.use(name)` makes it active again later.
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
        profile,
    ).resolve()
    if name is not None:
        named.check_name(name)
    if credentials is None:
        credentials = options.credentials(secret)
    del secret
    return connect_with(
        options,
        credentials,
        verify=verify,
        activate=activate,
        name=name,
        retry=retry,
        token_retry=token_retry,
        timeout=timeout,
        pool_size=pool_size,
    )


def connect_with(
    options: ConnectionOptions,
    credentials: Credentials,
    *,
    verify: bool = True,
    activate: bool = True,
    name: str | None = None,
    **client_options: Any,
) -> SubprojectsClient:
    """`connect` with options resolved once (`GivenOptions.resolve()`: by `connect`, or by a
    face that shows them or asks for what is missing), used as they are: never taken apart and
    resolved again. `client_options`: `connect`'s `retry`, `token_retry`, `timeout`,
    `pool_size`."""
    if name is not None:
        named.check_name(name)
    project = required(options.project_id, "project_id", ENV_PROJECT_ID)
    token_retry = client_options.get("token_retry")
    timeout = check_timeout(client_options.get("timeout", DEFAULT_TIMEOUT))
    pool_size = check_int(client_options.get("pool_size", 32), "pool_size", 1, 256)
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
        retry=client_options.get("retry") or RetryPolicy(),
        timeout=timeout,
        pool_size=pool_size,
    )
    if options.profile is not None:  # the profile's guard rails (guards.py), if it names them
        client.protect_label = options.profile.protect_label
        client.policy = options.profile.policy
    if verify:
        client.verify()
    if activate or name is not None:
        named.add(name or (options.profile.name if options.profile else project), client)
    if activate:
        set_active(client)
    elif name is not None:
        _notify()
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
    global _active, _logged_out
    if client is not None and named.name_of(client) is None:
        named.add(client.project_id, client)
    with _lock:
        _active = client
        _logged_out = client is None
    _notify()


def _notify() -> None:
    """Tell every listener the active connection (also when only the named ones changed)."""
    with _lock:
        client = _active
        listeners = list(_listeners)
    for listener in listeners:
        listener(client)


def active() -> SubprojectsClient | None:
    """The shared connection (the last `sn.connect()`, `%sinch login` or panel login), or None."""
    return _active


def ensure_active() -> SubprojectsClient | None:
    """The active connection; with none yet and complete `SINCH_*` credentials, one from them.

    The first use of any face connects as the panel does when it is shown, so a kernel restart
    needs no login. A wrong credential raises its one-line error here. After a disconnect (a
    logout) nothing connects by itself until someone connects again.
    """
    client = _active
    if client is None and not _logged_out and has_env_credentials():
        client = connect()
    return client


def not_connected_reason() -> str:
    """Why the first use could not connect by itself, in words for every face."""
    if _logged_out:
        return "logged out"
    missing = [name for name in CREDENTIAL_VARS if not env(name)]
    if len(missing) == len(CREDENTIAL_VARS):
        return "no SINCH_* credentials are set"
    return f"{', '.join(missing)} not set"


def require_active() -> SubprojectsClient:
    """The shared connection (made on first use from complete `SINCH_*`); without one, an
    error saying why and how to connect."""
    client = ensure_active()
    if client is None:
        raise SinchError(
            f"not connected ({not_connected_reason()}): run sn.connect() or %sinch login first"
        )
    return client


def disconnect(name: str | None = None) -> SubprojectsClient | None:
    """Close the connection named `name` (default: the active one): it is forgotten, and when
    it was active nothing is active any more. Returns it (None when there was none)."""
    client = named.get(name) if name is not None else _active
    if client is None:
        return None
    named.remove(client)
    if client is _active:
        set_active(None)
    else:
        _notify()
    return client


def disconnect_all() -> None:
    """Forget every connection (tests, and the end of a session)."""
    named.clear()
    set_active(None)


def use(name: str) -> SubprojectsClient:
    """`sn.use("prod")`: make the connection named `name` the active one."""
    client = named.get(name)
    set_active(client)
    return client


def connections() -> Any:
    """`sn.connections()`: the open connections as a DataFrame (name, project, auth, api_url,
    api_version, key_id, active); never a secret or a token."""
    return named.table(_active)


def reset() -> None:
    """No active connection and no logout remembered, as in a new process (tests use it)."""
    global _logged_out
    disconnect_all()
    _logged_out = False


def on_change(listener: Listener) -> Callable[[], None]:
    """Call `listener(client)` whenever the active connection changes; returns an unsubscriber."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe
