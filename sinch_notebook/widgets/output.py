"""The panel's activity log: an Output widget that any thread may add to, newest entry first.

Callbacks run in worker threads, where `print` and `with output:` would land in whichever cell
happens to be executing (or nowhere). Changing the Output widget's `outputs` trait instead
works from any thread; a lock makes the read-modify-write of that tuple safe, so no message is
lost when several threads report at once.

The newest entry goes on top: the log is a box of fixed height, and a front-end shows the top
of a scrolled box, so what just happened is always in view without any JavaScript. The log
keeps the last MAX_ENTRIES entries.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as widgets


def _formatted(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data, metadata) mime bundle for `obj`, using the shell's formatters when there is one."""
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        formatter = InteractiveShell.instance().display_formatter
    else:
        formatter = DisplayFormatter()
    data, metadata = formatter.format(obj)
    return data, metadata


MAX_ENTRIES = 500


class PanelLog:
    """Timestamped messages and rich objects in an Output widget, safe to call from threads."""

    def __init__(self, *, clock: Any = time.localtime) -> None:
        self.widget = widgets.Output(
            layout=widgets.Layout(
                max_height="14em", overflow="auto", border="1px solid #ccc", padding="2px 6px"
            )
        )
        self.widget.add_class("sn-log")
        self._lock = threading.Lock()
        self._clock = clock

    def _stamp(self) -> str:
        return time.strftime("%H:%M:%S", self._clock())

    def _append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.widget.outputs = (entry, *self.widget.outputs[: MAX_ENTRIES - 1])

    def _stream(self, name: str, text: str) -> None:
        self._append({"output_type": "stream", "name": name, "text": f"{self._stamp()} {text}\n"})

    def info(self, text: str) -> None:
        self._stream("stdout", text)

    def error(self, text: str) -> None:
        self._stream("stderr", text)

    def newest(self) -> str:
        """The newest entry as plain text ('' when the log is empty)."""
        outputs = self.widget.outputs
        if not outputs:
            return ""
        entry = outputs[0]
        return str(entry.get("text") or entry.get("data", {}).get("text/plain", "")).strip()

    def display(self, obj: Any) -> None:
        """A rich object (a DataFrame, a Plan, an ApplyResult) as it would show in a cell."""
        data, metadata = _formatted(obj)
        self._append({"output_type": "display_data", "data": data, "metadata": metadata})

    def clear(self) -> None:
        with self._lock:
            self.widget.outputs = ()

    def text(self) -> str:
        """Everything logged, oldest first, as plain text (what `panel.log_text()` reads)."""
        parts: list[str] = []
        for entry in reversed(self.widget.outputs):
            if entry.get("output_type") == "stream":
                parts.append(entry.get("text", ""))
            else:
                parts.append(str(entry.get("data", {}).get("text/plain", "")) + "\n")
        return "".join(parts)
