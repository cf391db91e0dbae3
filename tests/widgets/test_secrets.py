"""Neither the Key Secret nor a token is ever in a widget's state or in an Output widget.

"Save widget state" writes `get_state()` of every live widget into the notebook; these tests
read exactly that, for every widget in the process, after each way the secret can be used.
"""

from __future__ import annotations

import base64

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
    assert "The Key Secret is not right" in panel.connect_form.status.value
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


# -- a proxy that quotes the request back ------------------------------------------------------


def echo_page(*quoted: str) -> str:
    """An HTML error page of a proxy that quotes the request it got (headers, body)."""
    lines = "\n".join(quoted)
    return (
        f"<html><head><title>502 Bad Gateway: {' '.join(quoted)}</title></head>"
        f"<body><h1>Bad Gateway {quoted[0]}</h1><pre>{lines}</pre></body></html>"
    )


def basic_value(key_id: str, secret: str) -> str:
    return base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def test_an_echoing_token_endpoint_reaches_no_widget(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    basic = basic_value(secret_sandbox.key_id, SECRET)
    secret_sandbox.inject(
        502,
        method="POST",
        path_contains="/oauth2/token",
        times=50,
        body=echo_page(f"Authorization: Basic {basic}", f"client_secret={SECRET}"),
        content_type="text/html",
    )
    panel.connect_form.connect_button.click()
    assert panel.wait()
    status = panel.connect_form.status.value
    assert "Could not connect" in status and "***" in status  # shown, with the quotes masked
    assert_nowhere(SECRET, basic)
    assert SECRET not in panel.log_text() and basic not in panel.log_text()


@pytest.mark.parametrize("auth", ["oauth", "basic"])
def test_an_echoing_proxy_page_reaches_no_widget(
    make_panel: PanelFactory, secret_sandbox: Sandbox, auth: str
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    panel.connect_form.auth_mode.value = auth
    basic = basic_value(secret_sandbox.key_id, SECRET)
    panel.connect_form.connect_button.click()
    assert panel.wait()
    client = sn.require_active()
    client.retry = sn.RetryPolicy(retries=1, base=0.01, cap=0.02)
    token = client.auth.source.token() if auth == "oauth" else ""
    quoted = [f"Authorization: Basic {basic}", f"key_secret={SECRET}"]
    if token:
        quoted.insert(0, f"Authorization: Bearer {token}")
    secret_sandbox.inject(
        502, method="GET", times=50, body=echo_page(*quoted), content_type="text/html"
    )
    panel.browser.refresh_button.click()
    panel.edit_form.open_subproject(panel.browser.rows[0].id)
    assert panel.wait()
    shown = panel.browser.count.value + panel.edit_form.status.value
    assert "Could not load subprojects: 502" in shown and "Could not open" in shown
    assert "***" in shown  # the page's text is shown, with what it quoted masked
    needles = [SECRET, basic] + ([token] if token else [])
    assert_nowhere(*needles)
    assert not any(n in panel.log_text() for n in needles)


# -- %xmode Verbose prints every frame's locals: none of the panel's may hold the secret --------


def test_no_frame_of_the_panel_holds_the_secret_in_a_local(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    import os
    import sys

    import sinch_notebook.widgets as widgets_package

    here = os.path.dirname(widgets_package.__file__)
    holders: list[str] = []

    def watch(frame, event, _arg):
        if event in ("call", "return") and frame.f_code.co_filename.startswith(here):
            for name, value in frame.f_locals.items():
                if isinstance(value, str) and SECRET in value:
                    holders.append(f"{frame.f_code.co_name}:{name}")
                elif isinstance(value, dict) and SECRET in map(str, value.values()):
                    holders.append(f"{frame.f_code.co_name}:{name} (dict)")

    panel = make_panel(threaded=False)
    fill_credentials(panel, secret_sandbox, "")
    sys.setprofile(watch)
    try:
        panel.connect_form.key_secret.value = SECRET  # typed, then synced
        panel.connect_form.connect_button.click()
    finally:
        sys.setprofile(None)
    assert sn.require_active().project_id == secret_sandbox.project_id  # it did connect
    # Only the change notification that brought the typed value from the front-end (traitlets
    # hands it to the observer); every other frame holds Credentials or nothing.
    assert set(holders) <= {"_absorb_secret:change (dict)"}, holders
