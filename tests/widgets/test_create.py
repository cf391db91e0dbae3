"""The Create tab and the labels editor: live validation, disabled while invalid, real creates."""

from __future__ import annotations

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import LabelsEditor, Panel

from .conftest import PanelFactory
from .helpers import live_widgets, plain


def visible(widget) -> bool:
    return widget.layout.display != "none"


# -- the labels editor on its own ---------------------------------------------------------------


def test_labels_editor_add_edit_remove() -> None:
    editor = LabelsEditor({"region": "eu-west"})
    changes: list[int] = []
    editor.on_change(lambda: changes.append(1))
    assert editor.labels == {"region": "eu-west"} and editor.valid
    row = editor.add_row()
    assert editor.labels == {"region": "eu-west"}  # a blank row is ignored, not an error
    assert editor.valid
    row.key.value, row.value.value = "tier", "gold"
    assert editor.labels == {"region": "eu-west", "tier": "gold"}
    editor.rows[0].remove.click()
    assert editor.labels == {"tier": "gold"}
    assert len(editor.rows) == 1 and len(editor.rows_box.children) == 1
    assert changes and "1 label" in editor.summary.value
    editor.add_button.click()
    assert len(editor.rows) == 2


def test_labels_editor_flags_each_broken_row() -> None:
    editor = LabelsEditor()
    row = editor.add_row("tier", "")
    assert not editor.valid
    assert "label[&#x27;tier&#x27;]: must be 1..255 characters, got 0" in row.error.value
    assert visible(row.error)
    row.value.value = "gold"
    assert editor.valid and row.error.value == "" and not visible(row.error)

    row.key.value = ""
    # the field, then the core's rule (the core words it; it says which key and why)
    assert "label key &#x27;&#x27;: " in row.error.value
    assert "must be 1..255 characters, got 0" in row.error.value
    row.key.value = "k" * 256
    assert "must be 1..255 characters, got 256" in row.error.value
    row.key.value = "tier"
    row.value.value = "v" * 256
    assert editor.errors == ["row 1: label['tier']: must be 1..255 characters, got 256"]


def test_labels_editor_flags_duplicate_keys() -> None:
    editor = LabelsEditor({"region": "eu"})
    twin = editor.add_row("region", "us")
    assert not editor.valid
    assert "duplicate key 'region' (rows 1, 2)" in plain(twin.error.value)
    assert "duplicate key" in editor.rows[0].error.value
    twin.key.value = "region2"
    assert editor.valid
    assert editor.labels == {"region": "eu", "region2": "us"}


def test_labels_editor_limits_the_number_of_labels() -> None:
    editor = LabelsEditor({f"k{n}": "v" for n in range(256)})
    assert not editor.valid
    assert "at most 255 labels are allowed, got 256" in editor.errors[-1]
    assert "at most 255" in editor.summary.value
    editor.rows[-1].remove.click()
    assert editor.valid


def test_set_labels_replaces_rows_and_frees_their_widgets() -> None:
    editor = LabelsEditor({"a": "1", "b": "2"})
    before = live_widgets()
    editor.set_labels({"c": "3", "d": "4"})
    assert editor.labels == {"c": "3", "d": "4"}
    assert live_widgets() == before


# -- the Create form ---------------------------------------------------------------------------


