"""The package's own grid: an HTML table in the page, its rows kept in the kernel.

Why our own: ipydatagrid's canvas grid is invisible to screen readers and keyboards, does not
render in every front-end, and needs private workarounds. This grid is an anywidget (its ES
module and CSS are files of this package, no build step, no JupyterLab-only API), so it renders
wherever ipywidgets do: JupyterLab, Notebook 7, Voila, VS Code.

The kernel holds the view (a `WindowSource`); the page holds only the rows on screen and asks
for the next window as it scrolls (a "window" message, answered with "rows"). The widget's
state carries the columns, the row count and the sort, never rows, so a saved notebook stays
small however long the view. Browse, Bulk and `sn.edit` all use this one class.
"""

from __future__ import annotations

from .sources import FrameSource, WindowSource
from .widget import DataGrid

__all__ = ["DataGrid", "FrameSource", "WindowSource"]
