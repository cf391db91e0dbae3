"""Where settings come from: explicit arguments first, then `SINCH_*` environment variables.

Also the notebook settings object (`Sinch`, a traitlets Configurable) that the magic and the
panel share: `%config Sinch.page_size = 500`.

Also the one rule about where credentials may travel: never in clear text off this machine.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from traitlets import Bool, Enum, Int, Unicode, default, validate
from traitlets.config import Configurable

from .errors import InsecureTransportError, ValidationError, shown_location
from .models import parse_bool, validate_label_key

DEFAULT_AUTH_URL = "https://auth.sinch.com/oauth2/token"
DEFAULT_API_URL = "https://subproject.api.sinch.com"
API_VERSIONS = ("v1", "v1alpha1")
AUTH_MODES = ("oauth", "basic")

ENV_KEY_ID = "SINCH_KEY_ID"
ENV_KEY_SECRET = "SINCH_KEY_SECRET"
ENV_PROJECT_ID = "SINCH_PROJECT_ID"
ENV_AUTH_URL = "SINCH_AUTH_URL"
ENV_API_URL = "SINCH_API_URL"
ENV_API_VERSION = "SINCH_API_VERSION"
ENV_AUTH_MODE = "SINCH_AUTH"


def env(name: str) -> str | None:
    """An environment variable, with blank treated as unset."""
    value = os.environ.get(name, "").strip()
    return value or None


# The three variables that make a complete set of credentials: all or none of them.
CREDENTIAL_VARS = (ENV_KEY_ID, ENV_KEY_SECRET, ENV_PROJECT_ID)


def has_env_credentials() -> bool:
    return all(env(n) for n in CREDENTIAL_VARS)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, field_name: str) -> str:
    """A usable base URL; plain http is allowed only to this machine (it carries credentials).

    A query, a fragment or user info in it would be silently mangled when paths are appended
    (or would carry credentials of their own), so they are refused. A message shows the URL as
    scheme, host, port and path only (`shown_location`): never its user info or query.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(field_name, "must be an http(s) URL")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValidationError(
            field_name, "is not a valid URL (its host or port cannot be read)"
        ) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(field_name, f"must be an http(s) URL, got {shown_location(url)}")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            field_name, "must not contain user info (user:password@); credentials go elsewhere"
        )
    if parts.query or url.strip().endswith("?"):
        raise ValidationError(field_name, "must not have a query string (?...)")
    if parts.fragment or "#" in url:
        raise ValidationError(field_name, "must not have a fragment (#...)")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise InsecureTransportError(
            field_name,
            f"refusing to send credentials over plain http to {host}; "
            "use https (plain http is allowed only to localhost/127.0.0.1)",
        )
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class Endpoints:
    """Token endpoint, API base URL and API version (`options.resolve_connection` makes them
    from arguments, settings and the environment, validated)."""

    auth_url: str = DEFAULT_AUTH_URL
    api_url: str = DEFAULT_API_URL
    api_version: str = "v1"


# -- notebook settings: `%config Sinch.<name> = ...` -------------------------------------------

ENV_PAGE_SIZE = "SINCH_PAGE_SIZE"
ENV_WORKERS = "SINCH_WORKERS"
ENV_CONFIRM_DELETES = "SINCH_CONFIRM_DELETES"
ENV_DISPLAY_LIMIT = "SINCH_DISPLAY_LIMIT"
ENV_SHORT_ERRORS = "SINCH_SHORT_ERRORS"
ENV_HISTORY = "SINCH_HISTORY"
ENV_PROTECT_LABEL = "SINCH_PROTECT_LABEL"
ENV_POLICY = "SINCH_POLICY"
DEFAULT_PROTECT_LABEL = "protected"
SETTINGS_ENV = (
    ENV_PAGE_SIZE,
    ENV_WORKERS,
    ENV_API_VERSION,
    ENV_CONFIRM_DELETES,
    ENV_DISPLAY_LIMIT,
    ENV_SHORT_ERRORS,
    ENV_HISTORY,
    ENV_PROTECT_LABEL,
    ENV_POLICY,
)
MAX_WORKERS = 64


def env_int(name: str, default: int, low: int, high: int) -> int:
    """An integer setting from the environment; a bad value names the variable and the rule."""
    raw = env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValidationError(name, f"must be an integer from {low} to {high}, got {raw!r}")
    return value


def env_bool(name: str, default: bool) -> bool:
    """A boolean setting from the environment, by the package's one boolean rule."""
    raw = env(name)
    return default if raw is None else parse_bool(raw, name)


