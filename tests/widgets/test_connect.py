"""The Connect tab, driven through its widgets against the sandbox."""

from __future__ import annotations

import threading
import time

import pytest

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.connection.local_sandbox import local_sandbox, stop_local_sandbox
from sinch_notebook.sandbox import Sandbox

from .conftest import PanelFactory
from .helpers import (
    KEY_ID,
    PROJECT_ID,
    SECRET,
    connect_panel,
    fill_credentials,
    live_widgets,
    plain,
)


def panel_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sinch-panel")]


def test_typed_credentials_connect_and_show_project_auth_and_token_minutes(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    form = panel.connect_form
    assert "Not connected" in form.status.value
    assert form.disconnect_button.layout.display == "none"

    connect_panel(panel, secret_sandbox)

    client = sn.active()
    assert client is not None and client.project_id == PROJECT_ID
    assert form.key_secret.value == ""
    status = form.status.value
    assert PROJECT_ID in status and "OAuth2" in status and KEY_ID in status
    assert "token valid for 59 min" in status
    assert "token valid for 59 min" in panel.header.value
    assert form.disconnect_button.layout.display is None
    assert not form.disconnect_button.disabled
    assert form.connect_button.description == "Connect" and not form.connect_button.disabled
    assert f"Connected to project {PROJECT_ID} (local sandbox, OAuth2)." in panel.log_text()
    assert "SANDBOX" in panel.header.value  # a loopback API is a sandbox, never Sinch
    # "Use sandbox" says the same as the header, and the fields stay as they were typed
    assert form.use_sandbox.value and not form.key_id.disabled
    assert secret_sandbox.stats["token_requests"] == 1


def test_wrong_secret_is_a_message_in_the_panel_and_the_field_is_emptied(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    connect_panel(panel, secret_sandbox, secret="not-the-secret")  # no exception escapes

    form = panel.connect_form
    assert sn.active() is None
    assert form.key_secret.value == ""
    text = plain(form.status.value)
    assert f"The Key Secret is not right for Key ID '{KEY_ID}'" in text
    assert "invalid_client" not in text and "401" not in text and "oauth2" not in text
    assert "Not connected" in text and "✔" not in text
    assert "Traceback" not in panel.log_text()
    assert "The Key Secret is not right for Key ID" in panel.log_text()
    assert not form.connect_button.disabled

    # The failure stays visible through later refreshes, and a good attempt replaces it.
    panel.refresh_status()
    assert "not right" in form.status.value
    connect_panel(panel, secret_sandbox)
    assert "not right" not in form.status.value
    assert sn.active() is not None


def test_a_wrong_secret_while_connected_says_the_previous_key_is_still_in_use(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    connect_panel(panel, secret_sandbox)
    before = sn.active()
    connect_panel(panel, secret_sandbox, secret="not-the-secret")

    text = plain(panel.connect_form.status.value)
    assert sn.active() is before
    first, _, rest = text.partition(".")
    wrong = f"✖ The Key Secret is not right for Key ID '{KEY_ID}' (or that key does not exist)"
    still = f"Still connected with the previous key (Key ID '{KEY_ID}', project '{PROJECT_ID}')"
    assert first == wrong and still in rest
    assert "✔" not in text and "Connected to project" not in text
    assert "invalid_client" not in text


def test_the_panel_says_it_is_connecting_while_the_exchange_runs(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    gate = threading.Event()
    panel.worker.submit("Holding the worker", gate.wait, 10)  # the exchange queues behind it
    fill_credentials(panel, secret_sandbox, SECRET)
    panel.connect_form.connect_button.click()

    form = panel.connect_form
    assert form.key_secret.value == ""  # emptied before the exchange, not after
    assert "exchanging the key for an OAuth2 token" in form.status.value
    assert form.connect_button.disabled and form.connect_button.description == "Connecting…"
    assert secret_sandbox.stats["token_requests"] == 0
    panel.refresh_status()  # a countdown tick must not hide the "connecting" message
    assert "exchanging the key" in form.status.value

    gate.set()
    assert panel.wait()
    assert "token valid for" in form.status.value
    assert not form.connect_button.disabled


@pytest.mark.parametrize(
    ("blank", "expected"),
    [
        ("key_id", "Key ID: is required"),
        ("key_secret", "Key Secret is required"),
        ("project_id", "Project ID is required"),
    ],
)
def test_a_missing_field_is_named_before_any_request(
    make_panel: PanelFactory, secret_sandbox: Sandbox, blank: str, expected: str
) -> None:
    panel = make_panel()
    # a typed secret leaves the field at once, so "blank" for it means never typed
    fill_credentials(panel, secret_sandbox, "" if blank == "key_secret" else SECRET)
    getattr(panel.connect_form, blank).value = ""
    panel.connect_form.connect_button.click()
    assert panel.wait()
    assert expected in panel.connect_form.status.value
    assert expected in panel.log_text()
    assert panel.connect_form.key_secret.value == ""
    assert secret_sandbox.stats["requests"] == 0
    assert secret_sandbox.stats["token_requests"] == 0


def test_a_bad_url_is_named_and_nothing_is_sent(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    panel.connect_form.api_url.value = "http://example.com"  # credentials in clear text: refused
    panel.connect_form.connect_button.click()
    assert panel.wait()
    assert "API URL: refusing to send credentials over plain http" in plain(
        panel.connect_form.status.value
    )
    assert secret_sandbox.stats["token_requests"] == 0


def test_fields_are_prefilled_from_the_environment_and_the_secret_is_not_shown(
    make_panel: PanelFactory, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in secret_sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SINCH_API_VERSION", "v1alpha1")
    config.reset_settings()  # the settings read SINCH_API_VERSION when first made
    panel = make_panel(autoconnect=False)
    form = panel.connect_form
    assert form.key_id.value == KEY_ID
    assert form.project_id.value == PROJECT_ID
    assert form.api_url.value == secret_sandbox.url
    assert form.auth_url.value == secret_sandbox.token_url
    assert form.api_version.value == "v1alpha1"
    assert form.key_secret.value == ""
    assert form.key_secret.placeholder == "set in SINCH_KEY_SECRET"

    form.connect_button.click()  # the empty field means: use the environment's secret
    assert panel.wait()
    client = sn.active()
    assert client is not None and client.base_url.endswith("/v1alpha1")
    assert "token valid for" in form.status.value


def test_typed_secret_wins_over_the_environment(
    make_panel: PanelFactory, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in secret_sandbox.env().items():
        monkeypatch.setenv(name, value)
    panel = make_panel(autoconnect=False)
    panel.connect_form.key_secret.value = "typed-and-wrong"
    panel.connect_form.connect_button.click()
    assert panel.wait()
    assert sn.active() is None
    assert "The Key Secret is not right" in panel.connect_form.status.value


def test_basic_auth_and_the_older_api_version(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    panel.connect_form.auth_mode.value = "basic"
    panel.connect_form.api_version.value = "v1alpha1"
    panel.connect_form.connect_button.click()
    assert panel.wait()
    client = sn.active()
    assert client is not None and client.auth_mode == "basic"
    assert client.base_url.endswith("/v1alpha1")
    assert "Basic" in panel.connect_form.status.value
    assert "no token" in panel.header.value
    assert secret_sandbox.stats["token_requests"] == 0
    assert len(panel.browser.rows) == 60
    assert not panel._ticker.running  # nothing to count down with Basic auth


def test_use_sandbox_switch_connects_to_the_process_sandbox(make_panel: PanelFactory) -> None:
    try:
        panel = make_panel()
        form = panel.connect_form
        form.key_secret.value = "typed before switching"
        form.use_sandbox.value = True
        assert form.key_secret.value == ""
        assert form.key_id.disabled and form.key_secret.disabled and form.project_id.disabled
        form.connect_button.click()
        assert panel.wait()
        client = sn.active()
        sandbox = local_sandbox()
        assert sandbox is not None and client is not None
        assert client.project_id == sandbox.project_id
        assert client.endpoints.api_url == sandbox.url
        assert "demo-project" in form.status.value
        assert len(panel.browser.rows) == 120
        form.use_sandbox.value = False
        assert not form.key_id.disabled
    finally:
        stop_local_sandbox()


def test_sandbox_panel_option_preselects_the_switch(make_panel: PanelFactory) -> None:
    panel = make_panel(sandbox=True)
    assert panel.connect_form.use_sandbox.value is True
    assert panel.connect_form.key_id.disabled


def test_disconnect_button_ends_the_shared_connection(connected) -> None:
    panel = connected
    assert panel._ticker.running
    panel.connect_form.disconnect_button.click()
    assert sn.active() is None
    assert "Not connected" in panel.connect_form.status.value
    assert "not connected" in panel.header.value
    assert panel.browser.rows == []
    assert panel.create_form.create_button.disabled
    assert not panel._ticker.running
    assert "Disconnected." in panel.log_text()


def test_connecting_elsewhere_updates_the_panel_and_the_panel_sets_the_active_connection(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    client = secret_sandbox.connect()  # as sn.connect() or %sinch login would
    assert panel.wait()
    assert PROJECT_ID in panel.header.value
    assert PROJECT_ID in panel.connect_form.status.value
    assert len(panel.browser.rows) == 60
    assert not panel.create_form.create_button.disabled or not panel.create_form.valid

    sn.disconnect()
    assert "not connected" in panel.header.value
    assert panel.browser.rows == []

    connect_panel(panel, secret_sandbox)
    assert sn.active() is not None and sn.active() is not client
    assert sn.require_active().project_id == PROJECT_ID


def test_a_panel_made_while_connected_shows_it_at_once(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    secret_sandbox.connect()
    panel = make_panel()
    assert PROJECT_ID in panel.header.value
    assert panel.wait()
    assert len(panel.browser.rows) == 60


def test_token_countdown_is_refreshed_by_a_timer_that_stops_on_disconnect(
    make_panel: PanelFactory,
) -> None:
    # expires_in is token_ttl - 1, as live (3599 for an hour): 61 s shows "1 min"
    with Sandbox(token_ttl=62, retry_after=0) as sb:
        panel = make_panel(tick_seconds=0.05)
        connect_panel(panel, sb)
        assert "token valid for 1 min" in panel.header.value
        deadline = time.monotonic() + 10
        while "less than 1 min" not in panel.header.value and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "less than 1 min" in panel.header.value  # no interaction: the timer did it
        ticker = panel._ticker._thread
        assert ticker is not None and ticker.is_alive()
        panel.connect_form.disconnect_button.click()
        assert not ticker.is_alive()


def test_close_unsubscribes_stops_threads_and_frees_every_widget(
    secret_sandbox: Sandbox, make_panel: PanelFactory
) -> None:
    before = live_widgets()
    panel = make_panel()
    connect_panel(panel, secret_sandbox)
    panel.edit_form.open_subproject(panel.browser.rows[0].id)
    assert panel.wait()
    assert panel_threads()  # the token timer
    header = panel.header.value

    panel.close()
    assert panel_threads() == []
    assert live_widgets() == before
    sn.disconnect()  # no listener left: the closed panel is not touched
    assert panel.header.value == header
    panel.close()  # closing twice is harmless


def test_an_idle_panel_holds_no_worker_thread(connected) -> None:
    assert connected.wait()
    assert [t for t in panel_threads() if t.name == "sinch-panel-worker"] == []


def test_only_the_newest_panel_preloads_browse(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    older = make_panel()
    newer = make_panel()
    assert newer.newest and not older.newest
    secret_sandbox.connect()
    assert newer.wait() and older.wait()
    assert len(newer.browser.rows) == 60
    assert older.browser.rows == [] and "Not loaded" in older.browser.count.value
    assert PROJECT_ID in older.header.value  # it still shows the connection

    older.tabs.selected_index = 1  # showing its Browse tab loads it
    assert older.wait()
    assert len(older.browser.rows) == 60
    assert secret_sandbox.stats["operations"]["list"] == 3  # verify + one listing per panel


def test_a_malformed_url_is_named_and_does_not_leave_connect_stuck(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    fill_credentials(panel, secret_sandbox, SECRET)
    panel.connect_form.api_url.value = "http://[::1"
    panel.connect_form.connect_button.click()
    assert panel.wait()
    form = panel.connect_form
    assert "API URL: is not a valid URL" in plain(form.status.value)
    assert not form.connect_button.disabled and form.connect_button.description == "Connect"
    assert secret_sandbox.stats["token_requests"] == 0


# -- one core: the same options and the same credential rule as sn.connect and %sinch login ----


@pytest.fixture
def env_account(secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name, value in secret_sandbox.env().items():
        monkeypatch.setenv(name, value)
    return secret_sandbox


def test_another_key_id_never_travels_with_the_environments_secret(
    make_panel: PanelFactory, env_account: Sandbox
) -> None:
    env_account.add_account("other-key", "other-secret-value", "other-project")
    panel = make_panel(autoconnect=False)
    form = panel.connect_form
    form.key_id.value = "other-key"
    assert form.key_secret.placeholder == "Key Secret (never saved)"  # no longer "set in ..."
    form.connect_button.click()
    assert panel.wait()
    assert sn.active() is None
    text = plain(form.status.value)
    assert "Key Secret is required for this Key ID" in text
    assert f"SINCH_KEY_SECRET belongs to Key ID {KEY_ID!r}" in text
    assert env_account.stats["token_requests"] == 0  # refused before any request

    form.key_secret.value = "other-secret-value"  # typed: that one is used
    form.project_id.value = "other-project"
    form.connect_button.click()
    assert panel.wait()
    assert sn.require_active().key_id == "other-key"


def test_the_api_version_follows_the_magics_precedence(
    make_panel: PanelFactory, env_account: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SINCH_API_VERSION=v1 and %config Sinch.api_version = "v1alpha1": v1alpha1, as the magic."""
    monkeypatch.setenv("SINCH_API_VERSION", "v1")
    config.reset_settings()
    try:
        config.settings().api_version = "v1alpha1"
        panel = make_panel()
        assert panel.connect_form.api_version.value == "v1alpha1"
        assert panel.wait()
        assert sn.require_active().base_url.endswith("/v1alpha1")
    finally:
        config.reset_settings()


def test_the_panel_connects_by_itself_with_complete_environment_credentials(
    make_panel: PanelFactory, env_account: Sandbox
) -> None:
    panel = make_panel()
    assert panel.wait()
    client = sn.active()
    assert client is not None and client.project_id == PROJECT_ID
    assert "token valid for" in panel.header.value
    assert len(panel.browser.rows) == 60


def test_no_connection_by_itself_with_half_the_credentials(
    make_panel: PanelFactory, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINCH_KEY_ID", KEY_ID)
    monkeypatch.setenv("SINCH_PROJECT_ID", PROJECT_ID)
    panel = make_panel()
    assert panel.wait()
    assert sn.active() is None and secret_sandbox.stats["token_requests"] == 0
    assert "Not connected" in panel.connect_form.status.value


def test_the_sandbox_is_marked_wherever_the_connection_shows(make_panel: PanelFactory) -> None:
    try:
        panel = make_panel(sandbox=True)
        panel.connect_form.connect_button.click()
        assert panel.wait()
        assert "SANDBOX" in panel.header.value and local_sandbox().url in panel.header.value
        status = plain(panel.connect_form.status.value)
        assert "(local sandbox)" in status and local_sandbox().url in status
    finally:
        stop_local_sandbox()
