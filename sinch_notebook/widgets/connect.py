"""The Connect tab: credentials in, key exchange in the background, connection status out.

The Key Secret is the one value here that must never be persisted. A Password widget's `value`
is a synced trait, so whatever it holds is written into the notebook when widget state is
saved. Connect therefore reads the secret into a local variable and empties the field *before*
the exchange starts, whatever its outcome; the token never enters a widget at all (the status
shows only minutes left). A secret set in `SINCH_KEY_SECRET` is never shown: the field says
where it comes from, and connecting with the field empty uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..config import (
    API_VERSIONS,
    ENV_API_URL,
    ENV_API_VERSION,
    ENV_AUTH_MODE,
    ENV_AUTH_URL,
    ENV_KEY_ID,
    ENV_KEY_SECRET,
    ENV_PROJECT_ID,
    env,
)
from ..connection import active, connect, disconnect, set_active
from .common import (
    Context,
    button,
    checkbox,
    describe_error,
    esc,
    message,
    shared_setting,
    show,
    with_class,
)

if TYPE_CHECKING:
    from ..client import SubprojectsClient

AUTH_LABELS = {"oauth": "OAuth2", "basic": "Basic"}
_STYLE = {"description_width": "8em"}


def token_text(client: SubprojectsClient) -> str:
    """The token countdown in minutes (never the token), or what Basic auth means instead."""
    if client.auth_mode != "oauth":
        return "Basic auth: no token, the key is sent with every call"
    left = client.token_seconds_left()
    if left is None:
        return "no token yet (one is fetched on the next call)"
    if left <= 0:
        return "token expired (a new one is fetched on the next call)"
    minutes = int(left // 60)
    if minutes < 1:
        return "token valid for less than 1 min (renewed on the next call)"
    return f"token valid for {minutes} min"


def connection_summary(client: SubprojectsClient) -> str:
    """Project, key, auth mode, API and token countdown as one HTML line."""
    auth = AUTH_LABELS.get(client.auth_mode, client.auth_mode)
    return message(
        "ok",
        "",
        raw_html=(
            f"Connected to project <b>{esc(client.project_id)}</b> with key "
            f"<code>{esc(client.key_id)}</code> · {esc(auth)} · {esc(token_text(client))}"
            f' <span style="opacity:.7">· {esc(client.base_url)}</span>'
        ),
    )


def _field(description: str, placeholder: str, css_class: str, value: str) -> widgets.Text:
    """One of the form's text fields: same width and label width for all."""
    field = widgets.Text(
        value=value,
        description=description,
        placeholder=placeholder,
        layout=widgets.Layout(width="32em"),
        style=_STYLE,
    )
    field.add_class(css_class)
    return field


