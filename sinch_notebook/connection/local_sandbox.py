"""The process-wide local sandbox that the faces share (`%sinch login --sandbox`, the panel's
"Use sandbox", `sn.connect_or_sandbox()`).

It sits above both the sandbox (the server) and the connection (the client side), so neither of
those imports the other.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..config import (
    CREDENTIAL_VARS,
    ENV_API_URL,
    env,
    has_env_credentials,
    is_loopback_host,
)
from ..errors import ValidationError
from ..public import public
from ..sandbox import DEMO_SUBPROJECTS, Sandbox
from .active import connect

if TYPE_CHECKING:
    from ..client import SubprojectsClient

_sandbox: Sandbox | None = None
_lock = threading.Lock()


def start_local_sandbox(**options: Any) -> Sandbox:
    """Start the process's sandbox (demo account by default), or return the running one."""
    global _sandbox
    with _lock:
        if _sandbox is None or not _sandbox.running:
            options.setdefault("subprojects", DEMO_SUBPROJECTS)
            _sandbox = Sandbox(**options).start()
        return _sandbox


def local_sandbox() -> Sandbox | None:
    """The running process sandbox, if any."""
    current = _sandbox
    return current if current is not None and current.running else None


def stop_local_sandbox() -> bool:
    """Stop the process sandbox; False when none was running."""
    global _sandbox
    with _lock:
        current, _sandbox = _sandbox, None
    if current is None or not current.running:
        return False
    current.stop()
    return True


def environment_sandbox() -> str | None:
    """The API URL of the sandbox that complete `SINCH_*` credentials point at on this machine
    (the one `sinch-notebook demo` or Binder started for the kernels), else None."""
    url = env(ENV_API_URL)
    if url and has_env_credentials() and is_loopback_host(urlsplit(url).hostname):
        return url
    return None


def connect_to(sandbox: Sandbox, **kwargs: Any) -> SubprojectsClient:
    """`sandbox.connect()`: a client for a sandbox's main account (`sn.connect` arguments may
    override), from the `SINCH_*` values that point at it."""
    given = sandbox.env()
    options: dict[str, Any] = {
        "key_id": given["SINCH_KEY_ID"],
        "key_secret": given["SINCH_KEY_SECRET"],
        "project_id": given["SINCH_PROJECT_ID"],
        "auth_url": given["SINCH_AUTH_URL"],
        "api_url": given["SINCH_API_URL"],
    }
    options.update(kwargs)
    return connect(**options)


def connect_local_sandbox(**connect_options: Any) -> SubprojectsClient:
    """Connect to a local sandbox's demo account (the active connection unless activate=False).

    Which one: the sandbox this process started, else the one `SINCH_*` point at (the demo's or
    Binder's: its account with its changes, rather than a second, fresh copy that looks the
    same but for the port), else a new one in this process.
    """
    if local_sandbox() is None and environment_sandbox() is not None:
        return connect(**connect_options)
    return start_local_sandbox().connect(**connect_options)


@public
def connect_or_sandbox(*, quiet: bool = False, **options: Any) -> SubprojectsClient:
    """Your account when `SINCH_*` credentials are set, else the local sandbox's demo account.

    The example notebooks start with this, so they run unchanged anywhere: offline against the
    sandbox, or against a real project. It prints one line saying which it connected to (never
    the secret) unless `quiet`. Half-set credentials are an error rather than a silent sandbox:
    a forgotten export should not look like a working connection to the wrong account.
    """
    names = CREDENTIAL_VARS
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
