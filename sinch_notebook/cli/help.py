"""Help where argparse would print an error: `sinch-notebook` alone, `profile` or `plan` alone."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A `run` that prints `parser`'s help (and exits 0): what a missing subcommand does."""

    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return show_help


def with_help_when_alone(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """`parser`'s subcommands, with `parser` named alone printing its help (no argparse
    internal names such as `plan_command` in an error)."""
    parser.set_defaults(run=help_of(parser))
    return parser.add_subparsers(metavar="ACTION")