class ConnectForm(widgets.VBox):
    """Key ID, Key Secret, Project ID, auth mode, API version, sandbox switch, Connect."""

    def __init__(
        self,
        ctx: Context,
        *,
        key_id: str | None = None,
        project_id: str | None = None,
        auth: str | None = None,
        api_version: str | None = None,
        api_url: str | None = None,
        auth_url: str | None = None,
        sandbox: bool = False,
    ) -> None:
        self.ctx = ctx
        secret_in_env = env(ENV_KEY_SECRET) is not None
        self.key_id = _field(
            "Key ID", "Key ID of an access key", "sn-key-id", key_id or env(ENV_KEY_ID) or ""
        )
        self.key_secret = with_class(
            widgets.Password(
                value="",
                # Synced once when the field is left (Connect's click does that), not per
                # keystroke: fewer copies of the secret in flight.
                continuous_update=False,
                description="Key Secret",
                placeholder=self._secret_placeholder(secret_in_env),
                layout=widgets.Layout(width="32em"),
                style=_STYLE,
            ),
            "sn-key-secret",
        )
        self.project_id = _field(
            "Project ID",
            "the parent project's ID",
            "sn-project-id",
            project_id or env(ENV_PROJECT_ID) or "",
        )
        mode = auth or env(ENV_AUTH_MODE) or "oauth"
        self.auth_mode = with_class(
            widgets.ToggleButtons(
                options=[(label, value) for value, label in AUTH_LABELS.items()],
                value=mode if mode in AUTH_LABELS else "oauth",
                description="Auth",
                tooltips=["OAuth2 bearer token (default)", "HTTP Basic on every call (testing)"],
                style={**_STYLE, "button_width": "7em"},
            ),
            "sn-auth-mode",
        )
        version = api_version or env(ENV_API_VERSION) or shared_setting("api_version", "v1")
        self.api_version = with_class(
            widgets.Dropdown(
                options=list(API_VERSIONS),
                value=version if version in API_VERSIONS else "v1",
                description="API version",
                style=_STYLE,
                layout=widgets.Layout(width="16em"),
            ),
            "sn-api-version",
        )
        self.api_url = _field(
            "API URL",
            "https://subproject.api.sinch.com",
            "sn-api-url",
            api_url or env(ENV_API_URL) or "",
        )
        self.auth_url = _field(
            "Token URL",
            "https://auth.sinch.com/oauth2/token",
            "sn-auth-url",
            auth_url or env(ENV_AUTH_URL) or "",
        )
        self.endpoints = widgets.Accordion(
            children=[widgets.VBox([self.api_url, self.auth_url])],
            titles=("Endpoints (leave empty for Sinch's)",),
            selected_index=None,
        )
        self.use_sandbox = checkbox(
            "Use sandbox (a local Sinch-compatible server with demo data)",
            "sn-use-sandbox",
            value=sandbox,
        )
        self.connect_button = button("Connect", "sn-connect", style="primary", icon="plug")
        self.disconnect_button = button("Disconnect", "sn-disconnect", icon="times")
        self.status = with_class(widgets.HTML(), "sn-connect-status")

        # A typed secret is taken out of the synced field the moment it arrives (see
        # _absorb_secret); until Connect it lives only in this plain attribute.
        self._typed_secret = ""
        self.key_secret.observe(self.ctx.guard(self._absorb_secret), names="value")
        self.connect_button.on_click(self.ctx.guard(self._on_connect))
        self.disconnect_button.on_click(self.ctx.guard(self._on_disconnect))
        self.use_sandbox.observe(self.ctx.guard(self._on_sandbox_switch), names="value")
        self._connecting = False
        self._error = ""
        self._on_sandbox_switch()
        self.show_client(None)
        super().__init__(
            [
                self.use_sandbox,
                self.key_id,
                self.key_secret,
                self.project_id,
                self.auth_mode,
                self.api_version,
                self.endpoints,
                widgets.HBox([self.connect_button, self.disconnect_button]),
                self.status,
            ]
        )
        self.add_class("sn-connect-form")

    # -- what the user sees --------------------------------------------------------------------

    def show_client(self, client: SubprojectsClient | None) -> None:
        """Reflect the active connection (called on every change, from any thread)."""
        if self._connecting:
            return
        self.disconnect_button.disabled = client is None
        show(self.disconnect_button, client is not None)
        state = message("muted", "Not connected.") if client is None else connection_summary(client)
        # A failed attempt stays visible until the next one: the refresh must not hide it.
        self.status.value = f"{self._error}<br>{state}" if self._error else state

    @staticmethod
    def _secret_placeholder(secret_in_env: bool) -> str:
        return f"set in {ENV_KEY_SECRET}" if secret_in_env else "Key Secret (never saved)"

    def _absorb_secret(self, change: dict[str, Any]) -> None:
        """Move a typed secret out of the synced trait at once, so saved state never has it.

        The front end syncs the field when it is left or Enter is pressed; the kernel empties it
        again straight away and keeps the value in a plain attribute for Connect.
        """
        if not change["new"]:
            return
        self._typed_secret = change["new"]
        self.key_secret.value = ""
        self.key_secret.placeholder = "Key Secret entered (hidden, not saved): press Connect"

    def _take_secret(self) -> str:
        """The typed secret, forgotten by the form as it is handed over."""
        secret, self._typed_secret = self._typed_secret, ""
        self.key_secret.value = ""
        self.key_secret.placeholder = self._secret_placeholder(env(ENV_KEY_SECRET) is not None)
        return secret

    def _on_sandbox_switch(self, _change: Any = None) -> None:
        on = self.use_sandbox.value
        for field in (self.key_id, self.key_secret, self.project_id, self.api_url, self.auth_url):
            field.disabled = on
        if on:
            self._take_secret()

    def _set_connecting(self, connecting: bool, what: str = "") -> None:
        self._connecting = connecting
        self.connect_button.disabled = connecting
        self.connect_button.description = "Connecting…" if connecting else "Connect"
        if connecting:
            self._error = ""
            self.status.value = message("busy", what)

    # -- actions ---------------------------------------------------------------------------------

    def _on_connect(self, _button: widgets.Button | None = None) -> None:
        # Take the secret out of the form first: from here on it lives only in this call's
        # local variables and, once connected, inside the client's credentials.
        secret = self._take_secret()
        if self._connecting:
            return
        if self.use_sandbox.value:
            options = {"auth": self.auth_mode.value, "api_version": self.api_version.value}
            self._set_connecting(True, "Starting the local sandbox and connecting…")
            self.ctx.worker.submit("Connecting to the sandbox", self._connect_sandbox, options)
            return
        problem = self._missing(secret)
        if problem:
            self._error = message("error", problem)
            self.show_client(active())
            self.ctx.log.error(f"Connect: {problem}")
            return
        options = {
            "key_id": self.key_id.value.strip(),
            # None lets sn.connect take the secret from SINCH_KEY_SECRET.
            "key_secret": secret or None,
            "project_id": self.project_id.value.strip(),
            "auth": self.auth_mode.value,
            "api_version": self.api_version.value,
            "api_url": self.api_url.value.strip() or None,
            "auth_url": self.auth_url.value.strip() or None,
        }
        del secret
        what = (
            "exchanging the key for an OAuth2 token"
            if options["auth"] == "oauth"
            else "checking the key with Basic auth"
        )
        self._set_connecting(True, f"Connecting to {options['project_id']}: {what}…")
        self.ctx.worker.submit("Connecting", self._connect, options)

    def _missing(self, secret: str) -> str:
        """The first required field left empty, as a message; '' when all are there."""
        if not self.key_id.value.strip():
            return "Key ID is required (the Key ID of an access key)."
        if not secret and env(ENV_KEY_SECRET) is None:
            return "Key Secret is required (type it, or set SINCH_KEY_SECRET before Jupyter)."
        if not self.project_id.value.strip():
            return "Project ID is required (the parent project's ID)."
        return ""

    def _connect(self, options: dict[str, Any]) -> None:
        try:
            client = connect(activate=False, **options)
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            self._failed(err)
            return
        finally:
            options.clear()  # drops the secret with the options
        self._connected(client)

    def _connect_sandbox(self, options: dict[str, Any]) -> None:
        from ..local_sandbox import connect_local_sandbox

        try:
            client = connect_local_sandbox(activate=False, **options)
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            self._failed(err)
            return
        self._connected(client)

    def _failed(self, err: BaseException) -> None:
        self._set_connecting(False)
        text = f"Could not connect: {describe_error(err)}"
        self._error = message("error", text)
        self.show_client(active())
        self.ctx.log.error(text)

    def _connected(self, client: SubprojectsClient) -> None:
        self._set_connecting(False)
        auth = AUTH_LABELS.get(client.auth_mode, client.auth_mode)
        self.ctx.log.info(f"Connected to project {client.project_id} ({auth}).")
        set_active(client)  # the panel's listener (and the magic's) take it from here
        self.show_client(client)

    def _on_disconnect(self, _button: widgets.Button | None = None) -> None:
        self._error = ""
        disconnect()
        self.ctx.log.info("Disconnected.")