def test_create_is_disabled_until_connected_and_valid(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    form = panel.create_form
    form.name.value = "Acme"
    assert form.create_button.disabled
    assert form.create_button.tooltip == "Connect first"
    secret_sandbox.connect()
    assert panel.wait()
    assert not form.create_button.disabled


def test_display_name_is_validated_live_with_the_rule_shown(connected: Panel) -> None:
    form = connected.create_form
    assert form.create_button.disabled  # empty name
    assert form.name_error.value == ""  # no scolding before anything was typed
    form.name.value = "x" * 256
    shown = plain(form.name_error.value)
    assert shown == "✖ Display name: must be 1..255 characters, got 256"  # the rule once
    assert form.create_button.disabled
    form.name.value = "x" * 255
    assert form.name_error.value == ""
    assert not form.create_button.disabled
    form.name.value = ""
    assert "got an empty string" in form.name_error.value
    assert form.create_button.disabled


def test_invalid_labels_disable_create(connected: Panel) -> None:
    form = connected.create_form
    form.name.value = "Acme"
    form.labels.add_row("tier", "")
    assert form.create_button.disabled
    form.labels.rows[0].value.value = "gold"
    assert not form.create_button.disabled
    form.labels.add_row("tier", "silver")
    assert form.create_button.disabled


def test_a_click_on_a_disabled_create_sends_nothing(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    form = connected.create_form
    form.name.value = "x" * 300
    before = secret_sandbox.stats["operations"].get("create", 0)
    form.create_button.click()  # a click can race the front-end's disabled state
    assert connected.wait()
    assert secret_sandbox.stats["operations"].get("create", 0) == before


def test_create_shows_the_new_id_and_it_appears_in_browse(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    form = connected.create_form
    form.name.value = "Panel Made Ltd"
    form.labels.add_button.click()
    form.labels.rows[0].key.value = "region"
    form.labels.rows[0].value.value = "eu-north"
    shown: list[str] = []
    form.name_error.observe(lambda change: shown.append(change["new"]), names="value")
    form.create_button.click()
    assert connected.wait()

    made = [sp for sp in secret_sandbox.subprojects() if sp["displayName"] == "Panel Made Ltd"]
    assert len(made) == 1 and made[0]["labels"] == {"region": "eu-north"}
    new_id = made[0]["subprojectId"]
    assert "Created" in form.status.value and new_id in form.status.value
    assert f"as {new_id}" in connected.log_text()
    # the form is ready for the next one, without complaining about the empty name
    assert form.name.value == "" and form.labels.rows == []
    assert form.name_error.value == "" and form.create_button.disabled
    # typing the next name clears the last create's result: it is not about this one
    form.name.value = "Next One"
    assert form.status.value == ""
    assert not any(shown)  # emptying the form never flashed an error

    browser = connected.browser
    assert new_id in {sp.id for sp in browser.rows}
    browser.name_filter.value = "panel made"
    assert [sp.id for sp in browser.view] == [new_id]
    assert "region=eu-north" in set(browser.grid.column("Labels"))


def test_create_goes_through_the_engine_so_a_lost_answer_is_not_a_duplicate(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    """The 504 came after the create was done: the engine looks before sending it again."""
    sn.require_active().retry = sn.RetryPolicy(retries=3, base=0.01, cap=0.05, commit_grace=0.1)
    secret_sandbox.inject(504, method="POST", commit=True)
    form = connected.create_form
    form.name.value = "Exactly Once AG"
    form.create_button.click()
    assert connected.wait()
    made = [sp for sp in secret_sandbox.subprojects() if sp["displayName"] == "Exactly Once AG"]
    assert len(made) == 1
    assert made[0]["subprojectId"] in form.status.value


def test_a_rejected_create_is_a_message(connected: Panel, secret_sandbox: Sandbox) -> None:
    secret_sandbox.inject(
        409,
        method="POST",
        body='{"error": {"code": 409, "message": "already there", "status": "ALREADY_EXISTS"}}',
    )
    form = connected.create_form
    form.name.value = "Twice"
    form.create_button.click()
    assert connected.wait()
    assert "Could not create 'Twice': 409 ALREADY_EXISTS" in plain(form.status.value)
    assert "ALREADY_EXISTS" in form.status.value
    assert not form.create_button.disabled  # the user can try again
    assert form.name.value == "Twice"


def test_create_uses_the_shared_connection(connected: Panel, secret_sandbox: Sandbox) -> None:
    other = Sandbox(key_id="k2", key_secret="s2-secret", project_id="p2", retry_after=0).start()
    try:
        other.connect()  # connecting elsewhere switches the panel too
        assert connected.wait()
        connected.create_form.name.value = "Goes to p2"
        connected.create_form.create_button.click()
        assert connected.wait()
        assert [sp["displayName"] for sp in other.subprojects()] == ["Goes to p2"]
        assert "Goes to p2" not in {sp["displayName"] for sp in secret_sandbox.subprojects()}
        assert sn.require_active().project_id == "p2"
    finally:
        sn.disconnect()
        other.stop()
