"""Helpers for the panel tests: type credentials, connect, and read every widget's state."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from ipywidgets.widgets.widget import _instances, _remove_buffers

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

SECRET = "ui-Secret-7f3a9c-must-never-be-saved"
KEY_ID = "widget-key"
PROJECT_ID = "widget-project"


def send_to(widget: Any, message: dict, buffers: list[bytes] | None = None) -> None:
    """One custom message from the page, on the widget's comm."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": message}}, "buffers": buffers or []}
    )


def send_file(button: Any, name: str, content: bytes, part: int = 1024 * 1024) -> None:
    """What the page sends when a file is chosen on one of the panel's upload buttons
    (widgets/upload/upload.js): custom messages on the widget's comm, each with one part of
    the bytes as its buffer."""
    offset = 0
    while True:
        last = offset + part >= len(content)
        header = {"type": "file", "name": name, "size": len(content), "offset": offset}
        send_to(button, {**header, "last": last}, [content[offset : offset + part]])
        offset += part
        if last:
            return


def keeps_file(button: Any, content: bytes) -> bool:
    """Whether the button's saved state (what a notebook keeps of it) holds any bytes, or the
    file's text."""
    state, _paths, buffers = _remove_buffers(button.get_state())
    return bool(buffers) or content.decode("utf-8", "replace") in json.dumps(state)


def fill_credentials(panel: Panel, sandbox: Sandbox, secret: str) -> None:
    form = panel.connect_form
    form.key_id.value = sandbox.key_id
    form.project_id.value = sandbox.project_id
    form.api_url.value = sandbox.url
    form.auth_url.value = sandbox.token_url
    form.key_secret.value = secret


def connect_panel(panel: Panel, sandbox: Sandbox, secret: str | None = None) -> None:
    """Type the credentials, click Connect, wait for the exchange and the first load."""
    typed = secret if secret is not None else sandbox.env()["SINCH_KEY_SECRET"]
    fill_credentials(panel, sandbox, typed)
    panel.connect_form.connect_button.click()
    assert panel.wait(), "the panel's background work did not finish"


def widget_states() -> str:
    """Every live widget's state (what "save widget state" writes), as one string."""
    return json.dumps([w.get_state() for w in list(_instances.values())], default=str)


def output_texts() -> str:
    """Everything any Output widget holds, as one string."""
    outputs = [w.outputs for w in list(_instances.values()) if hasattr(w, "outputs")]
    return json.dumps(outputs, default=str)


def live_widgets() -> int:
    return len(_instances)


def plain(markup: str) -> str:
    """An HTML widget's value as the text a person reads (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))
