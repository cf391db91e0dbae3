"""Asking the person at the notebook: confirmations, the Key Secret, and whether anyone is there.

Nobody can answer in an unattended run (nbval, papermill, nbconvert, a piped script). There a
question must not hang or read stray input, so callers refuse instead:
- in a Jupyter kernel, the frontend says per execution whether it accepts input requests
  (`allow_stdin`; False for nbclient-based runners);
- in terminal IPython, someone can answer when standard input is a terminal.
"""

from __future__ import annotations

import getpass
import importlib
import importlib.util
import sys
from typing import Any

from IPython.core.error import StdinNotImplementedError

from ..confirm import Question
from .errors import MagicError


def in_kernel(shell: Any) -> bool:
    """True in a Jupyter kernel (JupyterLab, Notebook, VS Code), which can show widgets."""
    return getattr(shell, "kernel", None) is not None


def can_ask(shell: Any) -> bool:
    """Whether a question can be answered now."""
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    stdin = sys.stdin
    try:
        return stdin is not None and stdin.isatty()
    except (ValueError, OSError):
        return False


def ask(shell: Any, question: str) -> str | None:
    """The answer, stripped, or None when nobody can answer."""
    if not can_ask(shell):
        return None
    try:
        return input(question).strip()
    except EOFError:
        print()  # end the prompt's line, so what follows starts on a line of its own
        return None
    except StdinNotImplementedError:
        return None


def confirm(shell: Any, question: str) -> bool | None:
    """True for y/yes, False for anything else, None when nobody can answer."""
    answer = ask(shell, question)
    if answer is None:
        return None
    return answer.lower() in ("y", "yes")


def ask_secret(shell: Any, prompt: str) -> str | None:
    """A secret typed without echo (`getpass`), or None when nobody can answer."""
    if not can_ask(shell):
        return None
    try:
        return getpass.getpass(prompt)
    except (EOFError, StdinNotImplementedError):
        return None


def panel_available(shell: Any) -> bool:
    """The widget panel can be shown and someone is there to use it."""
    if not (in_kernel(shell) and can_ask(shell)):
        return False
    return importlib.util.find_spec("sinch_notebook.widgets") is not None and hasattr(
        importlib.import_module("sinch_notebook.widgets"), "panel"
    )


def ask_before_deleting(shell: Any, question: Question | None, how_to_skip: str) -> bool:
    """The magic's way of asking the core's question: True to go on, False when the answer
    is no; when nobody can answer, a MagicError saying how to skip the question instead."""
    if question is None:
        return True
    answer = confirm(shell, f"{question.text} [y/N] ")
    if answer is None:
        raise MagicError(f"{question.refusal}; {how_to_skip}")
    return answer
