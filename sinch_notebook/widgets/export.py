"""Downloads of a frame (the Browse view, a plan, a result) as CSV or Excel, in one click.

The file is made when asked for (`sinch_notebook/files.py`: safe to open, read back exactly)
and offered as a `data:` link with a `download` name, which works in JupyterLab, Notebook 7 and
VS Code alike, with no file next to the notebook and no server route. The same click also
starts the download: a one-line script, shown for an instant in a hidden output and cleared at
once, clicks that link in the browser (so it never runs again from saved widget state). Where
scripts do not run, the link stays there to click. The file is in the widget state only while
its link is shown; the next download replaces it.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone
from html import escape

import ipywidgets as widgets
import pandas as pd
from IPython.display import Javascript

from ..display import plural
from ..errors import ValidationError
from ..files import csv_bytes, excel_bytes
from ..public import forwarded
from . import controls as ui

KINDS = {
    "csv": ("text/csv", "CSV"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
}


def file_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    if kind == "csv":
        return csv_bytes(frame)
    if kind == "xlsx":
        return excel_bytes(frame)
    raise ValidationError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")


def file_name(stem: str, kind: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M")
    return f"{stem}-{stamp}.{kind}"


def download_link(frame: pd.DataFrame, stem: str, kind: str, anchor_id: str = "") -> str:
    """An HTML link that saves `frame` as a file (name like `stem-20260101-1200.csv`)."""
    data = file_bytes(frame, kind)
    mime, label = KINDS[kind]
    name = file_name(stem, kind)
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    rows = plural(len(frame), "row")
    ident = f' id="{escape(anchor_id, quote=True)}"' if anchor_id else ""
    return (
        f'<a class="sn-download"{ident} download="{escape(name, quote=True)}" href="{href}" '
        f'style="text-decoration:underline">{escape(name)}</a> '
        f'<span style="opacity:.7">({label}, {rows}, {_size(len(data))}: your browser saves '
        "it; click the name to save it again)</span>"
    )


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


class Download(widgets.VBox):
    """Where a tab offers its file: the link, and the hidden output that clicks it once."""

    def __init__(self, css_class: str) -> None:
        self.link = ui.html(css_class)
        self._trigger = widgets.Output(layout=widgets.Layout(display="none"))
        super().__init__([self.link, self._trigger])

    value = forwarded("link.value", "The link's HTML ('' when nothing is offered).", settable=True)

    def offer(self, frame: pd.DataFrame, stem: str, kind: str) -> None:
        """Make the file, show its link and start its download in the browser."""
        anchor = f"sn-download-{uuid.uuid4().hex}"
        self.link.value = download_link(frame, stem, kind, anchor_id=anchor)
        script = (
            "(function find(n){var a=document.getElementById(" + json.dumps(anchor) + ");"
            "if(a){a.click();}else if(n<100){setTimeout(function(){find(n+1);},50);}})(0);"
        )
        self._trigger.append_display_data(Javascript(script))
        self._trigger.outputs = ()  # ran once in the browser; never saved, never run again
