"""The History tab, driven through its widgets: snapshot, pick two, diff, revert, apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel, plain, widget_states


@pytest.fixture
def history_panel(
    make_panel: PanelFactory,
    secret_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    history_store_url: str,
) -> Iterator[Panel]:
    """A connected panel whose store is the test's own (`SINCH_HISTORY`, once on each engine)
    and whose journals live in the test's own directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SINCH_HISTORY", history_store_url)
    config.reset_settings()
    panel = make_panel()
    connect_panel(panel, secret_sandbox)
    yield panel
    config.reset_settings()


def live(sb: Sandbox) -> list[dict]:
    return [r for r in sb.subprojects() if not r["deleted"]]


def by_id(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects()}


def take_snapshot(panel: Panel) -> None:
    panel.history_form.snapshot_button.click()
    assert panel.wait()


def test_the_tab_is_in_the_panel(history_panel: Panel) -> None:
    tabs = history_panel.tabs
    assert tabs.titles[-1] == "History"
    assert tabs.children[-1] is history_panel.history_form
    form = history_panel.history_form
    assert form.a.options == () and form.b.value == "now"
    assert form.diff_button.disabled and form.revert_button.disabled and form.apply_button.disabled
    assert form.revert_row.layout.display == "none"  # no snapshot: nothing to revert to
    assert "0 snapshots in" in plain(form.store_label.value)
    assert not sn.open_store().exists  # looking at the tab creates nothing


