"""The command line's options as data: each declared once, where several commands share it.

A command lists the options it takes (`add_options(parser, PROFILE, ...)`) instead of
restating `add_argument` calls, so the same option reads the same in every command (and in
`%sinch`, whose commands declare theirs with the same tables).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..confirm import MASS_DELETE_THRESHOLD, MASS_UPDATE_SHARE


@dataclass(frozen=True)
class Option:
    """One `add_argument` call: its flags (or positional name), its help and the rest."""

    flags: tuple[str, ...]
    help: str
    settings: dict[str, Any] = field(default_factory=dict)


def switch(*flags: str, help: str) -> Option:
    """An on/off option (`store_true`)."""
    return Option(flags, help, {"action": "store_true"})


def value(*flags: str, metavar: str, help: str, **settings: Any) -> Option:
    """An option (or positional) that takes one value shown as `metavar`."""
    return Option(flags, help, {"metavar": metavar, **settings})


def add_options(parser: argparse.ArgumentParser | Any, *options: Option) -> None:
    """Declare `options` on `parser` (a parser or a mutually exclusive group), in order."""
    for option in options:
        parser.add_argument(*option.flags, help=option.help, **option.settings)


PROFILE = value(
    "--profile", metavar="NAME", help="a saved profile (default: SINCH_* or the default one)"
)
PLAN_FILE = value("file", metavar="FILE", help="a plan file, from plan.save(FILE)")
DESIRED_FILE = value("file", metavar="FILE", help="a desired-state file (subprojects.yaml)")
NO_PROGRESS = switch("--no-progress", help="no progress bar")
TAKEOVER = switch(
    "--takeover",
    help="change subprojects labelled managed-by another owner (and set it to the file's)",
)
MASS_DELETE = switch(
    "--allow-mass-delete",
    help=f"needed when the plan deletes more than {MASS_DELETE_THRESHOLD} subprojects",
)
MASS_UPDATE = switch(
    "--allow-mass-update",
    help=f"needed when it updates more than {MASS_UPDATE_SHARE:.0%}% of the live subprojects",
)


def add_command(
    commands: Any,
    name: str,
    run: Callable[[argparse.Namespace], int],
    *options: Option,
    help: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand `name` that runs `run`, with `options` declared in order; returned for
    what does not fit a list (a mutually exclusive group)."""
    parser = commands.add_parser(name, help=help, description=description)
    add_options(parser, *options)
    parser.set_defaults(run=run)
    return parser
