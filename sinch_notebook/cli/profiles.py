"""`sinch-notebook profile add|list|remove` and `sinch-notebook snapshot`: saved profiles and
scheduled snapshots from a terminal, cron or a systemd timer.

The Key Secret is typed at a hidden prompt (`getpass`), never taken as an argument: command
lines are visible to every user of the machine (`ps`) and land in shell history. `snapshot`
never asks anything: a missing secret is an error that says how to provide it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from ..config import API_VERSIONS, ENV_KEY_ID, ENV_KEY_SECRET, ENV_PROJECT_ID
from ..connection import profiles as profile_store
from ..errors import SinchError
from .help import with_help_when_alone

EXIT_FAILED = 1
EXIT_NO_SECRET = 2


def _fail(command: str, message: str, status: int = EXIT_FAILED) -> int:
    print(f"sinch-notebook {command}: {message}", file=sys.stderr)
    return status


def _terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


# -- profile add | list | remove -------------------------------------------------------------


def run_profile_add(args: argparse.Namespace) -> int:
    try:
        profile_store.check_name(args.name)
        key_id = args.key_id or (_terminal() and input("Key ID: ").strip()) or None
        project_id = args.project_id or (_terminal() and input("Project ID: ").strip()) or None
        if not key_id or not project_id:
            missing = "--key-id" if not key_id else "--project-id"
            return _fail("profile add", f"give {missing} (no terminal to ask it at)")
        secret = None
        keychain = _keychain_problem(args.name, key_id) if not args.no_secret else None
        if keychain == profile_store.NO_KEYCHAIN:
            print(
                f"Note: {keychain}, so the profile is saved without its Key Secret: it is asked "
                f"for now only to check the key. Afterwards {profile_store.INSTEAD}.",
                file=sys.stderr,
            )
        if not args.no_secret:
            if not _terminal():
                return _fail(
                    "profile add",
                    "no terminal to type the Key Secret at (it is never an argument): run it "
                    f"in a terminal, or add --no-secret and set {ENV_KEY_SECRET} where it runs",
                )
            secret = getpass.getpass(f"Key Secret for {key_id} (hidden): ") or None
            if secret is None:
                return _fail("profile add", "no Key Secret was typed; nothing saved")
        options: dict[str, Any] = {
            "key_id": key_id,
            "project_id": project_id,
            "auth": "basic" if args.basic else "oauth",
            "api_url": args.api_url,
            "auth_url": args.auth_url,
            "api_version": args.api_version,
            "history": args.history,
        }
        if secret is not None and not args.no_check:
            _check(options, secret)
        if keychain == profile_store.NO_KEYCHAIN:
            secret = None  # checked; nowhere to keep it (never a plain-text file)
        saved = profile_store.save(args.name, key_secret=secret, default=args.default, **options)
        del secret
    except (SinchError, ValueError) as err:
        return _fail("profile add", str(err))
    except (KeyboardInterrupt, EOFError):
        print(file=sys.stderr)
        return _fail("profile add", "cancelled; nothing saved")
    print(saved.line())
    return 0


def _keychain_problem(name: str, key_id: str) -> str | None:
    """Why the OS keychain cannot be used here (None: it can), asked before the secret is."""
    probe = profile_store.Profile(name=name, key_id=key_id, project_id="")
    credentials, problem = profile_store.KEYCHAIN.fetch(probe)
    del credentials
    return problem


def _check(options: dict[str, Any], secret: str) -> None:
    """One cheap call with the typed secret, so a typo is found now, not by tonight's cron."""
    from ..connection.active import connect

    connection = {k: v for k, v in options.items() if k != "history"}
    client = connect(key_secret=secret, activate=False, **connection)
    del secret
    client.close()


def run_profile_list(args: argparse.Namespace) -> int:
    try:
        frame = profile_store.frame()
    except SinchError as err:
        return _fail("profile list", str(err))
    if frame.empty:
        print(f"No saved profiles in {profile_store.config_path()}.")
        return 0
    print(frame.fillna("").to_string(index=False))
    return 0


def run_profile_remove(args: argparse.Namespace) -> int:
    try:
        print(profile_store.delete(args.name))
    except SinchError as err:
        return _fail("profile remove", str(err))
    return 0


def add_profile_parser(commands: Any) -> None:
    profile = commands.add_parser(
        "profile", help="saved connection profiles (the Key Secret in the OS keychain)"
    )
    actions = with_help_when_alone(profile)
    add = actions.add_parser(
        "add",
        help="save (or replace) a profile; the Key Secret is asked at a hidden prompt",
        description="Save a profile. The Key Secret is typed at a hidden prompt and kept in the "
        "OS keychain; without a usable keychain the profile is saved without it.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--key-id", metavar="ID", help="access key ID (asked when missing)")
    add.add_argument("--project-id", metavar="ID", help="parent project ID (asked when missing)")
    add.add_argument("--basic", action="store_true", help="HTTP Basic instead of OAuth2")
    add.add_argument("--api-url", metavar="URL", help="API base URL (default: Sinch's)")
    add.add_argument("--auth-url", metavar="URL", help="token endpoint (default: Sinch's)")
    add.add_argument("--api-version", choices=API_VERSIONS)
    add.add_argument(
        "--history",
        metavar="PATH_OR_URL",
        help="the account history store for this profile: a path or postgresql://host/db "
        "(no password in it: ~/.pgpass, PGPASSWORD or a service file give that)",
    )
    add.add_argument("--default", action="store_true", help="the profile used when none is named")
    add.add_argument(
        "--no-secret",
        action="store_true",
        help=f"save no secret ({ENV_KEY_SECRET} with {ENV_KEY_ID} provides it where it runs)",
    )
    add.add_argument(
        "--no-check", action="store_true", help="do not check the key with the API first"
    )
    add.set_defaults(run=run_profile_add)
    listing = actions.add_parser("list", help="the saved profiles (never a secret)")
    listing.set_defaults(run=run_profile_list)
    remove = actions.add_parser("remove", help="remove a profile and its keychain entry")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=run_profile_remove)


