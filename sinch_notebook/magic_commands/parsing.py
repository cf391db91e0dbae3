"""Argument parsing for `%sinch`: argparse that reports instead of exiting; small value types."""

from __future__ import annotations

import argparse
import keyword
import shlex
from typing import Any, NoReturn

from .errors import HelpShown, MagicError


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser for one command: `--help` prints usage, errors raise `MagicError`.

    argparse's default is `sys.exit`, which inside IPython would surface as a SystemExit.
    """

    def __init__(self, command: str, summary: str, **kwargs: Any) -> None:
        super().__init__(
            prog=f"%sinch {command}",
            description=summary,
            allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kwargs,
        )
        self.command = command

    def error(self, message: str) -> NoReturn:
        raise MagicError(f"{message} (see %sinch {self.command} --help)", command=self.command)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message.rstrip())
        raise HelpShown()


def split_line(line: str) -> list[str]:
    """Shell-like words: quotes group words, as in `%sinch create "Acme EU"`."""
    try:
        return shlex.split(line)
    except ValueError as err:
        raise MagicError(
            f"could not read the arguments ({err}); quote values with spaces or quotes, "
            'e.g. "O\'Brien Ltd"'
        ) from None


def label_pair(text: str) -> tuple[str, str]:
    """`key=value` (split at the first '='; the value may contain '=')."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key.strip(), value.strip()


def label_filter(text: str) -> tuple[str, str]:
    """`key=value` or just `key` (the label must be there, any value)."""
    key, _, value = text.partition("=")
    if not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY or KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def labels_dict(pairs: list[tuple[str, str]] | None, where: str = "--label") -> dict[str, str]:
    """Pairs as a dict; a key given twice is an error rather than a silent overwrite."""
    labels: dict[str, str] = {}
    for key, value in pairs or []:
        if key in labels:
            raise MagicError(f"{where}: label {key!r} is given twice")
        labels[key] = value
    return labels


def python_name(text: str) -> str:
    """A variable name for `-o`."""
    if not text.isidentifier() or keyword.iskeyword(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid Python variable name")
    return text


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def bounded_int(low: int, high: int):
    """An argparse type: an integer from `low` to `high`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {low} to {high}, got {text!r}"
            )
        return value

    return parse


def seconds(low: float, high: float):
    """An argparse type: a finite number of seconds from `low` to `high` (no inf, no nan)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:  # false for nan and inf
            raise argparse.ArgumentTypeError(
                f"must be a number of seconds from {low:g} to {high:g}, got {text!r}"
            )
        return value

    return parse


def add_output(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "-o", "--output", metavar="VAR", type=python_name, help=f"also store {what} in VAR"
    )
