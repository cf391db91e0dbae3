"""The Edit tab: rename, labels, Save, conflicts with changes made elsewhere, Delete."""

from __future__ import annotations

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .helpers import plain


def server(sandbox: Sandbox, subproject_id: str) -> dict:
    return next(sp for sp in sandbox.subprojects() if sp["subprojectId"] == subproject_id)


def colleague(sandbox: Sandbox) -> sn.SubprojectsClient:
    """Someone else on the same account: a client of their own, not the panel's shared one
    (whose changes the panel follows by itself)."""
    return sandbox.connect(activate=False)


def visible(widget) -> bool:
    return widget.layout.display != "none"


def open_first(panel: Panel) -> str:
    """Click the first row of Browse sorted by name, as a person would."""
    panel.browser.sort_by("Name", descending=False)
    chosen = panel.browser.view[0].id
    panel.browser.grid.click_row(0)
    assert panel.wait()
    assert panel.edit_form.opened is not None and panel.edit_form.opened.id == chosen
    return chosen


def test_the_form_is_empty_until_something_is_opened(connected: Panel) -> None:
    edit = connected.edit_form
    assert edit.opened is None and not visible(edit.fields)
    edit.open_button.click()
    assert "give an id" in edit.status.value


def test_rename_and_relabel_then_save(connected: Panel, secret_sandbox: Sandbox) -> None:
    sid = open_first(connected)
    edit = connected.edit_form
    before = server(secret_sandbox, sid)
    assert visible(edit.fields)
    assert edit.name.value == before["displayName"]
    assert edit.labels.labels == before["labels"]
    assert sid in edit.info.value

    edit.name.value = "Renamed In Panel"
    first_key = next(iter(before["labels"]))
    edit.labels.rows[0].value.value = "changed-value"
    edit.labels.add_row("added", "yes")
    edit.save_button.click()
    assert connected.wait()

    after = server(secret_sandbox, sid)
    assert after["displayName"] == "Renamed In Panel"
    assert after["labels"] == {**before["labels"], first_key: "changed-value", "added": "yes"}
    assert "Saved the name and labels" in edit.status.value
    assert edit.opened is not None and edit.opened.display_name == "Renamed In Panel"
    assert edit.changes == {}
    browse_row = next(sp for sp in connected.browser.rows if sp.id == sid)
    assert browse_row.display_name == "Renamed In Panel"  # Browse shows it without a reload


