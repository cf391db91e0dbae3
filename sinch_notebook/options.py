"""Connection options: where each one comes from, resolved in one place for every face.

Precedence, the same for `sn.connect()`, `%sinch login` and the panel's Connect tab:

1. what the caller gives (an argument, a magic option, a field of the panel);
2. the shared notebook settings for what they cover (`%config Sinch.api_version`, whose own
   default is `SINCH_API_VERSION`);
3. the `SINCH_*` environment variables;
4. Sinch's defaults (OAuth2, `v1`, Sinch's URLs).

The environment's Key Secret is only ever paired with the environment's Key ID: a Key ID typed
in the panel or given to `%sinch login --key-id` never travels with `SINCH_KEY_SECRET`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from .auth import Credentials, Secret
from .config import (
    API_VERSIONS,
    AUTH_MODES,
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    ENV_API_URL,
    ENV_AUTH_MODE,
    ENV_AUTH_URL,
    ENV_KEY_ID,
    ENV_KEY_SECRET,
    ENV_PROJECT_ID,
    Endpoints,
    check_url,
    env,
    settings,
)
from .errors import ValidationError


@dataclass(frozen=True)
class ConnectionOptions:
    """Everything a connection needs except the Key Secret (see `credentials`)."""

    key_id: str | None
    project_id: str | None
    auth: str
    endpoints: Endpoints

    @property
    def env_secret_applies(self) -> bool:
        """Whether `SINCH_KEY_SECRET` is set and belongs to this Key ID."""
        return env(ENV_KEY_SECRET) is not None and self.key_id == env(ENV_KEY_ID)

    def credentials(self, key_secret: str | Secret | None = None) -> Credentials:
        """Credentials for this Key ID: the secret given, else the environment's own."""
        given = Secret.wrap(key_secret)
        del key_secret  # verbose tracebacks print arguments
        key_id = required(self.key_id, "key_id", ENV_KEY_ID)
        if given.given:
            return Credentials(key_id, given)
        if self.env_secret_applies:
            return Credentials(key_id, os.environ[ENV_KEY_SECRET].strip())
        if env(ENV_KEY_SECRET) is not None:
            raise ValidationError(
                "key_secret",
                f"is required for Key ID {key_id!r}: {ENV_KEY_SECRET} belongs to "
                f"{ENV_KEY_ID}={env(ENV_KEY_ID)!r} and is never sent with another Key ID",
            )
        raise ValidationError(
            "key_secret", f"is required: pass key_secret= or set {ENV_KEY_SECRET}"
        )


@dataclass(frozen=True)
class GivenOptions:
    """The connection options a caller gave (None: not given), as one value.

    Faces pass this along (`sn.connect`, `%sinch login`, the panel and its Connect form)
    instead of forwarding six keywords by hand; `resolve()` applies the precedence above.
    """

    key_id: str | None = None
    project_id: str | None = None
    auth: str | None = None
    auth_url: str | None = None
    api_url: str | None = None
    api_version: str | None = None

    def resolve(self) -> ConnectionOptions:
        return resolve_connection(**asdict(self))


def required(value: str | None, field: str, env_name: str) -> str:
    if not value:
        raise ValidationError(field, f"is required: pass {field}= or set {env_name}")
    return value


def resolve_connection(
    *,
    key_id: str | None = None,
    project_id: str | None = None,
    auth: str | None = None,
    auth_url: str | None = None,
    api_url: str | None = None,
    api_version: str | None = None,
) -> ConnectionOptions:
    """The options by the precedence in the module docstring (None = not given)."""

    def given(value: str | None) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ValidationError("connection option", f"must be text, got {type(value).__name__}")
        return value

    mode = given(auth) or env(ENV_AUTH_MODE) or "oauth"
    if mode not in AUTH_MODES:
        raise ValidationError("auth", f"must be one of {', '.join(AUTH_MODES)}, got {mode!r}")
    version = given(api_version) or settings().api_version
    if version not in API_VERSIONS:
        raise ValidationError("api_version", f"must be one of {', '.join(API_VERSIONS)}")
    return ConnectionOptions(
        key_id=given(key_id) if key_id is not None else env(ENV_KEY_ID),
        project_id=given(project_id) if project_id is not None else env(ENV_PROJECT_ID),
        auth=mode,
        endpoints=Endpoints(
            auth_url=check_url(
                given(auth_url) or env(ENV_AUTH_URL) or DEFAULT_AUTH_URL, "auth_url"
            ),
            api_url=check_url(given(api_url) or env(ENV_API_URL) or DEFAULT_API_URL, "api_url"),
            api_version=version,
        ),
    )


def _pick(value: str | None, env_name: str, default: str) -> str:
    return value if value is not None else env(env_name) or default
