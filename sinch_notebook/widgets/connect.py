"""The Connect tab: credentials in, key exchange in the background, connection status out.

Where each value comes from is decided by the core, exactly as for `sn.connect()` and
`%sinch login` (`options.resolve_connection`): a field of the form, else `%config Sinch`, else
`SINCH_*`, else Sinch's defaults. The environment's Key Secret is only ever used with the
environment's Key ID (`ConnectionOptions.credentials`); with any other Key ID the form asks for
the secret.

The Key Secret is the one value here that must never be persisted. A Password widget's `value`
is a synced trait, so a typed secret is moved out of it the moment it reaches the kernel and
waits in a private attribute; Connect turns it straight into `Credentials` (no local variable
of the panel's frames ever holds it, so `%xmode Verbose` tracebacks cannot print it). The token
never enters a widget: the status shows only minutes left.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..auth import Credentials
from ..config import (
    API_VERSIONS,
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    ENV_API_URL,
    ENV_AUTH_URL,
    ENV_KEY_ID,
    ENV_KEY_SECRET,
    env,
    has_env_credentials,
)
from ..connection import profiles as profile_store
from ..connection.active import active, connect_with, disconnect, set_active
from ..connection.options import ConnectionOptions, GivenOptions
from ..connection.profiles import ProfilesFileError
from ..connection.profiles import check_name as check_profile_name
from ..display import AUTH_LABELS, ConnectionStatus, html_rows
from ..errors import SinchError, Unauthenticated, ValidationError
from . import controls as ui
from .common import Context, describe_error, esc, message
from .profiles_ui import ProfileChoice

if TYPE_CHECKING:
    from ..client import SubprojectsClient

NOT_CONNECTED_HINT = "fill in the form and press Connect, or tick Use sandbox"


def status_html(client: SubprojectsClient | None, *, after_failure: bool = False) -> str:
    """The connection as the Connect tab shows it (never the secret or the token).

    After a failed attempt the connection shown is the earlier one: it says so, without the
    green tick a fresh success gets.
    """
    status = ConnectionStatus.of(client)
    if not status.connected:
        hint = "" if after_failure else NOT_CONNECTED_HINT
        return message("muted", status.title(hint) + ".")
    badge = sandbox_badge() if status.sandbox else ""
    title = (
        message(
            "info",
            f"Still connected with the previous key (Key ID {status.key_id!r}, "
            f"project {status.project_id!r}).",
        )
        if after_failure
        else message("ok", status.title())
    )
    return title + badge + f'<table style="text-align:left">{html_rows(status.rows())}</table>'


def sandbox_badge() -> str:
    """The marker shown wherever a local sandbox is connected: it is not a real account."""
    return (
        ' <span class="sn-sandbox-badge" style="background:var(--jp-warn-color2,#ffe0b2);'
        "color:var(--jp-ui-font-color0,#000);border-radius:3px;padding:0 6px;font-weight:600;"
        'font-size:90%">SANDBOX</span>'
    )


def _defaults(given: GivenOptions) -> tuple[ConnectionOptions | None, str]:
    """The form's starting values by the core's precedence; a bad SINCH_* value is a message.

    A profile given is left to the picker (it fills the form when preselected)."""
    try:
        return dataclasses.replace(given, profile=None).resolve(), ""
    except ProfilesFileError as err:
        return None, str(err)
    except ValidationError as err:
        return None, f"{err} (from the environment or %config Sinch)"


class ConnectForm(widgets.VBox):
    """Key ID, Key Secret, Project ID, auth mode, API version, sandbox switch, Connect."""

    def __init__(
        self,
        ctx: Context,
        given: GivenOptions | None = None,
        *,
        sandbox: bool = False,
        save_as: str | None = None,
    ) -> None:
        self.ctx = ctx
        given = given or GivenOptions()
        options, problem = _defaults(given)
        endpoints = options.endpoints if options is not None else None
        self.key_id = ui.field(
            "Key ID",
            "sn-key-id",
            value=(options.key_id if options else given.key_id) or "",
            placeholder="Key ID of an access key",
            width=ui.SECRET_WIDTH,  # as wide as the Key Secret below
        )
        self.key_secret = ui.password("Key Secret", "sn-key-secret")
        self.project_id = ui.field(
            "Project ID",
            "sn-project-id",
            value=(options.project_id if options else given.project_id) or "",
            placeholder="the parent project's ID",
            width=ui.SECRET_WIDTH,
        )
        self.auth_mode = ui.toggles(
            "Auth",
            "sn-auth-mode",
            [(label, value) for value, label in AUTH_LABELS.items()],
            value=options.auth if options else "oauth",
            tooltips=["OAuth2 bearer token (default)", "HTTP Basic on every call (testing)"],
        )
        self.api_version = ui.dropdown(
            "API version",
            "sn-api-version",
            API_VERSIONS,
            value=endpoints.api_version if endpoints else "v1",
        )
        # Only a URL someone chose is shown; empty means Sinch's own.
        self.api_url = ui.field(
            "API URL",
            "sn-api-url",
            value=_chosen(given.api_url, ENV_API_URL, endpoints.api_url if endpoints else None),
            placeholder=DEFAULT_API_URL,
        )
        self.auth_url = ui.field(
            "Token URL",
            "sn-auth-url",
            value=_chosen(given.auth_url, ENV_AUTH_URL, endpoints.auth_url if endpoints else None),
            placeholder=DEFAULT_AUTH_URL,
        )
        self.endpoints = widgets.Accordion(
            children=[widgets.VBox([self.api_version, self.api_url, self.auth_url])],
            titles=("API version and endpoints (empty: Sinch's own)",),
            selected_index=None,
        )
        self.use_sandbox = ui.checkbox(
            "Use sandbox (a local Sinch-compatible server with demo data, no account needed)",
            "sn-use-sandbox",
            value=sandbox,
        )
        self.connect_button = ui.button("Connect", "sn-connect", style="primary", icon="plug")
        self.disconnect_button = ui.button("Disconnect", "sn-disconnect", icon="times")
        self.status = ui.html("sn-connect-status")

        # A typed secret is taken out of the synced field the moment it arrives (see
        # _absorb_secret); until Connect it lives only in this private attribute.
        self._typed_secret = ""
        self.key_secret.observe(self.ctx.guard(self._absorb_secret), names="value")
        self.key_id.observe(self.ctx.guard(self._on_key_id), names="value")
        self.connect_button.on_click(self.ctx.guard(self._on_connect))
        self.disconnect_button.on_click(self.ctx.guard(self._on_disconnect))
        self.use_sandbox.observe(self.ctx.guard(self._on_sandbox_switch), names="value")
        default = options.profile.name if options is not None and options.profile else None
        self.profiles = ProfileChoice(
            self.ctx.guard(self._fill), profile=given.profile or default, save_as=save_as
        )
        self._connecting = False
        self._error = message("error", problem) if problem else ""
        self._on_sandbox_switch()
        self._on_key_id()
        self.show_client(None)
        super().__init__(
            [
                self.use_sandbox,
                self.profiles,
                self.key_id,
                self.key_secret,
                self.project_id,
                self.auth_mode,
                self.endpoints,
                ui.row(self.connect_button, self.disconnect_button),
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
        ui.show(self.disconnect_button, client is not None)
        self._follow_sandbox(client)
        # A failed attempt stays visible until the next one: the refresh must not hide it, and
        # an earlier connection that is still active is said to be the earlier one, not as a
        # fresh success ("✔ Connected") right under the failure.
        state = status_html(client, after_failure=bool(self._error))
        self.status.value = f"{self._error}<br>{state}" if self._error else state

    def _follow_sandbox(self, client: SubprojectsClient | None) -> None:
        """ "Use sandbox" says what the connection is: ticked exactly when it is a sandbox
        (connected here, with `sn.connect_or_sandbox()`, the demo's `SINCH_*` or the magic)."""
        if client is None:
            return
        local = ConnectionStatus.of(client).sandbox
        if self.use_sandbox.value != local:
            self._following = True  # not the person's choice: the fields stay as they are
            try:
                self.use_sandbox.value = local
            finally:
                self._following = False

    @property
    def env_secret_applies(self) -> bool:
        """Whether Connect with the secret field empty would use SINCH_KEY_SECRET."""
        return env(ENV_KEY_SECRET) is not None and self.key_id.value.strip() == env(ENV_KEY_ID)

    @property
    def autoconnect(self) -> bool:
        """The environment has complete credentials and the form would use them as they are."""
        return (
            has_env_credentials()
            and not self._sandbox_chosen
            and self.env_secret_applies
            and bool(self.project_id.value.strip())
        )

    def _fill(self, profile: Any) -> None:
        """A picked profile fills the form (its secret stays in the keychain until Connect)."""
        if profile is None:
            self.key_secret.placeholder = self._placeholder()
            return
        self.key_id.value = profile.key_id
        self.project_id.value = profile.project_id
        self.auth_mode.value = profile.auth
        self.api_version.value = profile.api_version or self.api_version.value
        self.api_url.value = profile.api_url or ""
        self.auth_url.value = profile.auth_url or ""
        self.key_secret.placeholder = self._placeholder()

    def _placeholder(self) -> str:
        if self._typed_secret:
            return "entered (hidden, never saved): press Connect"
        if getattr(self, "profiles", None) is not None and self.profiles.selected:
            if self.profiles.secret_source == profile_store.FROM_KEYCHAIN:
                return f"from the OS keychain (profile {self.profiles.selected})"
            return "Key Secret (never saved): type it"
        if self.env_secret_applies:
            return f"set in {ENV_KEY_SECRET}"
        return "Key Secret (never saved)"

    def _on_key_id(self, _change: Any = None) -> None:
        self.key_secret.placeholder = self._placeholder()

    def _absorb_secret(self, change: dict[str, Any]) -> None:
        """Move a typed secret out of the synced trait at once, so saved state never has it.

        The front end syncs the field when it is left or Enter is pressed; the kernel empties it
        again straight away and keeps the value in a private attribute for Connect.
        """
        if not change["new"]:
            return
        self._typed_secret = change["new"]
        self.key_secret.value = ""
        self.key_secret.placeholder = self._placeholder()

    def _forget_secret(self) -> None:
        self._typed_secret = ""
        self.key_secret.value = ""
        self.key_secret.placeholder = self._placeholder()

    _following = False

    def _on_sandbox_switch(self, _change: Any = None) -> None:
        if self._following:
            return
        on = self._sandbox_chosen = self.use_sandbox.value
        for item in (self.key_id, self.key_secret, self.project_id, self.api_url, self.auth_url):
            item.disabled = on
        if on:
            self._forget_secret()

    def _set_connecting(self, connecting: bool, what: str = "") -> None:
        self._connecting = connecting
        self.connect_button.disabled = connecting
        self.connect_button.description = "Connecting…" if connecting else "Connect"
        if connecting:
            self._error = ""
            self.status.value = message("busy", what)

    # -- actions ---------------------------------------------------------------------------------

    def connect(self) -> None:
        """Press Connect (what the button does; the panel also calls it to connect by itself)."""
        self._on_connect()

    def _on_connect(self, _button: widgets.Button | None = None) -> None:
        if self._connecting:
            self._forget_secret()
            return
        if self.use_sandbox.value and self._sandbox_chosen:
            self._set_connecting(True, "Starting the local sandbox and connecting…")
            self.ctx.submit(
                "Connecting to the sandbox",
                self._connect_sandbox,
                self.auth_mode.value,
                self.api_version.value,
                failure="Could not connect",
                status=None,
                explain=self._failed,
            )
            return
        try:
            options = GivenOptions(
                key_id=self.key_id.value.strip() or None,
                project_id=self.project_id.value.strip() or None,
                auth=self.auth_mode.value,
                auth_url=self.auth_url.value.strip() or None,
                api_url=self.api_url.value.strip() or None,
                api_version=self.api_version.value,
                profile=self.profiles.selected,
            ).resolve()
            credentials = self._credentials(options)
        except ValidationError as err:
            self._forget_secret()
            self._refuse(self._form_words(err))
            return
        if not options.project_id:
            self._refuse("Project ID is required (the parent project's ID).")
            return
        if self.profiles.save_as.value.strip():
            try:
                check_profile_name(self.profiles.save_as.value.strip())
            except ValidationError as err:
                self._forget_secret()
                self._refuse(f"Save as: {err.rule}")
                return
        what = (
            "exchanging the key for an OAuth2 token"
            if options.auth == "oauth"
            else "checking the key with Basic auth"
        )
        self._set_connecting(True, f"Connecting to {options.project_id}: {what}…")
        self._attempt_key_id = options.key_id
        self.ctx.submit(
            "Connecting",
            self._connect,
            credentials,
            options,
            failure="Could not connect",
            explain=self._failed,
        )

    def _credentials(self, options: ConnectionOptions) -> Credentials:
        """Credentials from the typed secret (taken from the form as they are built), else the
        environment's own, which the core gives only for the environment's Key ID."""
        if not options.key_id:
            raise ValidationError("Key ID", "is required (the Key ID of an access key)")
        if self._typed_secret:
            try:
                return Credentials(options.key_id, self._typed_secret)
            finally:
                self._forget_secret()
        found, problem = options.stored_credentials()
        if found is not None:
            return found
        if options.profile_secret_applies:
            why = f"no usable OS keychain ({problem})" if problem else "none in the OS keychain"
            raise ValidationError(
                "Key Secret", f"{why} for profile {options.profile.name!r}: type it, then Connect."
            )
        return options.credentials(None)

    @staticmethod
    def _form_words(err: ValidationError) -> str:
        """A refusal before any request, naming the form's field."""
        if err.field == "key_secret":
            if env(ENV_KEY_SECRET) is not None:
                return (
                    f"Key Secret is required for this Key ID: {ENV_KEY_SECRET} belongs to Key ID "
                    f"{env(ENV_KEY_ID)!r} and is never sent with another one."
                )
            return "Key Secret is required (type it, or set SINCH_KEY_SECRET before Jupyter)."
        names = {"api_url": "API URL", "auth_url": "Token URL", "key_id": "Key ID"}
        return f"{names.get(err.field, err.field)}: {err.rule}"

    def _refuse(self, text: str) -> None:
        self._error = message("error", text)
        self.show_client(active())
        self.ctx.log.error(f"Connect: {text}")

    def _connect(self, credentials: Credentials, options: ConnectionOptions) -> None:
        client = connect_with(
            options,
            credentials,
            activate=False,
            name=options.profile.name if options.profile else None,
        )
        try:
            saved = self.profiles.save(client, credentials)
        except SinchError as err:
            self.ctx.log.error(f"Connected, but not saved as a profile: {err}")
        else:
            if saved:
                self.ctx.log.info(saved)
        self._connected(client)

    def _connect_sandbox(self, auth: str, api_version: str) -> None:
        from ..connection.local_sandbox import connect_local_sandbox

        self._connected(connect_local_sandbox(auth=auth, api_version=api_version, activate=False))

    _attempt_key_id: str | None = None

    def _failed(self, err: BaseException) -> str:
        """The job wrapper's words for a failed attempt; it also stays in the form.

        Credentials refused (by the token endpoint, or a 401 to Basic auth) are one plain
        sentence: the OAuth2 error's own words add nothing a person can act on.
        """
        self._set_connecting(False)
        key_id, self._attempt_key_id = self._attempt_key_id, None
        if isinstance(err, Unauthenticated) and key_id:
            text = (
                f"The Key Secret is not right for Key ID {key_id!r} (or that key does not exist)."
            )
        else:
            text = f"Could not connect: {describe_error(err)}"
        self._error = message("error", text)
        self.show_client(active())
        return text

    def _connected(self, client: SubprojectsClient) -> None:
        self._set_connecting(False)
        status = ConnectionStatus.of(client)
        where = "local sandbox, " if status.sandbox else ""
        self.ctx.log.info(f"Connected to project {client.project_id} ({where}{status.auth_label}).")
        set_active(client)  # the panel's listener (and the magic's) take it from here
        self.show_client(client)

    def _on_disconnect(self, _button: widgets.Button | None = None) -> None:
        self._error = ""
        disconnect()
        self.ctx.log.info("Disconnected.")


def _chosen(given: str | None, env_name: str, resolved: str | None) -> str:
    """A URL to show in the form: one given or set in the environment (else empty)."""
    if given or env(env_name):
        return resolved or ""
    return ""


def header_html(client: SubprojectsClient | None) -> str:
    """The panel's one-line header: project, auth, token minutes, and the sandbox marker."""
    status = ConnectionStatus.of(client)
    if not status.connected:
        return "<b>Sinch Subprojects</b> · " + message("muted", "not connected")
    parts = [
        f"project <b>{esc(status.project_id)}</b>",
        esc(status.auth_label),
        esc(status.token),
    ]
    badge = ""
    if status.sandbox:
        badge = sandbox_badge() + f' <span style="opacity:.7">{esc(status.api_url)}</span>'
    return "<b>Sinch Subprojects</b> · " + " · ".join(parts) + badge