def test_snapshot_diff_revert_and_apply_by_clicks(
    history_panel: Panel, secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    form = history_panel.history_form
    take_snapshot(history_panel)
    assert "Snapshot 1: 60 subprojects" in plain(form.status.value)
    assert form.a.value == 1 and len(form.a.options) == 1
    assert form.revert_row.layout.display is None  # shown once there is a snapshot
    assert sn.open_store().exists

    client = secret_sandbox.connect(activate=False)
    before = by_id(secret_sandbox)
    target, other = (r["subprojectId"] for r in live(secret_sandbox)[:2])
    client.update(target, display_name="Changed outside the panel", labels={"tier": "x"})
    created = client.create("Made after snapshot 1").id
    take_snapshot(history_panel)
    assert form.a.value == 2 and [v for _, v in form.b.options] == ["now", 2, 1]

    form.a.value, form.b.value = 1, 2
    form.diff_button.click()
    assert history_panel.wait()
    assert form.diff is not None and form.diff.b.id == 2
    shown = plain(form.diff_html.value)
    assert "Changed outside the panel" in shown and "1 created" in shown
    assert "“Revert” plans the way back" in shown and "revert()" not in shown  # no Python
    assert "changes in 2 subprojects from snapshot 1 to snapshot 2" in plain(form.status.value)
    assert not form.revert_button.disabled and form.apply_button.disabled

    form.revert_button.click()
    assert history_panel.wait()
    assert form.plan is not None and form.plan.summary()["update"] == 1
    assert form.plan.summary()["delete"] == 1
    assert "1 to update" in plain(form.plan_html.value)
    assert "Review, then Apply" in plain(form.status.value)
    assert not form.apply_button.disabled
    assert by_id(secret_sandbox)[target]["displayName"] == "Changed outside the panel"  # not yet

    form.apply_button.click()  # the revert deletes one: the panel asks first
    assert "Apply 2 changes, including 1 delete" in plain(form.runner.confirm_text.value)
    assert by_id(secret_sandbox)[created]["deleted"] is False, "nothing sent before the answer"
    form.runner.confirm_button.click()
    assert history_panel.wait()
    now = by_id(secret_sandbox)
    assert (now[target]["displayName"], now[target]["labels"]) == (
        before[target]["displayName"],
        before[target]["labels"],
    )
    assert now[created]["deleted"] and now[other] == before[other]
    assert "Done; the result is in the variable history_revert_result" in plain(
        form.runner.status.value
    )
    assert form.progress.value == form.progress.max and form.progress.bar_style == "success"
    assert history_panel.ctx.namespace()["history_revert_result"].ok
    assert form.apply_button.disabled  # a plan applies once

    form.b.value = "now"
    form.diff_button.click()
    assert history_panel.wait()
    assert {r.change for r in form.diff.rows} == {"created", "deleted"}  # only the new one


def test_a_revert_with_many_deletes_needs_allow_mass_delete(
    history_panel: Panel, secret_sandbox: Sandbox
) -> None:
    form = history_panel.history_form
    take_snapshot(history_panel)
    client = secret_sandbox.connect(activate=False)
    made = [client.create(f"Panel bulk {n}").id for n in range(11)]
    form.diff_button.click()  # A = snapshot 1, B = now
    assert history_panel.wait()
    form.revert_button.click()
    assert history_panel.wait()
    assert form.plan.deletes == 11
    form.apply_button.click()
    assert history_panel.wait()
    assert "Not applied: the plan deletes 11 subprojects" in plain(form.runner.status.value)
    assert not any(by_id(secret_sandbox)[sid]["deleted"] for sid in made)
    form.allow_mass_delete.value = True
    form.apply_button.click()
    form.runner.confirm_button.click()  # "Yes, delete 11"
    assert history_panel.wait()
    assert all(by_id(secret_sandbox)[sid]["deleted"] for sid in made)


def test_a_file_that_is_not_a_store_is_a_message_and_stays_untouched(
    make_panel: PanelFactory,
    secret_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".sinch").mkdir()
    notes = tmp_path / ".sinch" / "history.sqlite"
    notes.write_text("my notes, not a database")
    panel = make_panel()
    connect_panel(panel, secret_sandbox)
    form = panel.history_form
    assert "is not a history store" in plain(form.status.value)
    take_snapshot(panel)
    status = plain(form.status.value)
    assert status.startswith("✖ No snapshot taken: store:") and "left untouched" in status
    assert "Traceback" not in panel.log_text()
    assert notes.read_text() == "my notes, not a database"


def test_two_stored_snapshots_compare_without_a_connection(
    history_panel: Panel, secret_sandbox: Sandbox
) -> None:
    form = history_panel.history_form
    take_snapshot(history_panel)
    take_snapshot(history_panel)
    sn.disconnect()
    assert history_panel.wait()
    assert form.snapshot_button.disabled
    form.b.value = "now"
    assert form.diff_button.disabled  # "now" needs the account
    form.a.value, form.b.value = 1, 2
    assert not form.diff_button.disabled
    form.diff_button.click()
    assert history_panel.wait()
    assert "No changes from snapshot 1 to snapshot 2" in plain(form.status.value)
    assert form.revert_button.disabled


def test_the_tab_keeps_no_secret_in_widget_state(
    history_panel: Panel, secret_sandbox: Sandbox
) -> None:
    take_snapshot(history_panel)
    history_panel.history_form.diff_button.click()
    assert history_panel.wait()
    state = widget_states()
    assert secret_sandbox.env()["SINCH_KEY_SECRET"] not in state
    token = sn.active().auth.source.token()
    assert token not in state


def test_a_new_pick_takes_the_old_diffs_words_away(
    history_panel: Panel, secret_sandbox: Sandbox
) -> None:
    """Issue 33 item 14: "Planned a revert… Review, then Apply" does not stay once A or B
    changed and the plan it spoke of is gone; a snapshot's own line stays."""
    form = history_panel.history_form
    take_snapshot(history_panel)
    client = secret_sandbox.connect(activate=False)
    client.update(live(secret_sandbox)[0]["subprojectId"], display_name="Moved on")
    take_snapshot(history_panel)
    assert "Snapshot 2" in plain(form.status.value)
    form.a.value, form.b.value = 1, "now"
    form.diff_button.click()
    assert history_panel.wait()
    form.revert_button.click()
    assert history_panel.wait()
    assert "Review, then Apply" in plain(form.status.value)
    form.b.value = 2
    assert form.plan is None and plain(form.status.value) == ""
    take_snapshot(history_panel)  # a snapshot moves the picks; its line is what shows
    assert "Snapshot 3" in plain(form.status.value)
