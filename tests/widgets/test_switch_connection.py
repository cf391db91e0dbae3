"""Switching connection clears what the tabs showed of the old account (issue 33 item 11):
History's diff and revert plan, Bulk's plan, Edit's and Create's last messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel, plain


@pytest.fixture
def panel(
    make_panel: PanelFactory,
    secret_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Panel, dict]]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SINCH_HISTORY", str(tmp_path / "history.sqlite"))
    config.reset_settings()
    namespace: dict = {}
    made = make_panel(namespace=namespace)
    connect_panel(made, secret_sandbox)
    yield made, namespace
    config.reset_settings()


def fill_every_tab(panel: Panel, namespace: dict, sb: Sandbox) -> None:
    """A diff and a revert plan in History, a plan in Bulk, messages in Edit and Create."""
    history = panel.history_form
    history.snapshot_button.click()
    assert panel.wait()
    first = next(r for r in sb.subprojects() if not r["deleted"])
    sb.connect(activate=False).update(first["subprojectId"], display_name="Renamed elsewhere")
    history.diff_button.click()  # snapshot 1 against now
    assert panel.wait()
    history.revert_button.click()
    assert panel.wait()
    assert history.diff is not None and history.plan is not None

    frame = sb.connect(activate=False).frame()
    frame = frame[~frame["deleted"]].reset_index(drop=True)
    frame.loc[0, "displayName"] = "Planned for the old account"
    namespace["edited"] = frame
    panel.bulk_form.rescan()
    panel.bulk_form.variable.value = "edited"
    panel.bulk_form.plan_button.click()
    assert panel.wait()
    assert panel.bulk_form.plan is not None and len(panel.bulk_form.plan) == 1

    panel.edit_form.open_subproject(first["subprojectId"])
    assert panel.wait()
    assert "Opened" in plain(panel.edit_form.status.value)
    panel.create_form.name.value = "Made in the old account"
    panel.create_form.create_button.click()
    assert panel.wait()
    assert "Made in the old account" in plain(panel.create_form.status.value)


def test_switching_connection_clears_the_old_accounts_state(
    panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    made, namespace = panel
    fill_every_tab(made, namespace, secret_sandbox)
    other = Sandbox(key_id="k2", key_secret="s2-secret", project_id="p2", retry_after=0).start()
    try:
        other.connect()  # connecting elsewhere (a cell, the magic) switches the panel too
        assert made.wait()
        history = made.history_form
        assert history.diff is None and history.plan is None and history.result is None
        assert plain(history.diff_html.value) == "" and plain(history.plan_html.value) == ""
        assert history.apply_button.disabled and history.revert_button.disabled
        bulk = made.bulk_form
        assert bulk.plan is None and bulk.apply_button.disabled
        assert plain(bulk.editor.plan_view.value) == ""
        assert plain(bulk.editor.status.value) == "" and plain(bulk.picker_status.value) == ""
        assert made.edit_form.opened is None and plain(made.edit_form.status.value) == ""
        assert plain(made.create_form.status.value) == ""
    finally:
        sn.disconnect()
        other.stop()


def test_connecting_again_to_the_same_account_keeps_the_tabs(
    panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    made, namespace = panel
    fill_every_tab(made, namespace, secret_sandbox)
    secret_sandbox.connect()  # a new client of the same account
    assert made.wait()
    assert made.history_form.plan is not None and made.bulk_form.plan is not None
