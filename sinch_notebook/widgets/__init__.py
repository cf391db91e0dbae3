"""The ipywidgets panel and the grid editor: widget composition; the one piece of JavaScript is
the grid's (datagrid/grid.js, an anywidget module shipped as a file: no build step).

Works wherever ipywidgets 8 and anywidget do (JupyterLab 4, Notebook 7, Voila, VS Code, Binder).
Every button calls the same core functions as the Python API and the `%sinch` magic.

    import sinch_notebook as sn
    sn.panel()
    sn.edit(df)
"""

from __future__ import annotations

from .browse import BrowseView
from .bulk import BulkForm
from .connect import ConnectForm
from .create import CreateForm
from .edit import EditForm, SubprojectForm
from .editor import FrameEditor, edit
from .labels import LabelsEditor
from .output import PanelLog
from .panel import Panel, panel
from .worker import Ticker, Worker

__all__ = [
    "BrowseView",
    "BulkForm",
    "ConnectForm",
    "CreateForm",
    "EditForm",
    "FrameEditor",
    "LabelsEditor",
    "Panel",
    "PanelLog",
    "SubprojectForm",
    "Ticker",
    "Worker",
    "edit",
    "panel",
]
