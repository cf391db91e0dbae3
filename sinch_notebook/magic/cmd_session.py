"""Connection commands: login, logout, status, panel, sandbox.

There is deliberately no option that takes the Key Secret: magic lines are saved in the notebook
and in IPython's history. The secret comes from `SINCH_KEY_SECRET`, the panel, or `getpass`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
from typing import TYPE_CHECKING, Any

from ..auth import TokenAuth, forget_token_source
from ..config import (
    API_VERSIONS,
    ENV_API_URL,
    ENV_KEY_ID,
    ENV_KEY_SECRET,
    ENV_PROJECT_ID,
    env,
    has_env_credentials,
)
from ..connection import active as connection
from ..connection.local_sandbox import (
    connect_local_sandbox,
    environment_sandbox,
    local_sandbox,
    start_local_sandbox,
    stop_local_sandbox,
)
from ..connection.options import ConnectionOptions, GivenOptions
from ..errors import ValidationError
from ..sandbox import DEMO_SUBPROJECTS
from .cmd_connections import add_login_options, connection_name, save_after_login
from .command import Command, no_arguments
from .errors import MagicError
from .interaction import ask, ask_secret, can_ask, in_kernel, panel_available
from .parsing import bounded_int, seconds
from .views import SandboxStatus, StatusView

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from .context import Context


# -- login -----------------------------------------------------------------------------------


def _login_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key-id", metavar="ID", help=f"access key ID (default: ${ENV_KEY_ID})")
    parser.add_argument(
        "--project-id", metavar="ID", help=f"parent project ID (default: ${ENV_PROJECT_ID})"
    )
    parser.add_argument(
        "--basic", action="store_true", help="HTTP Basic auth instead of OAuth2 (for testing)"
    )
    parser.add_argument("--api-url", metavar="URL", help="API base URL (default: Sinch's)")
    parser.add_argument("--auth-url", metavar="URL", help="token endpoint URL (default: Sinch's)")
    parser.add_argument(
        "--api-version", choices=API_VERSIONS, help="default: %%config Sinch.api_version"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="a local sandbox's demo account: the one SINCH_* point at on this machine (the "
        "demo's, Binder's), else one started in this kernel",
    )
    add_login_options(parser)


LOGIN_EPILOG = f"""\
Where the Key Secret comes from: a --profile's entry in the OS keychain; ${ENV_KEY_SECRET} when
it is set for this Key ID; otherwise the connect panel in Jupyter, or a hidden prompt in
terminal IPython. No option takes the secret, so it never lands in the notebook or its history.
Each login opens a named connection (%sinch connections, %sinch use NAME)."""


def _status(client: SubprojectsClient | None) -> StatusView:
    return StatusView.of(client)


def _login_sandbox(ctx: Context, args: argparse.Namespace) -> StatusView:
    extra = [
        flag
        for flag, value in (
            ("--key-id", args.key_id),
            ("--project-id", args.project_id),
            ("--api-url", args.api_url),
            ("--auth-url", args.auth_url),
            ("--profile", args.profile),
            ("--save-as", args.save_as),
        )
        if value
    ]
    if extra:
        raise MagicError(f"--sandbox uses the local demo account; drop {', '.join(extra)}")
    shared = local_sandbox() is None and environment_sandbox() is not None
    client = connect_local_sandbox(
        auth="basic" if args.basic else "oauth", api_version=args.api_version, name=args.name
    )
    if shared:
        print(
            f"Connected to the sandbox that {ENV_API_URL} points at ({client.endpoints.api_url}):"
            " the one this Jupyter was started with, its account and its changes."
        )
    elif has_env_credentials():
        print(
            "This is the local sandbox in this kernel (its own demo data), separate from the "
            f"account the SINCH_* variables name (project {env(ENV_PROJECT_ID)!r} at "
            f"{env(ENV_API_URL) or 'Sinch'}); %sinch login connects to that one."
        )
    return _status(client)


def _login_panel(ctx: Context, args: argparse.Namespace, options: ConnectionOptions) -> Any:
    """The connect panel, filled in with what the command line gave; the secret is typed there."""
    widgets = importlib.import_module("sinch_notebook.widgets")
    print("Enter the Key Secret in the panel and press Connect (it is never saved).")
    chosen = {"profile": args.profile} if args.profile else {}
    if args.save_as:
        chosen["save_as"] = args.save_as
    return widgets.panel(
        **chosen,
        key_id=args.key_id,
        project_id=args.project_id,
        auth="basic" if args.basic else None,
        api_version=options.endpoints.api_version,
        api_url=args.api_url,
        auth_url=args.auth_url,
        namespace=ctx.shell.user_ns,
    )


def _need(ctx: Context, value: str | None, question: str, option: str, env_name: str) -> str:
    """`value`, else the user's answer, else an error saying where it can come from."""
    value = value or ask(ctx.shell, question)
    if not value:
        raise MagicError(f"no {question.rstrip(': ')}: pass {option} or set {env_name}")
    return value


