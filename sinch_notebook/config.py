"""Where settings come from: explicit arguments first, then `SINCH_*` environment variables.

Also the one rule about where credentials may travel: never in clear text off this machine.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InsecureTransportError, ValidationError

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


def has_env_credentials() -> bool:
    return all(env(n) for n in (ENV_KEY_ID, ENV_KEY_SECRET, ENV_PROJECT_ID))


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
    """A usable base URL; plain http is allowed only to this machine (it carries credentials)."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(field_name, "must be an http(s) URL")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(field_name, f"must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InsecureTransportError(
            field_name,
            f"refusing to send credentials over plain http to {parts.hostname}; "
            "use https (plain http is allowed only to localhost/127.0.0.1)",
        )
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class Endpoints:
    """Token endpoint, API base URL and API version, validated."""

    auth_url: str = DEFAULT_AUTH_URL
    api_url: str = DEFAULT_API_URL
    api_version: str = "v1"

    @classmethod
    def resolve(
        cls,
        auth_url: str | None = None,
        api_url: str | None = None,
        api_version: str | None = None,
    ) -> Endpoints:
        version = api_version or env(ENV_API_VERSION) or "v1"
        if version not in API_VERSIONS:
            raise ValidationError("api_version", f"must be one of {', '.join(API_VERSIONS)}")
        return cls(
            auth_url=check_url(auth_url or env(ENV_AUTH_URL) or DEFAULT_AUTH_URL, "auth_url"),
            api_url=check_url(api_url or env(ENV_API_URL) or DEFAULT_API_URL, "api_url"),
            api_version=version,
        )
