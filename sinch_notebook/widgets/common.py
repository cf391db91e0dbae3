"""What every part of the panel shares: the context, messages in the panel's words, and the one
wrapper that runs a background job and turns its failure into a message plus a log line."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..confirm import plural
from ..connection.active import active
from ..errors import SinchError, ValidationError
from ..redact import redact

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from .output import PanelLog
    from .worker import Worker

log = logging.getLogger("sinch_notebook.widgets")

# JupyterLab theme variables with fallbacks, so messages read well in light and dark themes
# and in front-ends without those variables (VS Code, Notebook 7).
_COLORS = {
    "ok": "var(--jp-success-color1, #2e7d32)",
    "error": "var(--jp-error-color1, #c62828)",
    "warn": "var(--jp-warn-color1, #ef6c00)",
    "info": "var(--jp-ui-font-color1, inherit)",
    "muted": "var(--jp-ui-font-color2, #757575)",
    "busy": "var(--jp-brand-color1, #1976d2)",
}
# Plain symbols that every font has (no emoji: headless and minimal systems lack those fonts).
_ICONS = {"ok": "✔", "error": "✖", "warn": "⚠", "info": "", "muted": "", "busy": ""}


def message(kind: str, text: str, *, raw_html: str = "") -> str:
    """A one-line status message as HTML; `text` is escaped, `raw_html` is appended as is."""
    icon = _ICONS.get(kind, "")
    prefix = f"{icon} " if icon else ""
    color = _COLORS.get(kind, "inherit")
    return f'<span style="color:{color}">{prefix}{html.escape(text)}{raw_html}</span>'


def amount(count: int, word: str) -> str:
    """`1 subproject`, `9,295 subprojects`: the core's plural (`display.plural`)."""
    return plural(count, word)


def esc(value: Any) -> str:
    return html.escape(str(value))


def shared_setting(name: str, fallback: Any) -> Any:
    """A `%config Sinch.<name>` setting (shared with the magic); `fallback` if it is unusable.

    A bad `SINCH_*` setting variable must not stop the panel from showing: the magic reports
    it when it is used there.
    """
    try:
        from ..config import settings

        return getattr(settings(), name)
    except (ImportError, AttributeError, ValueError):
        log.debug("setting %s unusable; using %r", name, fallback, exc_info=True)
        return fallback


class NotConnected(SinchError):
    """Raised by `Context.client()` when no connection is active."""

    status = "NOT_CONNECTED"


def describe_error(exc: BaseException) -> str:
    """One line for the user, in the panel's words, with every secret masked.

    Our own errors are already redacted and network failures already plain words; anything
    else (a bug, a pandas error from a strange frame) is redacted here.
    """
    if isinstance(exc, NotConnected):
        return "not connected: connect in the Connect tab first"
    if isinstance(exc, SinchError):
        return str(exc)
    log.debug("unexpected error in the panel", exc_info=exc)
    return redact(f"unexpected {type(exc).__name__}: {exc}")


@dataclass
class Context:
    """Services the forms share: the log, the background worker and the user's namespace."""

    log: PanelLog
    worker: Worker
    namespace: Callable[[], dict[str, Any]]
    # False in `sinch-notebook app`, for people who do not code: no notebook variables,
    # DataFrames, journal paths or worker counts on the page.
    for_code: bool = True

    def guard(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a click or change handler so an unexpected error lands in the activity log.

        Otherwise ipywidgets prints it wherever the front-end happens to put stray output.
        """

        @functools.wraps(handler)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except Exception as exc:
                log.debug("panel handler %r failed", handler, exc_info=True)
                self.log.error(describe_error(exc))
                return None

        return guarded

    def submit(
        self,
        label: str,
        work: Callable[..., Any],
        *args: Any,
        failure: str,
        status: widgets.HTML | None = None,
        after: Callable[[], None] | None = None,
        explain: Callable[[BaseException], str | None] | None = None,
    ) -> None:
        """Run `work(*args)` in the background; a failure becomes "<failure>: <why>" in
        `status` and in the log (redacted), and `after()` runs either way.

        `explain(exc)` may word a known failure for this form (None keeps the default).
        The one place where the panel turns a background exception into words.
        """

        def job() -> None:
            try:
                work(*args)
            except Exception as exc:  # a SinchError, usually; nothing may leave a form stuck
                log.debug("panel job %r failed", label, exc_info=True)
                words = (explain(exc) if explain is not None else None) or (
                    f"{failure}: {describe_error(exc)}"
                )
                if status is not None:
                    status.value = message("error", words)
                self.log.error(words)
            finally:
                if after is not None:
                    after()

        self.worker.submit(label, job)

    def client(self) -> SubprojectsClient:
        """The active connection (shared with `sn.connect` and the magic)."""
        client = active()
        if client is None:
            raise NotConnected("not connected")
        return client


def close_tree(root: widgets.Widget) -> None:
    """Close a widget and every widget it refers to (children, layout, style, a grid's
    renderers), so closing the panel leaves no model behind in the kernel."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
            continue
        if not isinstance(item, widgets.Widget) or id(item) in seen:
            continue
        seen.add(id(item))
        for name in item.keys:
            if not name.startswith("_") or name == "_transforms":
                stack.append(getattr(item, name, None))
        item.close()


def rule_broken(check: Callable[[Any, str], object], value: Any, field: str) -> str:
    """The core's words for what is wrong with `value` ('' when nothing): a form is checked
    live with the core's own rule (`check(value, field)`), never a copy of it."""
    try:
        check(value, field)
    except ValidationError as err:
        return str(err)
    return ""