class Sinch(Configurable):
    """Settings shared by the `%sinch` magic and the widget panel.

    Change them with `%config Sinch.page_size = 500` (or `c.Sinch.page_size` in an IPython
    profile); the defaults come from `SINCH_PAGE_SIZE`, `SINCH_WORKERS`, `SINCH_API_VERSION`,
    `SINCH_CONFIRM_DELETES`, `SINCH_DISPLAY_LIMIT`, `SINCH_SHORT_ERRORS`, `SINCH_HISTORY`,
    `SINCH_PROTECT_LABEL` and `SINCH_POLICY` when they are set.
    """

    page_size = Int(
        min=1, max=1000, help="Subprojects fetched per request when listing (1..1000)."
    ).tag(config=True)
    workers = Int(
        min=1, max=MAX_WORKERS, help="Parallel requests when applying a plan or creating many."
    ).tag(config=True)
    api_version = Enum(
        API_VERSIONS, help="API version for new connections: v1, or the deprecated v1alpha1."
    ).tag(config=True)
    confirm_deletes = Bool(
        help="Ask before deleting (`--yes` skips the question); False never asks."
    ).tag(config=True)
    display_limit = Int(
        min=0, help="Rows shown of a listing (the DataFrame keeps every row); 0 shows all."
    ).tag(config=True)
    short_errors = Bool(
        help="Show errors as one line; False shows the full traceback (for debugging)."
    ).tag(config=True)
    history = Unicode(
        help="The account history store: a SQLite file, or postgresql://host/db for a team's "
        "(no password in it: libpq's ~/.pgpass, PGPASSWORD or a service file); empty: the "
        "profile's, else .sinch/history.sqlite under the working directory."
    ).tag(config=True)

    protect_label = Unicode(
        help="The label key that protects a subproject (`<key>=true`): deleting or renaming "
        "it is refused unless allowed explicitly."
    ).tag(config=True)
    policy = Unicode(
        help="A label policy (YAML file) that plans are held to and `sn.compliance` reports "
        "on; empty: none."
    ).tag(config=True)

    @default("page_size")
    def _page_size_default(self) -> int:
        return env_int(ENV_PAGE_SIZE, 1000, 1, 1000)

    @default("workers")
    def _workers_default(self) -> int:
        return env_int(ENV_WORKERS, 8, 1, MAX_WORKERS)

    @default("api_version")
    def _api_version_default(self) -> str:
        version = env(ENV_API_VERSION) or "v1"
        if version not in API_VERSIONS:
            raise ValidationError(ENV_API_VERSION, f"must be one of {', '.join(API_VERSIONS)}")
        return version

    @default("confirm_deletes")
    def _confirm_deletes_default(self) -> bool:
        return env_bool(ENV_CONFIRM_DELETES, True)

    @default("display_limit")
    def _display_limit_default(self) -> int:
        return env_int(ENV_DISPLAY_LIMIT, 20, 0, 10**9)

    @default("short_errors")
    def _short_errors_default(self) -> bool:
        return env_bool(ENV_SHORT_ERRORS, True)

    @default("history")
    def _history_default(self) -> str:
        return env(ENV_HISTORY) or ""

    @default("protect_label")
    def _protect_label_default(self) -> str:
        key = env(ENV_PROTECT_LABEL) or DEFAULT_PROTECT_LABEL
        return validate_label_key(key, ENV_PROTECT_LABEL)

    @validate("protect_label")
    def _check_protect_label(self, proposal: dict) -> str:
        return validate_label_key(proposal["value"], "Sinch.protect_label")

    @default("policy")
    def _policy_default(self) -> str:
        return env(ENV_POLICY) or ""


_settings: Sinch | None = None
_settings_lock = threading.Lock()


def settings() -> Sinch:
    """The one settings object of this process (the magic and the panel read the same one)."""
    global _settings
    with _settings_lock:
        if _settings is None:
            _settings = Sinch()
        return _settings


def reset_settings() -> None:
    """Forget the shared settings: the next `settings()` reads the environment afresh."""
    global _settings
    with _settings_lock:
        _settings = None


# A saved profile may name the history store (its `history` field). Profiles belong to the
# connection wing, which the core never imports: that wing tells the core here how to read the
# field (connection/profiles.py registers it when it is loaded).
_profile_history: list[Callable[[str | None], str | None]] = []


def set_profile_history(lookup: Callable[[str | None], str | None]) -> None:
    """How to read a profile's `history` field (`None`: the profile in use, if any)."""
    _profile_history[:] = [lookup]


def profile_history(profile: str | None = None) -> str | None:
    """The history store the profile names (`None`: the default profile's), or None."""
    return _profile_history[0](profile) if _profile_history else None
