"""What every part of the panel shares: the context, message HTML and small widget helpers."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..connection import active
from ..errors import SinchError

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


def esc(value: Any) -> str:
    return html.escape(str(value))


def format_time(value: datetime | None) -> str:
    """A compact UTC timestamp for tables and forms."""
    if value is None:
        return ""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


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


def describe_error(exc: BaseException) -> str:
    """One line for the user; our own errors are already free of secrets."""
    if isinstance(exc, SinchError):
        return str(exc)
    log.debug("unexpected error in the panel", exc_info=exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def checkbox(description: str, css_class: str, *, value: bool = False) -> widgets.Checkbox:
    """A label-on-the-right checkbox sized to its text, with a stable CSS class."""
    box = widgets.Checkbox(
        value=value, description=description, indent=False, layout=widgets.Layout(width="auto")
    )
    box.add_class(css_class)
    return box


def button(
    description: str,
    css_class: str,
    *,
    style: str = "",
    icon: str = "",
    tooltip: str = "",
    width: str | None = None,
) -> widgets.Button:
    b = widgets.Button(description=description, button_style=style, icon=icon, tooltip=tooltip)
    if width:
        b.layout.width = width
    b.add_class(css_class)
    return b


def with_class(widget: widgets.Widget, *css_classes: str) -> widgets.Widget:
    """Stable CSS hooks for browser tests and for users who style the panel."""
    for name in css_classes:
        widget.add_class(name)
    return widget


def close_tree(root: widgets.Widget) -> None:
    """Close a widget, everything below it, and their layout and style models."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if not isinstance(item, widgets.Widget) or id(item) in seen:
            continue
        seen.add(id(item))
        stack.extend(getattr(item, "children", ()) or ())
        for attr in ("layout", "style"):
            stack.append(getattr(item, attr, None))
        item.close()


def close_all(items: Iterable[widgets.Widget]) -> None:
    for item in items:
        close_tree(item)


class NotConnected(SinchError):
    """Raised by `Context.client()` when no connection is active."""

    status = "NOT_CONNECTED"


@dataclass
class Context:
    """Services the forms share: the log, the background worker and the user's namespace."""

    log: PanelLog
    worker: Worker
    namespace: Callable[[], dict[str, Any]]

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

    def client(self) -> SubprojectsClient:
        """The active connection (shared with `sn.connect` and the magic)."""
        client = active()
        if client is None:
            raise NotConnected("not connected: connect in the Connect tab first")
        return client
