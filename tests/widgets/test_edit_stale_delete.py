"""The Edit tab's Delete deletes only the version shown (`client.delete_if_unchanged`).

A colleague renames the subproject (a second client) while "Yes, delete it" is on screen: the
click does not delete it; the form shows it as it is now and asks again, naming it.
"""

from __future__ import annotations

from sinch_notebook.config import settings
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .helpers import plain
from .test_edit import open_first, server, visible


def test_a_rename_while_asked_is_shown_and_asked_again(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = open_first(connected)
    edit = connected.edit_form
    old = server(secret_sandbox, sid)["displayName"]
    edit.delete_button.click()
    assert visible(edit.confirm_box) and old in plain(edit.confirm_text.value)

    colleague = secret_sandbox.connect(activate=False)
    colleague.update(sid, display_name="Renamed Meanwhile")
    edit.confirm_button.click()
    assert connected.wait()
    assert not server(secret_sandbox, sid)["deleted"]
    question = plain(edit.confirm_text.value)
    assert visible(edit.confirm_box)
    assert question == "⚠ " + (
        f"{old!r} ({sid}) changed on the server since it was shown: it was renamed to "
        f"'Renamed Meanwhile'. Delete 'Renamed Meanwhile' ({sid})? There is no undelete."
    )
    assert "Not deleted yet" in plain(edit.status.value)
    assert edit.name.value == "Renamed Meanwhile"  # the form shows it as it is now
    assert not edit.delete_button.disabled

    edit.confirm_button.click()
    assert connected.wait()
    assert server(secret_sandbox, sid)["deleted"]
    assert "Deleted 'Renamed Meanwhile'" in plain(edit.status.value)


def test_without_the_question_a_changed_one_is_not_deleted(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    sid = open_first(connected)
    edit = connected.edit_form
    secret_sandbox.connect(activate=False).edit(sid, set_labels={"tier": "changed"})
    settings().confirm_deletes = False
    try:
        edit.delete_button.click()
        assert connected.wait()
        assert not server(secret_sandbox, sid)["deleted"]
        status = plain(edit.status.value)
        assert "Not deleted:" in status and "its labels are now" in status
        assert "tier=changed" in status
        assert not visible(edit.confirm_box)
        edit.delete_button.click()  # the version now shown
        assert connected.wait()
    finally:
        settings().confirm_deletes = True
    assert server(secret_sandbox, sid)["deleted"]
