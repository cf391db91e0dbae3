"""The guard rails in the panel, driven through its widgets against the sandbox: Delete of a
protected subproject asks again with a box that must be ticked, and Browse's "violations only"
filter shows the subprojects that break the label policy with the rules each breaks."""

from __future__ import annotations

from pathlib import Path

import sinch_notebook as sn
from sinch_notebook.config import settings
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .helpers import plain
from .test_edit import server, visible


def open_id(panel: Panel, sid: str) -> None:
    edit = panel.edit_form
    edit.subproject_id.value = sid
    edit.open_button.click()
    assert panel.wait()
    assert edit.opened is not None and edit.opened.id == sid


def test_delete_of_a_protected_one_needs_the_box_ticked(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = sn.active().create("Crown Jewels", {"protected": "true"}).id
    open_id(connected, sid)
    edit = connected.edit_form
    edit.delete_button.click()
    assert visible(edit.confirm_box) and visible(edit.allow_protected)
    question = plain(edit.confirm_text.value)
    assert f"'Crown Jewels' ({sid}) is protected by the label protected=true" in question
    assert "There is no undelete" in question
    assert edit.confirm_button.disabled and not edit.allow_protected.value

    edit.confirm_button.click()  # even if the button is clicked, the core refuses
    assert connected.wait()
    assert not server(secret_sandbox, sid)["deleted"]
    assert "is protected" in plain(edit.status.value)

    edit.delete_button.click()  # asked again: the box is unticked again
    assert not edit.allow_protected.value and edit.confirm_button.disabled
    edit.allow_protected.value = True
    assert not edit.confirm_button.disabled
    edit.confirm_button.click()
    assert connected.wait()
    assert server(secret_sandbox, sid)["deleted"]
    assert "Deleted 'Crown Jewels'" in plain(edit.status.value)


def test_a_protected_one_is_asked_about_even_when_confirmations_are_off(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = sn.active().create("Kept", {"protected": "true"}).id
    open_id(connected, sid)
    edit = connected.edit_form
    settings().confirm_deletes = False
    try:
        edit.delete_button.click()
        assert connected.wait()
        assert visible(edit.confirm_box) and visible(edit.allow_protected)
        assert not server(secret_sandbox, sid)["deleted"]
        edit.cancel_button.click()
        # an ordinary one is still deleted without a question
        plain_sid = sn.active().create("Loose").id
        open_id(connected, plain_sid)
        edit.delete_button.click()
        assert connected.wait()
        assert server(secret_sandbox, plain_sid)["deleted"]
        assert not visible(edit.allow_protected)
    finally:
        settings().confirm_deletes = True


def test_violations_only_shows_each_rows_broken_rules(
    connected: Panel, secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    browser = connected.browser
    browser.violations_only.value = True
    assert "No label policy" in plain(browser.status.value)
    assert len(browser.view) == 0
    browser.violations_only.value = False

    (tmp_path / "policy.yaml").write_text("required: [tier]\n")
    settings().policy = str(tmp_path / "policy.yaml")
    try:
        alive = [sp for sp in secret_sandbox.subprojects() if not sp["deleted"]]
        breaking = {sp["subprojectId"] for sp in alive if "tier" not in sp["labels"]}
        assert breaking and len(breaking) < len(alive)
        browser.violations_only.value = True
        assert {sp.id for sp in browser.view} == breaking
        labels = list(browser.grid._frame["Labels"])
        assert labels and all(text.startswith("⚠ required: tier · ") for text in labels)
        report = sn.compliance()
        assert set(report["subprojectId"]) == breaking  # the same report as code gets
        browser.clear_filters()
        assert not browser.violations_only.value and len(browser.view) == len(alive)
    finally:
        settings().policy = ""


def test_the_bulk_tab_shows_refused_rows_and_does_not_send_them(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    from .test_bulk import gui_text, plan_in_panel

    panel, namespace = bulk_panel
    client = sn.active()
    jewel = client.create("Crown Jewels", {"protected": "true"}).id
    loose = client.create("Loose Change").id
    frame = client.frame()
    frame = frame[frame["subprojectId"].isin([jewel, loose])].assign(delete=True)
    editor = plan_in_panel(panel, namespace, "doomed", frame.reset_index(drop=True))
    text = gui_text(editor)
    assert "1 to delete, 1 refused" in text
    assert "protected by the label protected=true: deleting it is refused" in text
    assert "refused by the guard rails: not applied" in text
    editor.keep_journal.value = False
    editor.apply_button.click()
    assert panel.wait()
    assert "Apply 1 change, including 1 delete" in plain(editor.confirm_text.value)
    editor.confirm_button.click()
    assert panel.wait()
    assert server(secret_sandbox, loose)["deleted"] and not server(secret_sandbox, jewel)["deleted"]
