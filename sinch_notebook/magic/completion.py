"""Tab completion of `%sinch` lines, through IPython's completer API (JupyterLab, Notebook 7,
VS Code and terminal IPython all ask the kernel's completer).

What completes is derived from the commands' own argparse parsers (one source: a new option is
completed without touching this module): the command names, each command's options, the values
of options with choices, and positional arguments and option values by their metavar:

    FRAME       DataFrame variables of the namespace
    PLAN        Plan variables, and plan files (*.json)
    ID          subproject ids of the last `%sinch list` in this kernel (names beside them)
    CONNECTION  the open connections' names
    PROFILE     the saved profiles' names
    JOURNAL     apply journals (.sinch/journal-*.jsonl, or any *.jsonl path)
    FILE.yaml   desired-state files (*.yaml, *.yml)
    PATH        files

Completion reads memory and the local disk only: never a network call, never the keychain,
nothing that can block; and any failure in it is swallowed (no completion beats a traceback in
the middle of typing).
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any

from ..display import cut
from . import recent
from .registry import COMMANDS, HELP_WORDS

log = logging.getLogger("sinch_notebook.completion")

MAX_COMPLETIONS = 500
MAX_TYPE_WIDTH = 32  # JupyterLab shows the type in a narrow column beside each completion
LINE = re.compile(r"^\s*%%?sinch\s+(?P<rest>.*)$")
Found = list[tuple[str, str]]  # (text, what it is: shown beside it)
NOTHING = "nothing\u00a0to\u00a0complete"  # beside the one empty answer (see make_matcher)


@dataclass(frozen=True)
class Argument:
    """One argparse argument, as completion needs it."""

    options: tuple[str, ...]  # empty for a positional
    takes_value: bool
    repeats: bool
    metavar: str
    choices: tuple[str, ...]
    help: str


@cache
def arguments(command: str) -> tuple[Argument, ...]:
    """Every argument of a command, read from its parser (built once per command)."""
    parser = COMMANDS[command].parser()
    found = []
    for action in parser._actions:
        metavar = action.metavar if isinstance(action.metavar, str) else ""
        found.append(
            Argument(
                options=tuple(action.option_strings),
                takes_value=action.nargs != 0,
                repeats=action.nargs in ("*", "+", argparse.REMAINDER)
                or isinstance(action, argparse._AppendAction),
                metavar=metavar or (action.dest.upper() if not action.option_strings else ""),
                choices=tuple(str(c) for c in action.choices or ()),
                help=(action.help or "").replace("%%", "%") if action.help else "",
            )
        )
    return tuple(found)


def _short(text: str) -> str:
    """One line, at most MAX_TYPE_WIDTH characters, its spaces non-breaking: JupyterLab wraps
    a type with spaces onto lines that overlap the next completions."""
    return cut(" ".join(text.split()), MAX_TYPE_WIDTH).replace(" ", "\u00a0")


def split(rest: str) -> tuple[list[str], str]:
    """(the complete words before the cursor, the word being typed)."""
    words = rest.split()
    if not rest or rest[-1].isspace():
        return words, ""
    return words[:-1], words[-1]


def complete(before_cursor: str, namespace: dict[str, Any]) -> tuple[str, Found] | None:
    """(the fragment to replace, completions) for a `%sinch` line; None when it is not one."""
    line = before_cursor.rsplit("\n", 1)[-1]
    matched = LINE.match(line)
    if matched is None:
        return None
    words, fragment = split(matched.group("rest"))
    if not words or (words[0] in HELP_WORDS and len(words) == 1):
        return fragment, _commands(fragment)
    command = words[0]
    if command not in COMMANDS:
        return fragment, []
    known = arguments(command)
    if fragment.startswith("-"):
        return fragment, _options(known, words[1:], fragment)
    argument = _value_of(known, words[1:])
    if argument is None:
        return fragment, []
    return fragment, _values(argument, fragment, namespace)


def _commands(fragment: str) -> Found:
    return [(name, "command") for name in COMMANDS if name.startswith(fragment)]


def _options(known: Iterable[Argument], given: list[str], fragment: str) -> Found:
    """The command's options starting with `fragment` (one given already is not offered again
    unless it repeats)."""
    found: Found = []
    for argument in known:
        if any(o in given for o in argument.options) and not argument.repeats:
            continue
        for option in argument.options:
            if option.startswith(fragment) and (option.startswith("--") or len(fragment) < 2):
                found.append((option, "option"))
    return found


def _value_of(known: tuple[Argument, ...], given: list[str]) -> Argument | None:
    """The argument whose value the cursor is at: the option just before it, else the next
    positional (arguments already given are skipped)."""
    by_option = {o: a for a in known for o in a.options}
    if given and given[-1] in by_option:
        previous = by_option[given[-1]]
        if previous.takes_value:
            return previous
    positionals = [a for a in known if not a.options]
    count = 0
    index = 0
    while index < len(given):
        word = given[index]
        option = by_option.get(word.split("=", 1)[0])
        if option is not None:
            index += 2 if option.takes_value and "=" not in word else 1
            continue
        count += 1
        index += 1
    for position, argument in enumerate(positionals):
        if count == position or (argument.repeats and count >= position):
            return argument
    return None


def _values(argument: Argument, fragment: str, namespace: dict[str, Any]) -> Found:
    if argument.choices:
        return [(c, "choice") for c in argument.choices if c.startswith(fragment)]
    source = VALUES.get(argument.metavar)
    if source is None or (argument.metavar == "ID" and argument.options):
        return []  # --key-id ID, --project-id ID: nothing to suggest
    return [(text, kind) for text, kind in source(fragment, namespace) if text.startswith(fragment)]


# -- where values come from (memory and the local disk only) --------------------------------------


def _variables(kind: Callable[[], type | None], label: str) -> Callable[..., Found]:
    def found(fragment: str, namespace: dict[str, Any]) -> Found:
        wanted = kind()
        if wanted is None:
            return []
        return sorted(
            (name, label)
            for name, value in list(namespace.items())
            if not name.startswith("_") and isinstance(value, wanted)
        )

    return found


def _dataframe() -> type | None:
    pandas = sys.modules.get("pandas")  # not imported: nothing can be a DataFrame
    return getattr(pandas, "DataFrame", None)


def _plan() -> type | None:
    module = sys.modules.get("sinch_notebook.bulk.plan")
    return getattr(module, "Plan", None)


def _paths(fragment: str, suffixes: tuple[str, ...], label: str) -> Found:
    """Files ending in `suffixes` (and folders, to go on) that start with `fragment`."""
    pattern = glob.escape(os.path.expanduser(fragment)) + "*"
    found: Found = []
    for path in sorted(glob.iglob(pattern))[:MAX_COMPLETIONS]:
        shown = fragment + path[len(os.path.expanduser(fragment)) :]
        if os.path.isdir(path):
            found.append((shown + "/", "folder"))
        elif not suffixes or path.endswith(suffixes):
            found.append((shown, label))
    return found


def _plans(fragment: str, namespace: dict[str, Any]) -> Found:
    return _variables(_plan, "Plan")(fragment, namespace) + _paths(
        fragment, (".json",), "plan file"
    )


def _journals(fragment: str, namespace: dict[str, Any]) -> Found:
    found = _paths(fragment, (".jsonl",), "journal")
    if not fragment:
        found = [(p, "journal") for p in sorted(glob.glob(".sinch/journal-*.jsonl"))] + found
    return found


def _ids(fragment: str, namespace: dict[str, Any]) -> Found:
    """Filtered before anything is built, and no further than MAX_COMPLETIONS matches: 100,000
    listed ids cost at most one pass of `startswith`."""
    found = islice(((s, n) for s, n in recent.listed() if s.startswith(fragment)), MAX_COMPLETIONS)
    return [(sid, _short(name) or "subproject") for sid, name in found]


def _connections(fragment: str, namespace: dict[str, Any]) -> Found:
    from ..connection import registry as connections
    from ..connection.active import active

    current = connections.name_of(active())
    return [(n, "active connection" if n == current else "connection") for n in connections.names()]


def _profiles(fragment: str, namespace: dict[str, Any]) -> Found:
    from ..connection.profiles import names

    return [(n, "profile") for n in names()]


VALUES: dict[str, Callable[[str, dict[str, Any]], Found]] = {
    "FRAME": _variables(_dataframe, "DataFrame"),
    "PLAN": _plans,
    "ID": _ids,
    "CONNECTION": _connections,
    "PROFILE": _profiles,
    "JOURNAL": _journals,
    "FILE.yaml": lambda fragment, _ns: _paths(fragment, (".yaml", ".yml"), "desired-state file"),
    "PATH": lambda fragment, _ns: _paths(fragment, (), "file"),
}


# -- IPython's side ------------------------------------------------------------------------------


def _safe(before_cursor: str, namespace: dict[str, Any]) -> tuple[str, Found] | None:
    try:
        result = complete(before_cursor, namespace)
    except Exception:  # never fail loudly while someone types
        log.debug("completion failed", exc_info=True)
        return None
    if result is None:
        return None
    fragment, found = result
    unique = list(dict.fromkeys(found))
    return fragment, unique[:MAX_COMPLETIONS]


def make_matcher(shell: Any) -> Callable[..., Any]:
    """A v2 matcher (IPython 8.6+): completions with what each is beside it, others suppressed
    on a `%sinch` line (so `%sinch l<Tab>` offers `list`, not `%ldir` or `len`)."""
    from IPython.core.completer import SimpleCompletion, context_matcher

    @context_matcher()
    def sinch_matcher(context: Any) -> dict[str, Any]:
        result = _safe(context.text_until_cursor, shell.user_ns)
        if result is None:
            return {"completions": [], "suppress": False}
        fragment, found = result
        if not found:
            # Nothing to offer is still our answer: IPython lets other matchers speak when a
            # matcher has no completion (every magic, every name), so the answer is the
            # fragment itself, which changes nothing when inserted, and suppresses the rest.
            found = [(fragment, NOTHING)]
        return {
            "completions": [SimpleCompletion(text, type=kind) for text, kind in found],
            "matched_fragment": fragment,
            "suppress": True,
            "ordered": True,
        }

    return sinch_matcher


def install(shell: Any) -> Callable[[], None]:
    """Add the matcher to the shell's completer; returns what removes it again."""
    completer = getattr(shell, "Completer", None)
    if completer is None:
        return lambda: None
    try:
        matcher = make_matcher(shell)
    except ImportError:  # IPython before 8.6: the older hook, without the names beside
        return _install_hook(shell)
    completer.custom_matchers.append(matcher)

    def uninstall() -> None:
        if matcher in completer.custom_matchers:
            completer.custom_matchers.remove(matcher)

    return uninstall


def _install_hook(shell: Any) -> Callable[[], None]:  # pragma: no cover - IPython < 8.6
    def hook(_self: Any, event: Any) -> list[str]:
        result = _safe(event.text_until_cursor, shell.user_ns)
        return [text for text, _kind in result[1]] if result else []

    shell.set_hook("complete_command", hook, re_key=r"\s*%%?sinch\s")
    return lambda: None
