"""Helpers for the panel tests: type credentials, connect, and read every widget's state."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone

from ipywidgets.widgets.widget import _instances

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

SECRET = "ui-Secret-7f3a9c-must-never-be-saved"
KEY_ID = "widget-key"
PROJECT_ID = "widget-project"


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


def uploaded(name: str, content: bytes) -> tuple[dict, ...]:
    """What ipywidgets' FileUpload holds after a file is picked in the browser."""
    return (
        {
            "name": name,
            "type": "",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime(2026, 1, 2, tzinfo=timezone.utc),
        },
    )
