"""`%sinch` and `%%sinch`: the IPython magic. It only parses, dispatches and shows.

Every command is a call into the core (see this folder), so the magic, the panel and the
Python API share one code path per operation. `%load_ext sinch_notebook` loads it.
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import (
    Magics,
    line_cell_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)
from IPython.utils.text import DollarFormatter

from .. import config
from . import completion, dispatch
from .context import Context
from .errors import MagicError
from .registry import COMMANDS, help_text
from .views import Views


@magics_class
class SinchMagics(Magics):
    """The Sinch Subprojects API: `%sinch help` lists the commands."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.views = Views(lambda: config.settings().display_limit)

    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def sinch(self, line: str, cell: str | None = None, local_ns: dict | None = None) -> Any:
        """The Sinch Subprojects API. `%sinch help` lists the commands."""
        try:
            line = expand(line, {**self.shell.user_ns, **(local_ns or {})}).strip()
        except MagicError as err:
            err.command = command_of(line)
            if not config.settings().short_errors:
                raise
            raise err from None
        silent = cell is None and line.endswith(";")
        result = dispatch(Context(self.shell, self.views, local_ns), line.rstrip(";"), cell)
        return None if silent else result

    sinch.__doc__ = f"The Sinch Subprojects API.\n\n{help_text()}"


def expand(line: str, namespace: dict[str, Any]) -> str:
    """`{expression}` and `$name` from the user's variables, as IPython expands magic lines,
    except that one that cannot be expanded is an error rather than text left in the line (a
    typo must not become a display name). `{{`, `}}` and `$$` stand for literal characters.
    """
    formatter = DollarFormatter()
    try:
        return formatter.vformat(line, args=[], kwargs=namespace)
    except Exception:
        pass
    try:
        fields = list(formatter.parse(line))
    except ValueError as err:  # a lone { or }: the line is no format string at all
        raise MagicError(
            f"cannot read the braces in the line ({err}); write {{{{ or }}}} for a literal "
            "brace, {expression} for a value"
        ) from None
    for _text, field, _spec, _conversion in fields:
        if field is None:
            continue
        try:
            eval(field, namespace)  # what IPython itself does with the fields of magic lines
        except Exception as err:
            raise MagicError(
                f"cannot put {{{field}}} in the line ({type(err).__name__}: {err}); "
                "write {{ }} or $$ for literal braces or dollars"
            ) from None
    raise MagicError("cannot expand the {...} and $... in the line; write {{ }} or $$ for them")


def command_of(line: str) -> str | None:
    """The command a line names (its first word), when it is one: errors say which."""
    words = line.split(maxsplit=1)
    return words[0] if words and words[0] in COMMANDS else None


def load_ipython_extension(shell: Any) -> None:
    """Register `%sinch`/`%%sinch`, the display hooks and `%config Sinch`."""
    settings = config.settings()
    if "Sinch" in shell.config:
        settings.update_config(shell.config)
    if settings not in shell.configurables:
        shell.configurables.append(settings)
    magics = SinchMagics(shell)
    shell.register_magics(magics)
    magics.views.install(shell)
    magics.uninstall_completion = completion.install(shell)


def unload_ipython_extension(shell: Any) -> None:
    """Remove what `load_ipython_extension` added (so `%reload_ext` starts clean)."""
    magics = shell.magics_manager.registry.pop("SinchMagics", None)
    if magics is not None:
        magics.views.uninstall()
        getattr(magics, "uninstall_completion", lambda: None)()
    for kind in ("line", "cell"):
        shell.magics_manager.magics[kind].pop("sinch", None)
    shell.configurables[:] = [c for c in shell.configurables if not isinstance(c, config.Sinch)]
