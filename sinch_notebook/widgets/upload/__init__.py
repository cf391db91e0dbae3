"""The panel's upload button: a real `<button>` labelled with its description alone.

Why our own: ipywidgets' `FileUpload` always draws "description (count)", and the panel clears
its value after reading it (no file content may stay in saved widget state), so it read
"Upload CSV / Excel (0)" right after an upload. This one is an anywidget (its ES module and CSS
are files of this package, no build step): the page sends the chosen file's name and bytes to
the kernel as one custom message with a buffer, never as a synced trait, so the widget's state
(what a saved notebook keeps) never holds a file.
"""

from __future__ import annotations

from .widget import UploadButton

__all__ = ["UploadButton"]
