"""The ipywidgets panel and the grid editor: widget composition, no JavaScript of their own.

Works wherever ipywidgets 8 and ipydatagrid do (JupyterLab 4, Notebook 7, VS Code, Binder).
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
