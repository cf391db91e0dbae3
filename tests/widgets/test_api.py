"""`sn.panel()`: exported, lazily imported, and takes no secret."""

from __future__ import annotations

import inspect
import subprocess
import sys

import sinch_notebook as sn
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory


def test_importing_the_package_does_not_load_ipywidgets() -> None:
    code = "import sys, sinch_notebook; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sn_panel_builds_a_panel_with_six_tabs(make_panel: PanelFactory) -> None:
    assert "panel" in sn.__all__
    panel = sn.panel(namespace={}, key_id="prefilled-key", project_id="prefilled-project")
    try:
        assert isinstance(panel, Panel)
        assert panel.tabs.titles == ("Connect", "Browse", "Create", "Edit", "Bulk", "History")
        assert panel.connect_form.key_id.value == "prefilled-key"
        assert panel.connect_form.project_id.value == "prefilled-project"
        assert "sn-panel" in panel._dom_classes
    finally:
        panel.close()


def test_the_panel_takes_no_secret_argument() -> None:
    params = inspect.signature(Panel).parameters
    assert not [name for name in params if "secret" in name]


def test_the_text_fallback_is_one_short_line(make_panel: PanelFactory, secret_sandbox) -> None:
    """GitHub and nbval see the text/plain of a displayed panel: it must not be the tree."""
    panel = make_panel()
    text = panel._repr_mimebundle_()["text/plain"]
    assert text == (
        "[Sinch panel (not connected): run this cell in Jupyter to show it; "
        "widgets need a running kernel]"
    )
    assert repr(panel) == "Panel(not connected)"
    secret_sandbox.connect()
    assert panel.wait()
    assert repr(panel) == f"Panel(project={secret_sandbox.project_id!r}, auth='oauth')"
    text = panel._repr_mimebundle_()["text/plain"]
    assert text.startswith(f"[Sinch panel (project {secret_sandbox.project_id!r}, OAuth2): run")
    assert "\n" not in text
