"""The panel with saved profiles and several connections, driven through its widgets: the
profile picker, "save as profile", a failing keychain, and the header's connection switcher."""

from __future__ import annotations

import pytest

import sinch_notebook as sn
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.sandbox import Sandbox
from tests.conftest import use_keychain
from tests.helpers import save_sandbox_profile as save
from tests.keyrings import BROKEN, MemoryKeyring

from .conftest import PanelFactory
from .helpers import SECRET, connect_panel, plain, widget_states


def test_picking_a_profile_fills_the_form_and_connects_without_typing(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    save(secret_sandbox, "prod", SECRET)
    panel = make_panel()
    form = panel.connect_form
    assert list(form.profiles.picker.options) == ["(no profile)", "prod"]
    form.profiles.picker.value = "prod"
    assert form.key_id.value == secret_sandbox.key_id
    assert form.project_id.value == secret_sandbox.project_id
    assert form.api_url.value == secret_sandbox.url
    assert "OS keychain" in form.key_secret.placeholder
    form.connect_button.click()
    assert panel.wait()
    client = sn.active()
    assert client is not None and client.project_id == secret_sandbox.project_id
    assert sn.connections()["name"].tolist() == ["prod"]
    assert panel.switcher.choice.value == "prod"
    assert SECRET not in widget_states()


def test_a_panel_opened_with_a_profile_preselects_it(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    save(secret_sandbox, "prod", SECRET)
    panel = make_panel(profile="prod")
    assert panel.connect_form.profiles.picker.value == "prod"
    assert panel.connect_form.key_id.value == secret_sandbox.key_id
    assert "No saved profile named 'x'" in plain(
        make_panel(profile="x").connect_form.profiles.note.value
    )


def test_no_usable_keychain_is_one_message_that_asks_for_the_secret(
    make_panel: PanelFactory, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(secret_sandbox, "prod", None)
    use_keychain(monkeypatch, BROKEN)
    panel = make_panel(profile="prod")
    form = panel.connect_form
    form.connect_button.click()
    assert panel.wait()
    assert sn.active() is None
    text = plain(form.status.value)
    assert "Key Secret: no usable OS keychain (KeyringLocked) for profile 'prod'" in text
    assert "type it" in text and "Traceback" not in panel.log_text()
    form.key_secret.value = SECRET  # typed: it is used
    form.connect_button.click()
    assert panel.wait()
    assert sn.active() is not None and sn.active().project_id == secret_sandbox.project_id


def test_save_as_profile_keeps_a_connection_that_worked(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    form = panel.connect_form
    form.profiles.save_as.value = "bad name"
    connect_panel(panel, secret_sandbox)
    assert sn.active() is None and "Save as: a profile name" in plain(form.status.value)

    form.profiles.save_as.value = "work"
    connect_panel(panel, secret_sandbox)
    assert sn.active() is not None
    assert "Saved profile 'work'" in panel.log_text()
    assert profile_store.get("work").key_id == secret_sandbox.key_id
    assert list(MemoryKeyring.entries.values()) == [SECRET]
    assert form.profiles.save_as.value == ""
    assert "work" in form.profiles.picker.options
    assert SECRET not in widget_states() and SECRET not in panel.log_text()


def test_the_header_switches_connections_and_follows_use_elsewhere(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    with Sandbox(project_id="second-project", subprojects=2) as other:
        first = secret_sandbox.connect(name="first")
        panel = make_panel()
        assert panel.wait()
        assert panel.switcher.choice.value == "first"
        assert panel.switcher.layout.display is None
        second = other.connect(name="second")
        assert panel.wait()
        assert list(panel.switcher.choice.options) == ["first", "second"]
        assert panel.switcher.choice.value == "second"
        assert "second-project" in panel.header.value

        panel.switcher.choice.value = "first"  # switched in the panel
        assert panel.wait()
        assert sn.active() is first and secret_sandbox.project_id in panel.header.value

        sn.use("second")  # %sinch use / sn.use elsewhere: the panel follows
        assert panel.wait()
        assert panel.switcher.choice.value == "second"
        assert {r.parent_project_id for r in panel.browser.rows} == {"second-project"}

        sn.disconnect("second")
        assert panel.wait()
        assert list(panel.switcher.choice.options) == ["first"]
        assert sn.active() is None and panel.switcher.choice.value is None
        sn.disconnect_all()
        assert panel.switcher.layout.display == "none"
        del second


def test_the_default_profile_is_preselected_and_a_bad_file_is_one_message(
    make_panel: PanelFactory, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(secret_sandbox, "prod", SECRET)
    monkeypatch.setenv("SINCH_PROFILE", "prod")
    panel = make_panel()
    assert panel.connect_form.profiles.picker.value == "prod"
    panel.connect_form.connect_button.click()
    assert panel.wait()
    assert sn.active() is not None and sn.connections()["name"].tolist() == ["prod"]

    profile_store.config_path().write_text('[profiles.prod]\nkey_id = "k"\ncolour = "red"\n')
    broken = make_panel()  # the panel still shows; the form says what is wrong, and where
    assert "line 3" in plain(broken.connect_form.status.value)
    assert "line 3" in plain(broken.connect_form.profiles.note.value)
    assert list(broken.connect_form.profiles.picker.options) == ["(no profile)"]
