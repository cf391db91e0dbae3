"""Several connections and saved profiles: `connections`, `use NAME`, `profiles`, and the
`--profile`, `--save-as` and `--name` options that `login` takes (one definition, used there).

Each is one call into the core (`connection`, `connections`, `profile_store`); no rule lives
here.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..connection import active as connection
from ..connection import profiles as profile_store
from .command import Command
from .parsing import add_output
from .views import StatusView

if TYPE_CHECKING:
    from ..auth import Credentials
    from ..client import SubprojectsClient
    from ..connection.options import ConnectionOptions
    from .context import Context


def add_login_options(parser: argparse.ArgumentParser) -> None:
    """What `%sinch login` takes for profiles and named connections."""
    parser.add_argument(
        "--profile",
        metavar="PROFILE",
        help="connect with a saved profile (%%sinch profiles lists them)",
    )
    parser.add_argument(
        "--save-as",
        metavar="PROFILE",
        type=_profile_name,
        help="once connected, save this connection as a profile (the keychain keeps the key)",
    )
    parser.add_argument(
        "--name",
        metavar="NAME",
        type=_connection_name,
        help="the connection's name (default: the profile's, else the project id)",
    )


def _profile_name(text: str) -> str:
    try:
        return profile_store.check_name(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _connection_name(text: str) -> str:
    from ..connection.registry import check_name

    try:
        return check_name(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def connection_name(args: argparse.Namespace, options: ConnectionOptions) -> str | None:
    """The name a login's connection gets: --name, else the profile's (else the project id)."""
    return args.name or (options.profile.name if options.profile else None)


def save_after_login(
    args: argparse.Namespace, client: SubprojectsClient, credentials: Credentials
) -> None:
    """`--save-as NAME`: the connection that just worked becomes a profile; one line says
    where its secret went."""
    if not args.save_as:
        return
    saved = profile_store.save_connection(args.save_as, client, credentials)
    print(saved.line())


# -- connections, use, profiles ----------------------------------------------------------------


def _frame_arguments(parser: argparse.ArgumentParser) -> None:
    add_output(parser, "the DataFrame")


def _shown(ctx: Context, args: argparse.Namespace, frame: Any, when_empty: str) -> Any:
    """Store the frame for `-o`; an empty one is said in one line (what to do) instead."""
    ctx.store(args.output, frame)
    if frame.empty:
        print(when_empty)
        return None
    return frame


def connections(ctx: Context, args: argparse.Namespace) -> Any:
    return _shown(
        ctx,
        args,
        connection.connections(),
        "No connections: %sinch login (or --profile NAME, or --sandbox) opens one.",
    )


def _use_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="CONNECTION", help="a connection's name")


def use(ctx: Context, args: argparse.Namespace) -> StatusView:
    return StatusView.of(connection.use(args.name))


def profiles(ctx: Context, args: argparse.Namespace) -> Any:
    frame = profile_store.frame()
    return _shown(
        ctx,
        args,
        frame,
        f"No saved profiles in {profile_store.config_path()}: %sinch login ... --save-as "
        "NAME, sn.save_profile(...) or sinch-notebook profile add NAME saves one.",
    )


COMMANDS = [
    Command(
        "connections",
        "the open connections (name, project, auth, API URL, which is active)",
        _frame_arguments,
        connections,
    ),
    Command("use", "make another open connection the active one", _use_arguments, use),
    Command("profiles", "the saved profiles (never a secret)", _frame_arguments, profiles),
]
