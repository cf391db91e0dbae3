"""Typed keys are never overwritten by the kernel (issue 33 item 15): what a person types in a
text field reaches the kernel as the front-end's `update` messages; the kernel must never send
a `value` back to that field on its own, even while Browse reloads in the background.

The front-end is simulated at the comm: each keystroke is the `update` message the browser
sends, and everything the kernel sends to the field is recorded."""

from __future__ import annotations

import threading
from typing import Any

from sinch_notebook.widgets import Panel


class Recorder:
    """What the kernel sends to some widgets' front-end models, in order."""

    def __init__(self, *watched: Any) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        for widget in watched:
            widget.comm.publish_msg = self._receiver(widget.model_id)
            if getattr(widget.comm, "kernel", True) is None:
                widget.comm.kernel = True

    def _receiver(self, model_id: str) -> Any:
        def publish_msg(msg_type: str, data: Any = None, *_args: Any, **_keys: Any) -> None:
            if msg_type == "comm_msg" and isinstance(data, dict):
                with self._lock:
                    self.sent.append((model_id, data.get("method"), dict(data.get("state") or {})))

        return publish_msg

    def values_sent(self, widget: Any) -> list[tuple[str, Any]]:
        with self._lock:
            return [
                (method, state["value"])
                for model_id, method, state in self.sent
                if model_id == widget.model_id and "value" in state
            ]


def type_into(widget: Any, text: str, between: Any = None) -> None:
    """Type `text` one key at a time, as the browser reports it (the whole value each time)."""
    for end in range(1, len(text) + 1):
        widget.comm.handle_msg(
            {
                "header": {"msg_id": f"key-{end}"},
                "content": {"data": {"method": "update", "state": {"value": text[:end]}}},
                "buffers": [],
            }
        )
        if between is not None:
            between()


def test_typing_in_create_while_browse_reloads_is_never_sent_back(connected: Panel) -> None:
    form = connected.create_form
    row = form.labels.add_row()
    fields = (form.name, row.key, row.value)
    recorder = Recorder(*fields)

    def reload() -> None:  # Browse reloads (in the worker) between keystrokes
        connected.browser.refresh()

    type_into(form.name, "Typed while loading", between=reload)
    type_into(row.key, "region", between=reload)
    type_into(row.value, "eu-west", between=reload)
    assert connected.wait()
    assert (form.name.value, row.key.value, row.value.value) == (
        "Typed while loading",
        "region",
        "eu-west",
    )
    for field in fields:
        assert recorder.values_sent(field) == [], "the kernel sent a typed field's value back"
    assert form.labels.labels == {"region": "eu-west"} and form.valid
