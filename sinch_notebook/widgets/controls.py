"""Every widget constructor of the panel, in one place: same widths, label widths and CSS hooks.

Each control gets a stable CSS class (`sn-...`) so browser tests and users who style the panel
can find it; nothing else in the panel calls an ipywidgets constructor for a form control.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ipywidgets as widgets
from traitlets import Unicode

from .upload import UploadButton

LABEL_WIDTH = "8em"
FIELD_WIDTH = "32em"
SECRET_WIDTH = "36em"  # its hints ("entered (hidden, never saved): press Connect") read whole

W = TypeVar("W", bound=widgets.Widget)


def with_class(widget: widgets.Widget, *css_classes: str) -> widgets.Widget:
    """Stable CSS hooks for browser tests and for users who style the panel."""
    for name in css_classes:
        widget.add_class(name)
    return widget


def _style(description: str, label_width: str | None) -> dict[str, str]:
    return {"description_width": label_width or (LABEL_WIDTH if description else "0")}


def _labelled(
    kind: Callable[..., W],
    description: str,
    css_class: str,
    width: str,
    label_width: str | None = None,
    **traits: Any,
) -> W:
    """A control with its label on the left, sized the one way every form sizes them (so the
    labels of a form line up)."""
    return with_class(
        kind(
            description=description,
            layout=widgets.Layout(width=width),
            style=_style(description, label_width),
            **traits,
        ),
        css_class,
    )


class TypedText(widgets.Text):
    """A text field whose value the kernel never echoes back to the page.

    ipywidgets 8 answers each keystroke's update with an "echo_update" carrying that value;
    a page that is slow to drop a stale echo (the kernel busy with a Browse reload) could set
    the field back to it under the person's cursor, losing keys typed since ("region" read
    "reon"). Without the echo, the only values the kernel sends to a typed field are the ones
    its own code sets on purpose (opening a subproject, clearing a form).
    """

    value = Unicode(help="String value").tag(sync=True, echo_update=False)


class TypedCombobox(widgets.Combobox):
    """A Combobox with the same rule as `TypedText`: typed values are never echoed back."""

    value = Unicode(help="String value").tag(sync=True, echo_update=False)


def field(
    description: str,
    css_class: str,
    *,
    value: str = "",
    placeholder: str = "",
    width: str = FIELD_WIDTH,
    label_width: str | None = None,
    continuous: bool = True,
) -> widgets.Text:
    """A one-line text field."""
    return _labelled(
        TypedText,
        description,
        css_class,
        width,
        label_width,
        value=value,
        placeholder=placeholder,
        continuous_update=continuous,
    )


def combobox(
    css_class: str, *, placeholder: str = "", width: str = "10em", options: Sequence[str] = ()
) -> widgets.Combobox:
    """A text field that suggests values (label keys) but accepts anything."""
    return with_class(
        TypedCombobox(
            placeholder=placeholder,
            options=list(options),
            ensure_option=False,
            layout=widgets.Layout(width=width),
        ),
        css_class,
    )


class SecretField(widgets.Password):
    """A Password field whose value the kernel never sends back to the page.

    ipywidgets 8 answers every update from a front-end with an "echo_update" message carrying
    the new value to every view; for a Key Secret that is one more copy in flight (and in any
    proxy's or browser's record of the websocket). The trait below opts out of that echo.
    """

    value = Unicode(help="String value").tag(sync=True, echo_update=False)


def password(description: str, css_class: str, *, placeholder: str = "") -> widgets.Password:
    """A password field synced once when left (not per keystroke): fewer copies in flight."""
    return _labelled(
        SecretField,
        description,
        css_class,
        SECRET_WIDTH,
        value="",
        continuous_update=False,
        placeholder=placeholder,
    )


def checkbox(description: str, css_class: str, *, value: bool = False) -> widgets.Checkbox:
    """A label-on-the-right checkbox sized to its text."""
    return with_class(
        widgets.Checkbox(
            value=value,
            description=description,
            indent=False,
            layout=widgets.Layout(width="auto"),
        ),
        css_class,
    )


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
    b.layout.width = width or "auto"
    return with_class(b, css_class)


def upload(
    description: str, css_class: str, *, accept: str = "", max_bytes: int = 0
) -> UploadButton:
    """A one-file upload button labelled `description` alone (no count); `on_upload(callback)`
    hears each file as `(name, content)`, `on_refused(callback)` each beyond `max_bytes` as
    `(name, size)`; no file is ever kept in the widget's state."""
    return with_class(UploadButton(description, accept=accept, max_bytes=max_bytes), css_class)


def dropdown(
    description: str,
    css_class: str,
    options: Sequence[Any],
    *,
    value: Any = None,
    width: str = "16em",
    label_width: str | None = None,
) -> widgets.Dropdown:
    box = _labelled(
        widgets.Dropdown, description, css_class, width, label_width, options=list(options)
    )
    if value is not None:
        box.value = value
    return box


def toggles(
    description: str,
    css_class: str,
    options: Sequence[tuple[str, str]],
    *,
    value: str,
    tooltips: Sequence[str] = (),
) -> widgets.ToggleButtons:
    return with_class(
        widgets.ToggleButtons(
            options=list(options),
            value=value,
            description=description,
            tooltips=list(tooltips),
            style={**_style(description, None), "button_width": "7em"},
        ),
        css_class,
    )


def integer(
    description: str, css_class: str, *, value: int, low: int, high: int
) -> widgets.BoundedIntText:
    return _labelled(
        widgets.BoundedIntText,
        description,
        css_class,
        "10em",
        "5em",
        value=value,
        min=low,
        max=high,
    )


def html(css_class: str, value: str = "", **layout: Any) -> widgets.HTML:
    """A piece of text or markup the panel writes (statuses, counts, tables)."""
    return with_class(widgets.HTML(value=value, layout=widgets.Layout(**layout)), css_class)


def progress(css_class: str) -> widgets.IntProgress:
    return with_class(
        widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="30em")),
        css_class,
    )


def row(*children: widgets.Widget, css_class: str = "", wrap: bool = True) -> widgets.HBox:
    """Controls side by side, wrapping onto the next line when the panel is narrow."""
    box = widgets.HBox(
        list(children),
        layout=widgets.Layout(flex_flow="row wrap" if wrap else "row", align_items="center"),
    )
    return with_class(box, css_class) if css_class else box


def column(*children: widgets.Widget, css_class: str = "") -> widgets.VBox:
    box = widgets.VBox(list(children))
    return with_class(box, css_class) if css_class else box


def show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"
