"""The ipywidgets panel: pure widget composition, no custom JavaScript.

Works wherever ipywidgets 8 does (JupyterLab 4, Notebook 7, VS Code, Binder). Every button
calls the same core functions as the Python API and the `%sinch` magic.

    import sinch_notebook as sn
    sn.panel()
"""

from __future__ import annotations

from .browse import BrowseView
from .bulk import BulkForm
from .connect import ConnectForm
from .create import CreateForm
from .edit import EditForm
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
    "LabelsEditor",
    "Panel",
    "PanelLog",
    "Ticker",
    "Worker",
    "panel",
]