def test_removing_a_label_removes_it_on_the_server(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = open_first(connected)
    edit = connected.edit_form
    before = server(secret_sandbox, sid)
    assert len(before["labels"]) >= 2
    gone = edit.labels.rows[0].key.value
    edit.labels.rows[0].remove.click()
    assert edit.changes == {"remove_labels": [gone]}
    edit.save_button.click()
    assert connected.wait()
    assert gone not in server(secret_sandbox, sid)["labels"]
    assert "Saved the labels" in edit.status.value


def test_nothing_to_save(connected: Panel, secret_sandbox: Sandbox) -> None:
    sid = open_first(connected)
    before = server(secret_sandbox, sid)["updateTime"]
    assert connected.edit_form.save_button.disabled  # nothing changed: Save is not offered
    connected.edit_form.save_button.click()
    assert connected.wait()
    assert "Nothing to save: nothing was changed" in connected.edit_form.status.value
    assert server(secret_sandbox, sid)["updateTime"] == before


def test_invalid_edits_disable_save(connected: Panel) -> None:
    open_first(connected)
    edit = connected.edit_form
    edit.name.value = ""
    assert edit.save_button.disabled
    shown = plain(edit.name_error.value)
    assert shown == "✖ Display name: must be 1..255 characters, got an empty string"
    edit.name.value = "ok"
    assert not edit.save_button.disabled
    edit.labels.add_row("dup", "1")
    edit.labels.add_row("dup", "2")
    assert edit.save_button.disabled


def test_a_change_made_elsewhere_is_not_overwritten(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = open_first(connected)
    edit = connected.edit_form
    colleague(secret_sandbox).update(sid, labels={"owner": "someone-else"})  # meanwhile

    edit.name.value = "My Rename"
    edit.save_button.click()
    assert connected.wait()

    truth = server(secret_sandbox, sid)
    assert truth["labels"] == {"owner": "someone-else"}  # their change survived
    assert truth["displayName"] != "My Rename"
    assert "Not saved" in edit.status.value and "changed on the server" in edit.status.value
    assert visible(edit.reload_button)
    assert edit.name.value == "My Rename"  # the user's edits are still in the form

    edit.reload_button.click()
    assert connected.wait()
    assert edit.labels.labels == {"owner": "someone-else"}
    assert edit.name.value == truth["displayName"]
    assert not visible(edit.reload_button)
    edit.name.value = "My Rename"
    edit.save_button.click()
    assert connected.wait()
    assert server(secret_sandbox, sid)["displayName"] == "My Rename"
    assert server(secret_sandbox, sid)["labels"] == {"owner": "someone-else"}


def test_a_deletion_made_elsewhere_is_reported_on_save(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = open_first(connected)
    colleague(secret_sandbox).delete(sid)
    connected.edit_form.name.value = "Too late"
    connected.edit_form.save_button.click()
    assert connected.wait()
    assert "was deleted" in connected.edit_form.status.value
    assert server(secret_sandbox, sid)["displayName"] != "Too late"


def test_delete_needs_confirmation(connected: Panel, secret_sandbox: Sandbox) -> None:
    sid = open_first(connected)
    edit = connected.edit_form
    assert not visible(edit.confirm_box)
    edit.delete_button.click()
    assert visible(edit.confirm_box)
    assert "There is no undelete" in edit.confirm_text.value and sid in edit.confirm_text.value
    assert not server(secret_sandbox, sid)["deleted"]

    edit.cancel_button.click()
    assert not visible(edit.confirm_box)
    assert "Not deleted" in edit.status.value
    assert connected.wait()
    assert not server(secret_sandbox, sid)["deleted"]

    edit.delete_button.click()
    edit.confirm_button.click()
    assert connected.wait()
    assert server(secret_sandbox, sid)["deleted"]
    assert "Deleted" in edit.status.value and "deleted" in edit.info.value
    assert edit.save_button.disabled and edit.delete_button.disabled
    browser = connected.browser
    assert sid not in {sp.id for sp in browser.view}  # hidden: deleted
    browser.show_deleted.value = True
    assert next(sp for sp in browser.view if sp.id == sid).deleted


def test_open_by_pasted_id_and_a_missing_one(connected: Panel, secret_sandbox: Sandbox) -> None:
    edit = connected.edit_form
    sid = secret_sandbox.subprojects()[5]["subprojectId"]
    edit.subproject_id.value = f"  {sid} "
    edit.open_button.click()
    assert connected.wait()
    assert edit.opened is not None and edit.opened.id == sid

    edit.subproject_id.value = "01FC66621VHDBN119Z8PMXXXXX"
    edit.open_button.click()
    assert connected.wait()
    assert "Could not open" in edit.status.value and "404" in edit.status.value
    assert edit.opened is not None and edit.opened.id == sid  # the open one stays


def test_delete_without_the_question_when_confirmations_are_off(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    from sinch_notebook.config import settings

    sid = open_first(connected)
    settings().confirm_deletes = False
    try:
        connected.edit_form.delete_button.click()
        assert connected.wait()
    finally:
        settings().confirm_deletes = True
    assert server(secret_sandbox, sid)["deleted"]
    assert not visible(connected.edit_form.confirm_box)


def test_save_sends_the_version_opened_so_a_change_since_is_not_overwritten(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    """The guard is the core's `client.edit(expected_update_time=...)`: one read, no PATCH."""
    sid = open_first(connected)
    colleague(secret_sandbox).update(sid, display_name="Meanwhile")
    secret_sandbox.reset_stats()
    connected.edit_form.name.value = "Mine"
    connected.edit_form.save_button.click()
    assert connected.wait()
    assert secret_sandbox.stats["operations"].get("update", 0) == 0
    assert "changed on the server after you opened it" in connected.edit_form.status.value


def test_disconnect_clears_the_form(connected: Panel) -> None:
    open_first(connected)
    sn.disconnect()
    edit = connected.edit_form
    assert edit.opened is None and not visible(edit.fields)
    assert edit.open_button.disabled


def test_unsaved_changes_look_different_and_old_outcomes_go(connected: Panel) -> None:
    """Issue 33 item 14: a form with unsaved changes says so and only then offers Save; the
    last outcome ("Opened", "Saved") goes once the form is edited again."""
    open_first(connected)
    edit = connected.edit_form
    assert "Opened" in plain(edit.status.value)
    assert edit.save_button.disabled and plain(edit.unsaved.value) == ""
    assert "sn-edit-dirty" not in edit._dom_classes
    original = edit.name.value
    edit.name.value = original + " (edited)"
    assert not edit.save_button.disabled
    assert plain(edit.unsaved.value) == "⚠ Unsaved changes"
    assert "sn-edit-dirty" in edit._dom_classes
    assert plain(edit.status.value) == ""  # "Opened" was about the form before the edit
    edit.name.value = original  # back as it was: nothing to save again
    assert edit.save_button.disabled and plain(edit.unsaved.value) == ""
    edit.labels.add_row("fresh", "yes")
    edit.save_button.click()
    assert connected.wait()
    assert "Saved the labels" in plain(edit.status.value)
    assert edit.save_button.disabled and plain(edit.unsaved.value) == ""
    edit.labels.rows[-1].value.value = "no"
    assert plain(edit.status.value) == "" and plain(edit.unsaved.value) == "⚠ Unsaved changes"
