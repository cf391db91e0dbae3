"""Argument parsing for `%sinch`: argparse that reports instead of exiting; small value types."""

from __future__ import annotations

import argparse
import difflib
import keyword
import math
import re
import shlex
from collections.abc import Callable
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
        words = self.in_users_words(message)
        raise MagicError(f"{words} (see %sinch {self.command} --help)", command=self.command)

    def in_users_words(self, message: str) -> str:
        """argparse's message without its internal names (a positional's dest or metavar:
        `argument action:`, `PLAN`, `a`), and a guess for a mistyped option."""
        unknown = re.fullmatch(r"unrecognized arguments: (.*)", message, re.S)
        if unknown:
            return self._unknown(unknown.group(1).split())
        required = re.fullmatch(r"the following arguments are required: (.*)", message, re.S)
        if required:
            names = [self._described(n.strip()) for n in required.group(1).split(",")]
            return "missing: " + "; ".join(names)
        about = re.fullmatch(r"argument ([^:]+): (.*)", message, re.S)
        if about and not about.group(1).startswith("-"):
            if about.group(2).startswith("invalid choice"):
                return about.group(2)
            return f"{self._described(about.group(1))}: {about.group(2)}"
        return message

    def _positional(self, name: str) -> argparse.Action | None:
        for action in self._actions:
            if not action.option_strings and name in (action.dest, action.metavar):
                return action
        return None

    def _described(self, name: str) -> str:
        """A positional said as its help says it (`a plan from %sinch plan (a variable)`)."""
        action = self._positional(name)
        if action is None:
            return name
        if action.help:
            return action.help.replace("%%", "%")
        if action.choices:
            return "one of " + ", ".join(map(str, action.choices))
        return "a value"

    def _unknown(self, words: list[str]) -> str:
        options = [o for o in self._option_string_actions if o.startswith("--")]
        parts = []
        after_option = False
        for word in words:
            if not word.startswith("-"):
                if not after_option:  # the value of an unknown option is not news
                    parts.append(f"unexpected {word!r}")
                continue
            after_option = True
            option = word.split("=", 1)[0]
            close = difflib.get_close_matches(option, options, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            parts.append(f"unknown option {option}{hint}")
        return "; ".join(parts)

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


def _in_range(convert: Callable[[str], float], low: float, high: float, what: str):
    """An argparse type: `convert(text)` from `low` to `high`; `what` names it in the error."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:  # false for nan and inf too
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


positive_int = _in_range(int, 1, math.inf, "a positive integer")


def bounded_int(low: int, high: int):
    """An argparse type: an integer from `low` to `high`."""
    return _in_range(int, low, high, f"an integer from {low} to {high}")


def seconds(low: float, high: float):
    """An argparse type: a finite number of seconds from `low` to `high` (no inf, no nan)."""
    return _in_range(float, low, high, f"a number of seconds from {low:g} to {high:g}")


def add_output(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "-o", "--output", metavar="VAR", type=python_name, help=f"also store {what} in VAR"
    )
