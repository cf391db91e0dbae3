"""One `%sinch` command: its name, one-line summary, arguments and what it runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .parsing import CommandParser

if TYPE_CHECKING:
    from .context import Context


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context, argparse.Namespace], Any]
    run_cell: Callable[[Context, argparse.Namespace, str], Any] | None = None
    epilog: str = ""

    def parser(self) -> CommandParser:
        parser = CommandParser(self.name, self.summary, epilog=self.epilog or None)
        self.arguments(parser)
        return parser


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For commands that take none (argparse still gives them `--help`)."""