def login(ctx: Context, args: argparse.Namespace) -> Any:
    if args.sandbox:
        return _login_sandbox(ctx, args)
    given = GivenOptions(
        args.key_id,
        args.project_id,
        "basic" if args.basic else None,
        args.auth_url,
        args.api_url,
        args.api_version,
        args.profile,
    )
    options = given.resolve()  # bad URLs and versions fail here, before anything is asked
    stored, problem = options.stored_credentials()
    if problem:
        print(f"No usable OS keychain ({problem}): the Key Secret must be entered.")
    if stored is None:
        if panel_available(ctx.shell):
            return _login_panel(ctx, args, options)
        if not can_ask(ctx.shell):
            if options.profile_secret_applies:
                raise MagicError(options.missing_secret(problem) + " (nobody can type it here)")
            raise MagicError(
                f"no credentials: set {ENV_KEY_ID}, {ENV_KEY_SECRET} and {ENV_PROJECT_ID} for "
                "this run (nobody can type the Key Secret here), or use --sandbox"
            )
    key_id = _need(ctx, options.key_id, "Key ID: ", "--key-id", ENV_KEY_ID)
    project_id = _need(ctx, options.project_id, "Project ID: ", "--project-id", ENV_PROJECT_ID)
    options = dataclasses.replace(options, key_id=key_id, project_id=project_id)
    if stored is not None and stored.key_id == key_id:
        credentials = stored
    elif options.env_secret_applies:
        credentials = options.credentials()
    else:
        # Straight into the credentials: no variable of this frame ever holds the secret.
        try:
            credentials = options.credentials(
                ask_secret(ctx.shell, f"Key Secret for {key_id}: ") or ""
            )
        except ValidationError:
            raise MagicError("no Key Secret was entered; not connected") from None
    client = connection.connect_with(options, credentials, name=connection_name(args, options))
    save_after_login(args, client, credentials)
    return _status(client)


# -- logout, status, panel -------------------------------------------------------------------


def _logout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", metavar="CONNECTION", nargs="?", help="a connection's name (default: the active)"
    )


def logout(ctx: Context, args: argparse.Namespace) -> None:
    name = getattr(args, "name", None)
    client = connection.disconnect(name)
    if client is None:
        print("Not connected.")
        return
    if isinstance(client.auth, TokenAuth):
        source = client.auth.source
        forget_token_source(source.credentials, source.token_url)
    print(f"Logged out of project {client.project_id!r}" + (f" ({name})." if name else "."))


def status(ctx: Context, args: argparse.Namespace) -> StatusView:
    return _status(connection.ensure_active())


def panel(ctx: Context, args: argparse.Namespace) -> Any:
    if not in_kernel(ctx.shell):
        raise MagicError(
            "the panel needs Jupyter (JupyterLab, Notebook, VS Code); here use %sinch login"
        )
    try:
        widgets = importlib.import_module("sinch_notebook.widgets")
    except ImportError as err:
        raise MagicError(f"the widget panel is not available ({err})") from None
    return widgets.panel(namespace=ctx.shell.user_ns)


# -- sandbox ---------------------------------------------------------------------------------

MAX_SANDBOX_SUBPROJECTS = 1_000_000
MAX_LATENCY = 60.0


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument(
        "--subprojects",
        type=bounded_int(0, MAX_SANDBOX_SUBPROJECTS),
        default=DEMO_SUBPROJECTS,
        metavar="N",
        help="demo subprojects to seed on start (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=bounded_int(0, 2**31 - 1), default=0, help="seed of the demo data on start"
    )
    parser.add_argument(
        "--latency",
        type=seconds(0.0, MAX_LATENCY),
        default=0.0,
        metavar="SECONDS",
        help=f"added to every request (0..{MAX_LATENCY:g})",
    )


def sandbox(ctx: Context, args: argparse.Namespace) -> SandboxStatus | None:
    if args.action == "start":
        running = local_sandbox()
        if running is not None:
            print("The local sandbox is already running (stop it first to change its options).")
            return SandboxStatus.of(running)
        started = start_local_sandbox(
            subprojects=args.subprojects, seed=args.seed, latency=args.latency
        )
        print("Connect to it with %sinch login --sandbox.")
        return SandboxStatus.of(started)
    if args.action == "stop":
        running = local_sandbox()
        client = connection.active()
        if running is not None and client is not None and client.endpoints.api_url == running.url:
            connection.disconnect()
            print("Logged out of the sandbox's demo account.")
        print("Local sandbox stopped." if stop_local_sandbox() else "No local sandbox was running.")
        return None
    return SandboxStatus.of(local_sandbox())


COMMANDS = [
    Command(
        "login",
        "connect: SINCH_* variables, else the panel (Jupyter) or a hidden prompt",
        _login_arguments,
        login,
        epilog=LOGIN_EPILOG,
    ),
    Command(
        "logout",
        "close a connection (default: the active one) and forget its token",
        _logout_arguments,
        logout,
    ),
    Command(
        "status",
        "project, auth, API URL and version, minutes until the token expires",
        no_arguments,
        status,
    ),
    Command("panel", "show the widget panel (Jupyter)", no_arguments, panel),
    Command("sandbox", "start|stop|status the local sandbox", _sandbox_arguments, sandbox),
]
