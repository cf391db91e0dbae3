"""The one exception the magic shows: a short message instead of a traceback.

IPython renders an exception through its `_render_traceback_` when it has one (the same hook
IPython.parallel and jupysql use), so the user sees one clear line while the cell still fails:
`run_cell(...).error_in_exec` is set, a kernel replies with status "error", and nbval, papermill
and nbconvert stop the run.
"""

from __future__ import annotations

from typing import Any

from ..errors import SinchError


class MagicError(SinchError):
    """A user error in a `%sinch` command: bad arguments, invalid input or an API refusal."""

    def __init__(self, message: str, *, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command
        self.result: Any = None  # what a partly failed command did (an apply's result)

    @classmethod
    def from_error(cls, command: str | None, err: SinchError) -> MagicError:
        """The short form of a core error, keeping its HTTP status for code that inspects it."""
        wrapped = cls(str(err), command=command)
        wrapped.http_status = err.http_status
        wrapped.status = err.status
        wrapped.attempts = err.attempts
        return wrapped

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        where = f"%sinch {self.command}" if self.command else "%sinch"
        first, *rest = self.message.splitlines() or [""]
        return [f"{where}: {first}", *rest]


class HelpShown(Exception):
    """argparse printed the usage (`--help`); the command stops without an error."""
