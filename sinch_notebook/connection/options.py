"""Connection options: where each one comes from, resolved in one place for every face.

Precedence, the same for `sn.connect()`, `%sinch login`, the panel's Connect tab and the
command line, first to last:

1. what the caller gives (an argument, a magic option, a field of the panel);
2. a profile named explicitly (`profile="prod"`, `--profile prod`, the panel's picker);
3. the `SINCH_*` environment variables;
4. the default profile (`SINCH_PROFILE`, else the one marked `default = true`), when neither
   the caller nor `SINCH_KEY_ID` gives a Key ID;
5. the shared notebook settings for the API version (`%config Sinch.api_version`, whose own
   default is `SINCH_API_VERSION`), and Sinch's defaults (OAuth2, `v1`, Sinch's URLs).

A profile is taken whole: `SINCH_*` never fills in a field the profile leaves out (a profile
without `api_url` means Sinch's API, not `SINCH_API_URL`), so a profile's Key ID is never sent
to a URL the profile did not name.

A Key Secret only ever travels with its own Key ID: the environment's with `SINCH_KEY_ID`, a
profile's (from the OS keychain, see `profiles.py`) with that profile's Key ID. A Key ID typed
in the panel or given to `%sinch login --key-id` never travels with either. Where several
secrets could apply, the same order holds: the one given, then the explicit profile's, then
the environment's, then the default profile's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..auth import Credentials, Secret
from ..config import (
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
from ..errors import ValidationError
from . import profiles as saved


@dataclass(frozen=True)
class ConnectionOptions:
    """Everything a connection needs except the Key Secret (see `credentials`)."""

    key_id: str | None
    project_id: str | None
    auth: str
    endpoints: Endpoints
    profile: saved.Profile | None = None  # the profile that gave values (explicit or default)
    profile_explicit: bool = False  # named by the caller (outranks SINCH_*), or the default

    @property
    def env_secret_applies(self) -> bool:
        """Whether `SINCH_KEY_SECRET` is set and belongs to this Key ID."""
        return env(ENV_KEY_SECRET) is not None and self.key_id == env(ENV_KEY_ID)

    @property
    def profile_secret_applies(self) -> bool:
        """Whether the profile's keychain secret may go with this Key ID (it is the profile's)."""
        return self.profile is not None and self.key_id == self.profile.key_id

    def stored_credentials(
        self, *, unattended: bool = False
    ) -> tuple[Credentials | None, str | None]:
        """Credentials that need nobody to type a secret, by the secret precedence: the
        explicit profile's keychain entry, the environment's, the default profile's.
        `unattended` (a command that never asks: cron, `apply --yes`) takes the environment's
        secret for this Key ID first, without touching the keychain (which may wait for an
        unlock nobody sees). Returns (credentials, None), or (None, why the keychain could not
        be used / None)."""
        problem = None
        if unattended and self.env_secret_applies:
            return Credentials(self.key_id, os.environ[ENV_KEY_SECRET].strip()), None
        if self.profile_secret_applies and self.profile_explicit:
            found, problem = saved.stored_credentials(self.profile)
            if found is not None:
                return found, None
        if self.env_secret_applies:
            return Credentials(self.key_id, os.environ[ENV_KEY_SECRET].strip()), None
        if self.profile_secret_applies and not self.profile_explicit:
            found, problem = saved.stored_credentials(self.profile)
            if found is not None:
                return found, None
        return None, problem

    def missing_secret(self, problem: str | None) -> str:
        """Why no secret is at hand and how to give one (one line, for the faces)."""
        if self.profile_secret_applies:
            where = (
                f"the OS keychain could not be used ({problem})"
                if problem
                else "the OS keychain has none for it"
            )
            return (
                f"no Key Secret for profile {self.profile.name!r}: {where}; set "
                f"{ENV_KEY_SECRET} (with {ENV_KEY_ID}={self.key_id}) or save it with "
                f"sinch-notebook profile add {self.profile.name}"
            )
        if env(ENV_KEY_SECRET) is not None:
            return (
                f"no Key Secret for Key ID {self.key_id!r}: {ENV_KEY_SECRET} belongs to "
                f"{ENV_KEY_ID}={env(ENV_KEY_ID)!r} and is never sent with another Key ID"
            )
        return f"no Key Secret: set {ENV_KEY_SECRET} or save a profile with its secret"

    def credentials(self, key_secret: str | Secret | None = None) -> Credentials:
        """Credentials for this Key ID: the secret given, else a stored one by the secret
        precedence (`stored_credentials`); else a `ValidationError` saying how to give one."""
        given = Secret.wrap(key_secret)
        del key_secret  # verbose tracebacks print arguments
        key_id = required(self.key_id, "key_id", ENV_KEY_ID)
        if given.given:
            return Credentials(key_id, given)
        found, problem = self.stored_credentials()
        if found is not None:
            return found
        if self.profile_secret_applies:
            raise ValidationError("key_secret", self.missing_secret(problem))
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
    profile: str | None = None  # a saved profile's name (see the precedence above)

    def resolve(self) -> ConnectionOptions:
        """The options by the precedence in the module docstring (None = not given)."""

        def given(value: str | None) -> str | None:
            if value is not None and not isinstance(value, str):
                raise ValidationError(
                    "connection option", f"must be text, got {type(value).__name__}"
                )
            return value

        named = saved.get(given(self.profile)) if self.profile is not None else None
        if named is None and self.key_id is None and not env(ENV_KEY_ID):
            named = saved.default_profile()  # read only when it is the one source of a Key ID
            explicit = False
        else:
            explicit = named is not None

        def pick(value: str | None, field: str, env_value: str | None) -> str | None:
            """One field: given, else the profile's (taken whole: SINCH_* never fills a field a
            profile leaves out, so its Key ID never goes to a URL it did not name), else SINCH_*."""
            if value is not None:
                return given(value)
            if named is not None:
                return getattr(named, field)
            return env_value

        mode = pick(self.auth or None, "auth", env(ENV_AUTH_MODE)) or "oauth"
        if mode not in AUTH_MODES:
            raise ValidationError("auth", f"must be one of {', '.join(AUTH_MODES)}, got {mode!r}")
        version = pick(self.api_version or None, "api_version", None) or settings().api_version
        if version not in API_VERSIONS:
            raise ValidationError("api_version", f"must be one of {', '.join(API_VERSIONS)}")
        return ConnectionOptions(
            key_id=pick(self.key_id, "key_id", env(ENV_KEY_ID)),
            project_id=pick(self.project_id, "project_id", env(ENV_PROJECT_ID)),
            auth=mode,
            endpoints=Endpoints(
                auth_url=check_url(
                    pick(self.auth_url or None, "auth_url", env(ENV_AUTH_URL)) or DEFAULT_AUTH_URL,
                    "auth_url",
                ),
                api_url=check_url(
                    pick(self.api_url or None, "api_url", env(ENV_API_URL)) or DEFAULT_API_URL,
                    "api_url",
                ),
                api_version=version,
            ),
            profile=named,
            profile_explicit=explicit,
        )


def required(value: str | None, field: str, env_name: str) -> str:
    if not value:
        raise ValidationError(field, f"is required: pass {field}= or set {env_name}")
    return value


def resolve_connection(**given: str | None) -> ConnectionOptions:
    """`GivenOptions(**given).resolve()`: the options by the precedence above."""
    return GivenOptions(**given).resolve()
