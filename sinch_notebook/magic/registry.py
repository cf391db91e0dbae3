"""The command table and the dispatcher: `%sinch <command> [options]` -> parse -> run.

Errors: a `MagicError` is shown as one line. A core `SinchError` (validation, an API refusal, a
network failure after retries) is turned into one, unless `%config Sinch.short_errors = False`
asks for full tracebacks. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import SinchError
from . import (
    cmd_bulk,
    cmd_connections,
    cmd_desired,
    cmd_guards,
    cmd_history,
    cmd_session,
    cmd_subprojects,
)
from .command import Command
from .context import Context
from .errors import HelpShown, MagicError
from .parsing import split_line

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        *cmd_session.COMMANDS,
        *cmd_connections.COMMANDS,
        *cmd_subprojects.COMMANDS,
        *cmd_bulk.COMMANDS,
        *cmd_guards.COMMANDS,
        *cmd_history.COMMANDS,
        *cmd_desired.COMMANDS,  # its `diff` also takes a desired-state file, so it comes last
    )
}

HELP_WORDS = ("help", "-h", "--help")


def help_text() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "%sinch <command> [options]    (%sinch <command> --help shows a command's options)",
        "",
        *(f"  {c.name.ljust(width)}  {c.summary}" for c in COMMANDS.values()),
        "",
        "%%sinch create: one subproject per line, 'Display name | key=value, key=value'.",
        "Settings: %config Sinch shows them (page_size, workers, api_version, confirm_deletes,",
        "display_limit, short_errors, history, protect_label, policy); %config Sinch.workers = 4",
        "changes one.",
    ]
    return "\n".join(lines)


def _find(name: str) -> Command:
    command = COMMANDS.get(name)
    if command is not None:
        return command
    close = difflib.get_close_matches(name, list(COMMANDS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise MagicError(f"unknown command {name!r}{hint} (%sinch help lists the commands)")


def _short_errors(ctx: Context) -> bool:
    try:
        return bool(ctx.settings.short_errors)
    except SinchError:
        return True


def dispatch(ctx: Context, line: str, cell: str | None = None) -> Any:
    """Run one `%sinch` line (or `%%sinch` cell) and return what it shows."""
    words = split_line(line)
    if not words or (words[0] in HELP_WORDS and len(words) == 1):
        print(help_text())
        return None
    if words[0] in HELP_WORDS:
        words = [words[1], "--help"]
    command = _find(words[0])
    try:
        if cell is not None and command.run_cell is None:
            cells = ", ".join(c.name for c in COMMANDS.values() if c.run_cell)
            raise MagicError(f"%%sinch {command.name} takes no cell body (cells: {cells})")
        args = command.parser().parse_args(words[1:])
        if cell is not None and command.run_cell is not None:
            return command.run_cell(ctx, args, cell)
        return command.run(ctx, args)
    except HelpShown:
        return None
    except MagicError as err:
        err.command = err.command or command.name
        raise
    except SinchError as err:
        if not _short_errors(ctx):
            raise
        raise MagicError.from_error(command.name, err) from err