# -- snapshot --------------------------------------------------------------------------------


class MissingSecret(SinchError):
    """No Key Secret for a command that never asks (cron, timers, `apply --yes`)."""


def connect_stored(profile: str | None, command: str) -> Any:
    """A connection from a saved profile or `SINCH_*` (the one precedence in `options.py`)
    that never asks: without a secret, `MissingSecret` says how to give one."""
    from ..connection.active import connect_with
    from ..connection.options import resolve_connection

    options = resolve_connection(profile=profile)
    credentials, problem = options.stored_credentials(unattended=True)
    if credentials is None:
        raise MissingSecret(_no_secret(options, problem, command))
    if not options.project_id:
        raise SinchError(
            f"no parent project ID: set {ENV_PROJECT_ID}, or name a saved profile that has one "
            "(--profile NAME)"
        )
    return connect_with(options, credentials, verify=False, activate=False)


def run_snapshot(args: argparse.Namespace) -> int:
    """Take one snapshot, print one line, exit 0; any failure is one line on stderr, exit > 0."""
    from ..account_history import diff, snapshot
    from ..account_history.store import default_location

    if args.print_cron:
        return print_cron(args)
    try:
        client = connect_stored(args.profile, "snapshot")
        taken = snapshot(client, store=args.store or default_location(args.profile))
        since = "the project's first snapshot"
        if taken.previous is not None:
            summary = diff(taken.previous, taken.id, taken.store).summary()
            counted = ", ".join(f"{n} {kind}" for kind, n in summary.items() if n)
            since = f"since snapshot {taken.previous}: {counted or 'no changes'}"
    except MissingSecret as err:
        return _fail("snapshot", str(err), EXIT_NO_SECRET)
    except SinchError as err:
        return _fail("snapshot", str(err))
    except KeyboardInterrupt:
        return _fail("snapshot", "interrupted; no snapshot was stored", 130)
    print(
        f"snapshot {taken.id} at {taken.time:%Y-%m-%d %H:%M:%S} UTC of project {taken.project}: "
        f"{taken.subprojects} subprojects ({taken.deleted} deleted); {since}",
        flush=True,
    )
    return 0


def print_cron(args: argparse.Namespace) -> int:
    """Print the crontab line of this snapshot command (see `cron.py`); take no snapshot."""
    from ..account_history.store import default_path
    from ..connection.options import resolve_connection
    from .cron import ENV_FILE, cron_text

    try:
        credentials, _problem = resolve_connection(profile=args.profile).stored_credentials()
    except SinchError as err:
        return _fail("snapshot", str(err))
    # A secret from this shell's SINCH_KEY_SECRET is not cron's; only the keychain's could be.
    from_keychain = credentials is not None and os.environ.get(ENV_KEY_SECRET) is None
    del credentials
    env_file = Path(args.env_file) if args.env_file else None
    if env_file is None and not from_keychain:
        env_file = profile_store.config_path().parent / ENV_FILE
    store = Path(args.store) if args.store else default_path()
    print(
        cron_text(
            store, profile=args.profile, env_file=env_file, env_file_needed=not from_keychain
        ),
        end="",
    )
    return 0


def _no_secret(options: Any, problem: str | None, command: str) -> str:
    if options.key_id is None:
        return (
            "no credentials: name a saved profile (--profile NAME), or set SINCH_KEY_ID, "
            "SINCH_KEY_SECRET and SINCH_PROJECT_ID"
        )
    return options.missing_secret(problem) + f" ({command} never asks)"


def add_snapshot_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "snapshot",
        help="store one snapshot of the account's history, without a notebook (cron, timers)",
        description="Store one snapshot; print one line (its id, time, counts and what changed "
        "since the previous one); exit 0, or non-zero with one line on stderr. Never asks.",
    )
    parser.add_argument(
        "--profile", metavar="NAME", help="a saved profile (default: SINCH_* or the default one)"
    )
    parser.add_argument(
        "--store",
        metavar="PATH_OR_URL",
        help="the history store: a path, or postgresql://host/db for a team's (default: "
        "$SINCH_HISTORY, else the profile's history, else .sinch/history.sqlite under the "
        "working directory)",
    )
    parser.add_argument(
        "--print-cron",
        action="store_true",
        help="print a crontab line that takes this snapshot every day (and take none now)",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="with --print-cron: the line reads SINCH_* from this file (the default when the "
        "keychain cannot give the secret)",
    )
    parser.set_defaults(run=run_snapshot)
