"""The panel and the `%sinch` magic share one connection, in a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, magic_shell

from .conftest import PanelFactory
from .helpers import KEY_ID, PROJECT_ID, connect_panel, plain


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MagicShell]:
    yield from magic_shell(monkeypatch, tmp_path)


def test_login_in_the_magic_connects_the_panel_and_disconnect_in_the_panel_logs_out(
    ip: MagicShell, make_panel: PanelFactory
) -> None:
    panel = make_panel(namespace=ip.user_ns)
    ip.ok("%sinch login --sandbox")
    assert panel.wait()
    assert "demo-project" in panel.header.value
    assert "demo-project" in panel.connect_form.status.value
    assert len(panel.browser.rows) == 120

    panel.connect_form.disconnect_button.click()
    assert "Not connected" in ip.ok("%sinch status").text
    assert "not connected" in panel.header.value


def test_connect_in_the_panel_is_the_magics_connection(
    ip: MagicShell, make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel(namespace=ip.user_ns)
    connect_panel(panel, secret_sandbox)
    status = ip.ok("%sinch status").text
    assert PROJECT_ID in status and KEY_ID in status
    ip.ok("%sinch logout")
    assert sn.active() is None
    assert "not connected" in panel.header.value


def test_the_user_namespace_defaults_to_the_ipython_shell(
    ip: MagicShell, make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    ip.ok("import pandas as pd\nedited = pd.DataFrame({'x': [1]})")
    panel = make_panel(namespace=None)
    assert panel.ctx.namespace() is ip.user_ns
    assert panel.bulk_form.variable.options == ("edited",)
    connect_panel(panel, secret_sandbox)
    panel.browser.frame_name.value = "from_panel"
    panel.browser.frame_button.click()
    assert panel.wait()
    assert len(ip.user_ns["from_panel"]) == len(panel.browser.view)


def test_the_panel_reads_the_settings_the_magic_sets(
    ip: MagicShell, make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    ip.ok("%config Sinch.workers = 3")
    ip.ok("%config Sinch.page_size = 7")
    ip.ok("%config Sinch.api_version = 'v1alpha1'")
    panel = make_panel(namespace=ip.user_ns)
    assert panel.bulk_form.editor.workers.value == 3
    assert panel.connect_form.api_version.value == "v1alpha1"
    secret_sandbox.reset_stats()
    connect_panel(panel, secret_sandbox)
    assert sn.require_active().base_url.endswith("/v1alpha1")
    pages = -(-len(secret_sandbox.subprojects()) // 7)
    assert secret_sandbox.stats["operations"]["list"] == pages + 1  # + the connect check


def test_a_bad_setting_variable_does_not_stop_the_panel(
    make_panel: PanelFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sinch_notebook import config

    monkeypatch.setenv("SINCH_WORKERS", "lots")
    config.reset_settings()
    try:
        panel = make_panel()
        assert panel.bulk_form.editor.workers.value == 8
    finally:
        config.reset_settings()


def test_the_panel_follows_changes_made_by_sinch_commands_on_the_shared_connection(
    ip: MagicShell, make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel(namespace=ip.user_ns)
    connect_panel(panel, secret_sandbox)
    first, second = panel.browser.view[0], panel.browser.view[1]
    panel.open_in_edit(first.id)
    assert panel.wait() and panel.edit_form.opened.id == first.id

    # a rename by %sinch: Browse shows it and Edit (nothing typed there) follows it
    ip.ok(f"%sinch update {first.id} --name Renamed by the magic")
    shown = {sp.id: sp.display_name for sp in panel.browser.view}
    assert shown[first.id] == "Renamed by the magic"
    assert panel.edit_form.name.value == "Renamed by the magic"
    assert "changed elsewhere" in plain(panel.edit_form.status.value)

    # with an edit typed in the form, it is not thrown away: the form says so, offers Reload
    panel.edit_form.name.value = "Typed in the panel"
    ip.ok(f"%sinch update {first.id} --label tier=gold")
    assert panel.edit_form.name.value == "Typed in the panel"
    assert "changed elsewhere" in plain(panel.edit_form.status.value)
    assert panel.edit_form.reload_button.layout.display is None

    # a delete by %sinch: Browse hides it (it is deleted) without a reload
    ip.ok("%config Sinch.confirm_deletes = False")
    ip.ok(f"%sinch delete {second.id}")
    assert second.id not in {sp.id for sp in panel.browser.view}
    assert secret_sandbox.stats["operations"]["list"] == 2  # no reload: the connect check + load
