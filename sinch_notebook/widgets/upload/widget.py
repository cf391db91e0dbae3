"""`UploadButton`: the kernel side of the panel's upload button (upload.js draws it).

The page sends a chosen file in parts of at most PART_BYTES (one websocket message may carry at
most 10 MiB by Tornado's default, and a larger one is dropped without a word), each a custom
message `{"type": "file", "name", "size", "offset", "last"}` with that part's bytes as its one
buffer; the kernel joins them and `on_upload` callbacks get `(name, content)`. A file larger
than `max_bytes` never leaves the page: it sends `{"type": "refused", "name", "size"}` and
`on_refused` callbacks get `(name, size)`. Nothing is answered and no trait changes, so neither
the bytes nor a count reach the widget's state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent
PART_BYTES = 1024 * 1024  # upload.js sends parts of this size

UploadCallback = Callable[[str, bytes], Any]
RefusedCallback = Callable[[str, int], Any]


class UploadButton(anywidget.AnyWidget):
    """A one-file upload button: `description` is its whole label, `accept` the file types the
    browser's chooser offers (e.g. ".csv,.xlsx"), `max_bytes` the largest file it takes (0: no
    bound). `on_upload(callback)` hears each file, `on_refused(callback)` each file too big."""

    _esm = HERE / "upload.js"
    _css = HERE / "upload.css"

    description = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    max_bytes = traitlets.Int(0).tag(sync=True)
    part_bytes = traitlets.Int(PART_BYTES).tag(sync=True)

    def __init__(
        self, description: str = "", *, accept: str = "", max_bytes: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(description=description, accept=accept, max_bytes=max_bytes, **kwargs)
        self._on_upload: list[UploadCallback] = []
        self._on_refused: list[RefusedCallback] = []
        self._parts: list[bytes] = []  # the file arriving, while its parts come
        self._got = 0
        self.on_msg(self._on_page_msg)

    def on_upload(self, callback: UploadCallback) -> None:
        """Call `callback(name, content)` for each file chosen (name without any folder)."""
        self._on_upload.append(callback)

    def on_refused(self, callback: RefusedCallback) -> None:
        """Call `callback(name, size)` for each file beyond `max_bytes` (its bytes not sent)."""
        self._on_refused.append(callback)

    def receive(self, name: str, content: bytes) -> None:
        """A file chosen in the page (or handed by code): every `on_upload` callback gets it."""
        for callback in list(self._on_upload):
            callback(_base(name), content)

    def refuse(self, name: str, size: int) -> None:
        """A file beyond `max_bytes`: every `on_refused` callback hears of it."""
        for callback in list(self._on_refused):
            callback(_base(name), size)

    def _on_page_msg(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        name, size = str(content.get("name") or ""), int(content.get("size") or 0)
        if content.get("type") == "refused":
            self.refuse(name, size)
        elif content.get("type") == "file" and len(buffers) == 1:
            if int(content.get("offset") or 0) != self._got:
                self._drop()  # a part of another file, or one missed: start again at offset 0
                if content.get("offset"):
                    return
            part = bytes(buffers[0])
            if self.max_bytes and self._got + len(part) > self.max_bytes:
                self._drop()  # the page said less than it sends: keep no more
                self.refuse(name, max(size, self.max_bytes + 1))
                return
            self._parts.append(part)
            self._got += len(part)
            if content.get("last"):
                whole = b"".join(self._parts)
                self._drop()
                self.receive(name, whole)

    def _drop(self) -> None:
        self._parts, self._got = [], 0


def _base(name: str) -> str:
    """A file's name, never a path (some browsers once sent C:\\fakepath\\...)."""
    return Path(name.replace("\\", "/")).name
