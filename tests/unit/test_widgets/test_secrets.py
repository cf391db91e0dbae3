"""Neither the Key Secret nor a token is ever in a widget's state or in an Output widget.

"Save widget state" writes `get_state()` of every live widget into the notebook; these tests
read exactly that, for every widget in the process, after each way the secret can be used.
"""

from __future__ import annotations

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox

from .conftest import PanelFactory
from .helpers import SECRET, connect_panel, fill_credentials, output_texts, widget_states

WRONG = "Wrong-Secret-0b1c2d-also-never-saved"


def assert_nowhere(*needles: str) -> None:
    states, outputs = widget_states(), output_texts()
    for needle in needles:
        assert needle not in states
        assert needle not in outputs


def test_right_secret_and_token_are_in_no_widget_state(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    assert secret_sandbox.key_id in widget_states()  # the scan does see what is typed

    panel.connect_form.connect_button.click()
    assert panel.wait()
    client = sn.require_active()
    token = client.auth.source.token()
    assert len(token) > 20
    # Work the panel a little: messages, tables and forms all stay clean.
    panel.create_form.name.value = "secret check"
    panel.create_form.create_button.click()
    panel.browser.refresh()
    assert panel.wait()
    assert "Created" in panel.create_form.status.value
    assert_nowhere(SECRET, token)
    assert SECRET not in repr(panel) and token not in repr(panel)


def test_a_typed_secret_leaves_the_synced_field_before_connect(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    """Saving the notebook between typing the secret and pressing Connect stores nothing."""
    panel = make_panel()
    form = panel.connect_form
    fill_credentials(panel, secret_sandbox, SECRET)
    assert form.key_secret.value == ""
    assert "entered" in form.key_secret.placeholder
    assert_nowhere(SECRET)
    form.connect_button.click()
    assert panel.wait()
    assert sn.require_active().project_id == secret_sandbox.project_id
    assert "entered" not in form.key_secret.placeholder


def test_wrong_secret_is_in_no_widget_state(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    connect_panel(panel, secret_sandbox, secret=WRONG)
    assert "Could not connect" in panel.connect_form.status.value
    assert_nowhere(WRONG)


def test_a_failed_then_successful_connect_leaves_nothing(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    connect_panel(panel, secret_sandbox, secret=WRONG)
    connect_panel(panel, secret_sandbox)
    token = sn.require_active().auth.source.token()
    panel.connect_form.disconnect_button.click()
    assert_nowhere(SECRET, WRONG, token)


def test_a_secret_from_the_environment_is_never_shown(
    make_panel: PanelFactory, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in secret_sandbox.env().items():
        monkeypatch.setenv(name, value)
    panel = make_panel()
    assert_nowhere(SECRET)
    panel.connect_form.connect_button.click()
    assert panel.wait()
    assert_nowhere(SECRET, sn.require_active().auth.source.token())


def test_basic_auth_keeps_the_secret_out_too(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    panel.connect_form.auth_mode.value = "basic"
    panel.connect_form.connect_button.click()
    assert panel.wait()
    assert sn.require_active().auth_mode == "basic"
    assert_nowhere(SECRET)
