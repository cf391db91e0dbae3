"""`UploadButton`: the kernel side of the panel's upload button (upload.js draws it).

The page -> kernel message is `{"type": "file", "name": <the file's name>}` with the file's
bytes as its one buffer; `on_upload` callbacks get `(name, content)`. Nothing is answered and no
trait changes, so neither the bytes nor a count reach the widget's state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent

UploadCallback = Callable[[str, bytes], Any]


class UploadButton(anywidget.AnyWidget):
    """A one-file upload button: `description` is its whole label, `accept` the file types the
    browser's chooser offers (e.g. ".csv,.xlsx"); `on_upload(callback)` hears each file."""

    _esm = HERE / "upload.js"
    _css = HERE / "upload.css"

    description = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, description: str = "", *, accept: str = "", **kwargs: Any) -> None:
        super().__init__(description=description, accept=accept, **kwargs)
        self._callbacks: list[UploadCallback] = []
        self.on_msg(self._on_page_msg)

    def on_upload(self, callback: UploadCallback) -> None:
        """Call `callback(name, content)` for each file chosen (name without any folder)."""
        self._callbacks.append(callback)

    def receive(self, name: str, content: bytes) -> None:
        """A file chosen in the page (or handed by code): every `on_upload` callback gets it."""
        name = Path(name.replace("\\", "/")).name  # a name, never a path
        for callback in list(self._callbacks):
            callback(name, content)

    def _on_page_msg(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if isinstance(content, dict) and content.get("type") == "file" and buffers:
            self.receive(str(content.get("name") or ""), bytes(buffers[0]))
