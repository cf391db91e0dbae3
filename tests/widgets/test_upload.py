"""The Bulk tab's upload of an edited export (CSV or Excel) on the default grid, and the Key
Secret field's updates never echoed to the page (kept from the HTML fallback's tests, which
went with it)."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import keeps_file, plain, send_file


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_uploaded_export_is_planned_and_applied(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, kind: str
) -> None:
    from sinch_notebook.widgets.export import file_bytes

    panel, namespace = bulk_panel
    browser = panel.browser
    browser.name_filter.value = browser.view_ids[0]
    assert panel.wait()
    exported = browser.view_frame()
    exported.loc[0, "displayName"] = f"Renamed from {kind}"
    bulk = panel.bulk_form
    content = file_bytes(exported, kind)
    send_file(bulk.upload_frame, f"edited.{kind}", content)
    assert panel.wait()
    assert not keeps_file(bulk.upload_frame, content)  # the file is not kept in its state
    assert "uploaded_df" in namespace
    assert len(bulk.plan) == 1 and not bulk.plan.conflicts and not bulk.plan.invalid
    bulk.apply_button.click()
    assert panel.wait()
    assert bulk.result.ok
    sid = browser.view_ids[0]
    server = {sp["subprojectId"]: sp for sp in secret_sandbox.subprojects()}
    assert server[sid]["displayName"] == f"Renamed from {kind}"


def test_an_upload_that_is_not_an_export_is_one_clear_line(bulk_panel: tuple[Panel, dict]) -> None:
    panel, _ = bulk_panel
    bulk = panel.bulk_form
    send_file(bulk.upload_frame, "notes.txt", b"hello")
    assert "file: notes.txt: must be a .csv or .xlsx file" in plain(bulk.picker_status.value)
    assert bulk.plan is None


def test_the_key_secret_is_not_echoed_to_the_page(make_panel: PanelFactory) -> None:
    """ipywidgets 8 echoes each update from the page back to it; never for the Key Secret."""
    panel = make_panel(autoconnect=False)
    field = panel.connect_form.key_secret
    sent: list[dict] = []
    field._send = lambda msg, buffers=None: sent.append(msg)  # what would go to the page
    field.set_state({"value": "typed-secret-value"})
    assert "typed-secret-value" not in repr(sent)
    other = widgets.Text()  # a plain field is echoed, as ipywidgets does: the check works
    other._send = lambda msg, buffers=None: sent.append(msg)
    other.set_state({"value": "a-key-id"})
    assert "a-key-id" in repr(sent)
    other.close()
