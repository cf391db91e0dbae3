"""%sinch login / logout / status / panel / sandbox, through a real InteractiveShell."""

from __future__ import annotations

import getpass
import importlib.util
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

import sinch_notebook as sn
from sinch_notebook import auth
from sinch_notebook.connection.local_sandbox import local_sandbox
from sinch_notebook.sandbox import DEMO_PROJECT_ID, Sandbox
from tests.magic_shell import MagicShell, answer

SECRET = "s3cr3t-Magic-Value-That-Must-Not-Leak"
KEY = "magic-test-key"


@pytest.fixture
def secret_sandbox() -> Iterator[Sandbox]:
    """An account whose secret is not the public demo one, so a leak cannot hide."""
    with Sandbox(key_id=KEY, key_secret=SECRET, subprojects=12, retry_after=0) as sb:
        yield sb


class FakeGetpass:
    """Stands in for the person typing at getpass's hidden prompt."""

    def __init__(self, typed: str) -> None:
        self.typed = typed
        self.prompts: list[str] = []

    def __call__(self, prompt: str = "Password: ", stream: object = None) -> str:
        self.prompts.append(prompt)
        return self.typed


def typing_secret(monkeypatch: pytest.MonkeyPatch, typed: str = SECRET) -> FakeGetpass:
    fake = FakeGetpass(typed)
    monkeypatch.setattr(getpass, "getpass", fake)
    return fake


def endpoints(sb: Sandbox) -> str:
    return f"--api-url {sb.url} --auth-url {sb.token_url}"


def current_token() -> str:
    client = sn.require_active()
    return client.auth.source.token()


# -- login -----------------------------------------------------------------------------------


def test_login_uses_the_environment(ip: MagicShell, sandbox_env: Sandbox) -> None:
    run = ip.ok("%sinch login")
    status = run.value
    assert status.connected
    assert (status.project_id, status.key_id, status.auth) == (
        DEMO_PROJECT_ID,
        "demo-key-id",
        "oauth",
    )
    assert status.api_url == sandbox_env.url
    assert status.api_version == "v1"
    assert status.sandbox  # on loopback: a local sandbox (its own, not the process's one)
    assert sn.active() is not None
    assert sn.active().project_id == DEMO_PROJECT_ID
    ip.assert_never_shown(sandbox_env.env()["SINCH_KEY_SECRET"], current_token())


def test_login_sandbox_starts_the_local_demo_account(ip: MagicShell) -> None:
    assert local_sandbox() is None
    run = ip.ok("%sinch login --sandbox")
    assert run.value.sandbox
    assert "Connected to project 'demo-project' (local sandbox)" in run.stdout
    assert local_sandbox() is not None
    assert sn.active().endpoints.api_url == local_sandbox().url
    assert len(ip.ok("%sinch list").value) == len(
        [r for r in local_sandbox().subprojects() if not r["deleted"]]
    )


def test_login_sandbox_with_basic_auth_and_old_api_version(ip: MagicShell) -> None:
    run = ip.ok("%sinch login --sandbox --basic --api-version v1alpha1")
    assert run.value.auth == "basic"
    assert run.value.api_version == "v1alpha1"
    assert "Token   no token: Basic auth sends the key with every call" in run.stdout
    assert sn.active().base_url.endswith("/v1alpha1")
    assert ip.ok("%sinch list --limit 3").value.shape[0] == 3


def test_login_sandbox_refuses_account_options(ip: MagicShell) -> None:
    run = ip.fails("%sinch login --sandbox --key-id mine --api-url https://x.example")
    assert run.lines() == [
        "%sinch login: --sandbox uses the local demo account; drop --key-id, --api-url"
    ]
    assert local_sandbox() is None


def test_api_version_comes_from_settings(ip: MagicShell, sandbox_env: Sandbox) -> None:
    ip.ok("%config Sinch.api_version = 'v1alpha1'")
    assert ip.ok("%sinch login").value.api_version == "v1alpha1"
    assert ip.ok("%sinch login --api-version v1").value.api_version == "v1"


def test_login_asks_for_the_secret_with_getpass(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch)  # a terminal
    typed = typing_secret(monkeypatch)
    run = ip.ok(
        f"%sinch login --key-id {KEY} --project-id {DEMO_PROJECT_ID} {endpoints(secret_sandbox)}"
    )
    assert typed.prompts == [f"Key Secret for {KEY}: "]
    assert run.value.key_id == KEY
    assert len(ip.ok("%sinch list").value) == len(
        [r for r in secret_sandbox.subprojects() if not r["deleted"]]
    )
    ip.assert_never_shown(SECRET, current_token())


def test_login_asks_for_key_and_project_when_not_set(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch, KEY, DEMO_PROJECT_ID)
    typed = typing_secret(monkeypatch)
    run = ip.ok(f"%sinch login {endpoints(secret_sandbox)}")
    assert "Key ID: " in run.stdout
    assert "Project ID: " in run.stdout
    assert typed.prompts == [f"Key Secret for {KEY}: "]
    assert sn.active().key_id == KEY
    ip.assert_never_shown(SECRET, current_token())


def test_login_with_key_from_env_asks_only_for_the_secret(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINCH_KEY_ID", KEY)
    monkeypatch.setenv("SINCH_PROJECT_ID", DEMO_PROJECT_ID)
    monkeypatch.setenv("SINCH_API_URL", secret_sandbox.url)
    monkeypatch.setenv("SINCH_AUTH_URL", secret_sandbox.token_url)
    answer(monkeypatch)
    typed = typing_secret(monkeypatch)
    run = ip.ok("%sinch login")
    assert "Key ID: " not in run.stdout
    assert typed.prompts == [f"Key Secret for {KEY}: "]


def test_a_wrong_secret_is_one_line_without_the_secret(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch)
    wrong = "wrong-" + SECRET
    typing_secret(monkeypatch, wrong)
    run = ip.fails(f"%sinch login --key-id {KEY} --project-id p {endpoints(secret_sandbox)}")
    assert len(run.lines()) == 1
    assert f"the token endpoint rejected Key ID '{KEY}'" in run.lines()[0]
    assert isinstance(run.error, sn.SinchError)
    assert run.error.http_status == 401
    assert sn.active() is None
    ip.assert_never_shown(SECRET, wrong)


def test_an_empty_secret_does_not_connect(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch)
    typing_secret(monkeypatch, "")
    run = ip.fails(f"%sinch login --key-id {KEY} --project-id p {endpoints(secret_sandbox)}")
    assert run.lines() == ["%sinch login: no Key Secret was entered; not connected"]
    assert secret_sandbox.stats["token_requests"] == 0


def test_login_refuses_when_nobody_can_type_the_secret(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = typing_secret(monkeypatch)  # must not be reached: stdin is not a terminal
    run = ip.fails(f"%sinch login --key-id {KEY} --project-id p {endpoints(secret_sandbox)}")
    assert run.lines() == [
        "%sinch login: no credentials: set SINCH_KEY_ID, SINCH_KEY_SECRET and SINCH_PROJECT_ID "
        "for this run (nobody can type the Key Secret here), or use --sandbox"
    ]
    assert typed.prompts == []


def test_another_key_id_does_not_borrow_the_environments_secret(
    ip: MagicShell, sandbox_env: Sandbox
) -> None:
    run = ip.fails("%sinch login --key-id someone-else")
    assert "no credentials" in run.lines()[0]
    assert sandbox_env.stats["token_requests"] == 0


def test_bad_urls_are_rejected_before_asking_anything(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(monkeypatch, "k", "p")
    typed = typing_secret(monkeypatch)
    run = ip.fails("%sinch login --api-url http://api.example.com")
    assert (
        "api_url: refusing to send credentials over plain http to api.example.com"
        in (run.lines()[0])
    )
    run = ip.fails("%sinch login --auth-url ftp://x")
    assert "auth_url: must be an http(s) URL" in run.lines()[0]
    assert typed.prompts == []


def test_there_is_no_option_that_takes_the_secret(ip: MagicShell, sandbox_env: Sandbox) -> None:
    usage = ip.ok("%sinch login --help").stdout
    assert "secret" not in usage.split("Where the Key Secret comes from")[0].lower()
    for option in ("--key-secret", "--secret", "--password"):
        run = ip.fails(f"%sinch login {option} x")
        assert f"unknown option {option}" in run.lines()[0]


# -- logout and status -----------------------------------------------------------------------


def test_status_shows_minutes_until_the_token_expires(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(token_ttl=600) as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        ip.ok("%sinch login")
        status = ip.ok("%sinch status")
        assert 9 <= status.value.token_minutes_left <= 10
        assert "Token           token valid for 9 min" in status.stdout
        assert "Token</th>" in status.formatted["text/html"]
        ip.assert_never_shown(sb.env()["SINCH_KEY_SECRET"], current_token())


def test_status_when_not_connected(ip: MagicShell) -> None:
    run = ip.ok("%sinch status")
    assert not run.value.connected
    assert run.stdout.strip().endswith(
        "Not connected: run %sinch login (your account), or %sinch login --sandbox (a local "
        "demo account)"
    )


def test_logout_disconnects_and_forgets_the_token(ip: MagicShell, sandbox_env: Sandbox) -> None:
    assert ip.ok("%sinch logout").stdout == "Not connected.\n"
    ip.ok("%sinch login")
    assert sandbox_env.stats["token_requests"] == 1
    assert ip.ok("%sinch logout").stdout == "Logged out of project 'demo-project'.\n"
    assert sn.active() is None
    assert not any(key[0] == sandbox_env.token_url for key in auth._SOURCES)
    assert "not connected" in ip.fails("%sinch list").lines()[0]
    ip.ok("%sinch login")
    assert sandbox_env.stats["token_requests"] == 2  # a new exchange, not the old token


# -- the local sandbox -----------------------------------------------------------------------


def test_sandbox_start_status_stop(ip: MagicShell) -> None:
    assert "No local sandbox is running" in ip.ok("%sinch sandbox status").stdout
    started = ip.ok("%sinch sandbox start --subprojects 5 --seed 3")
    assert "Connect to it with %sinch login --sandbox." in started.stdout
    assert started.value.running
    assert started.value.live + started.value.deleted == 5
    url = local_sandbox().url
    assert f"Local sandbox running at {url}" in started.stdout
    again = ip.ok("%sinch sandbox start --subprojects 50")
    assert "already running" in again.stdout
    assert again.value.url == url
    ip.ok("%sinch login --sandbox")
    assert ip.ok("%sinch sandbox status").value.requests > 0
    stopped = ip.ok("%sinch sandbox stop")
    assert stopped.stdout == "Logged out of the sandbox's demo account.\nLocal sandbox stopped.\n"
    assert sn.active() is None
    assert local_sandbox() is None
    assert ip.ok("%sinch sandbox stop").stdout == "No local sandbox was running.\n"


def test_sandbox_stop_keeps_other_connections(ip: MagicShell, sandbox_env: Sandbox) -> None:
    ip.ok("%sinch sandbox start")
    ip.ok("%sinch login")
    assert ip.ok("%sinch sandbox stop").stdout == "Local sandbox stopped.\n"
    assert sn.active() is not None


def test_sandbox_needs_an_action(ip: MagicShell) -> None:
    run = ip.fails("%sinch sandbox restart")
    assert "invalid choice: 'restart'" in run.lines()[0] and "action" not in run.lines()[0]
    for bad in ("-1", "inf", "nan", "61"):
        run = ip.fails(f"%sinch sandbox start --latency={bad}")
        assert "argument --latency: must be a number of seconds from 0 to 60" in run.text
    assert "from 0 to 1000000" in ip.fails("%sinch sandbox start --subprojects=-5").text


# -- the panel -------------------------------------------------------------------------------


def test_panel_needs_jupyter(ip: MagicShell) -> None:
    run = ip.fails("%sinch panel")
    assert run.lines() == [
        "%sinch panel: the panel needs Jupyter (JupyterLab, Notebook, VS Code); "
        "here use %sinch login"
    ]


widgets_missing = importlib.util.find_spec("sinch_notebook.widgets") is None


@pytest.mark.skipif(widgets_missing, reason="sinch_notebook.widgets is not there yet")
def test_in_a_kernel_login_without_secret_shows_the_panel(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sinch_notebook.widgets import Panel

    # What a Jupyter kernel looks like to the magic: a kernel whose frontend accepts input.
    monkeypatch.setattr(ip.shell, "kernel", SimpleNamespace(_allow_stdin=True), raising=False)
    typed = typing_secret(monkeypatch)
    run = ip.ok("%sinch login --key-id someone --project-id somewhere")
    try:
        assert isinstance(run.value, Panel)
        assert run.value.connect_form.key_id.value == "someone"
        assert run.value.connect_form.project_id.value == "somewhere"
        assert "Enter the Key Secret in the panel" in run.stdout
        assert typed.prompts == []
    finally:
        run.value.close()
    shown = ip.ok("%sinch panel")
    try:
        assert isinstance(shown.value, Panel)
    finally:
        shown.value.close()


def test_in_an_unattended_kernel_login_fails_instead_of_waiting(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ip.shell, "kernel", SimpleNamespace(_allow_stdin=False), raising=False)
    run = ip.fails("%sinch login --key-id someone --project-id somewhere")
    assert "no credentials" in run.lines()[0]


# -- the whole session -----------------------------------------------------------------------


def test_a_whole_session_never_shows_the_secret_or_the_token(
    ip: MagicShell, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command, errors included; then every output, the history and the namespace."""
    answer(monkeypatch, "y", "y")
    typing_secret(monkeypatch)
    ip.ok(f"%sinch login --key-id {KEY} --project-id {DEMO_PROJECT_ID} {endpoints(secret_sandbox)}")
    ip.ok("%sinch status")
    ip.ok("%sinch help")
    ip.ok("%sinch login --help")
    ip.ok("df = %sinch list --deleted")
    ip.ok("first = df['subprojectId'][0]")
    ip.ok("%sinch get {first}")
    ip.ok("sp = %sinch create Audit --label k=v")
    ip.ok("%%sinch create -o batch\nAudit 2 | a=b\nAudit 3")
    ip.ok("%sinch update {sp.id} --name Audited --label k=w")
    ip.ok("%sinch delete {sp.id}")
    ip.ok("df = %sinch list\ndf.loc[0, 'displayName'] = 'Edited'")
    ip.ok("%sinch plan df -o p")
    ip.ok("%sinch apply p -o result --no-progress")
    ip.fails("%sinch get 01FC66621VHDBN119Z8PMXXXXX")
    ip.fails("%sinch create")
    secret_sandbox.expire_tokens()
    ip.ok("%sinch list --limit 1")  # a refreshed token
    token = current_token()
    ip.ok("%sinch logout")
    ip.ok("%sinch sandbox status")
    assert len(ip.transcript) == 19
    ip.assert_never_shown(SECRET, token)


def test_half_set_environment_names_what_is_missing(
    ip: MagicShell, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SINCH_PROJECT_ID")
    run = ip.fails("%sinch login")  # unattended: nobody to ask for the project
    assert run.lines() == ["%sinch login: no Project ID: pass --project-id or set SINCH_PROJECT_ID"]
    assert sandbox_env.stats["token_requests"] == 0
    answer(monkeypatch, DEMO_PROJECT_ID)  # at a terminal it is asked for
    run = ip.ok("%sinch login")
    assert "Project ID: " in run.stdout
    assert run.value.project_id == DEMO_PROJECT_ID


# -- first use with SINCH_* set, and --sandbox where SINCH_* point at a sandbox ----------------


def test_first_use_connects_from_complete_sinch_variables(
    ip: MagicShell, sandbox_env: Sandbox
) -> None:
    """As the panel does when shown: after a kernel restart no %sinch login is needed."""
    listed = ip.ok("%sinch list")
    assert sn.active() is not None and sn.active().endpoints.api_url == sandbox_env.url
    assert len(listed.value) == len(sandbox_env.subprojects())
    assert ip.ok("%sinch status").value.connected
    assert sandbox_env.stats["token_requests"] == 1
    ip.assert_never_shown(sandbox_env.env()["SINCH_KEY_SECRET"], current_token())


def test_a_logout_stays_a_logout(ip: MagicShell, sandbox_env: Sandbox) -> None:
    ip.ok("%sinch list")
    ip.ok("%sinch logout")
    assert ip.fails("%sinch list").lines() == [
        "%sinch list: not connected (logged out): run %sinch login (your account), or "
        "%sinch login --sandbox (a local demo account)"
    ]
    assert not ip.ok("%sinch status").value.connected
    ip.ok("%sinch login")
    assert sn.active() is not None


def test_incomplete_sinch_variables_are_named_when_not_connected(
    ip: MagicShell, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINCH_KEY_ID", sandbox.key_id)
    line = ip.fails("%sinch list").lines()[0]
    assert line.startswith(
        "%sinch list: not connected (SINCH_KEY_SECRET, SINCH_PROJECT_ID not set): run %sinch login"
    )
    assert sn.active() is None


def test_first_use_with_a_wrong_secret_is_one_line(
    ip: MagicShell, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINCH_KEY_SECRET", "not-the-secret")
    run = ip.fails("%sinch list")
    assert len(run.lines()) == 1
    assert "not-the-secret" not in run.everything()


def test_login_sandbox_uses_the_sandbox_the_sinch_variables_point_at(
    ip: MagicShell, sandbox_env: Sandbox
) -> None:
    """The demo and Binder: the kernel's --sandbox is the demo's account, with its changes."""
    created = sandbox_env.connect(activate=False).create("Made in the demo's account")
    run = ip.ok("%sinch login --sandbox")
    assert run.value.api_url == sandbox_env.url
    assert local_sandbox() is None  # no second sandbox in the kernel
    assert f"Connected to the sandbox that SINCH_API_URL points at ({sandbox_env.url})" in (
        run.stdout
    )
    assert sn.active().get(created.id).display_name == "Made in the demo's account"


def test_login_sandbox_beside_a_real_account_says_it_is_a_separate_one(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SINCH_KEY_ID": "real-key",
        "SINCH_KEY_SECRET": "real-secret-never-shown",
        "SINCH_PROJECT_ID": "real-project",
        "SINCH_API_URL": "https://subproject.api.sinch.example",
    }.items():
        monkeypatch.setenv(name, value)
    run = ip.ok("%sinch login --sandbox")
    assert run.value.api_url == local_sandbox().url
    assert (
        "This is the local sandbox in this kernel (its own demo data), separate from the account "
        "the SINCH_* variables name (project 'real-project' at "
        "https://subproject.api.sinch.example); %sinch login connects to that one."
    ) in run.stdout
    ip.assert_never_shown("real-secret-never-shown")


def test_a_sandbox_started_in_the_kernel_wins_over_the_sinch_variables(
    ip: MagicShell, sandbox_env: Sandbox
) -> None:
    ip.ok("%sinch sandbox start --subprojects 3")
    run = ip.ok("%sinch login --sandbox")
    assert run.value.api_url == local_sandbox().url != sandbox_env.url
    assert "separate from the account the SINCH_* variables name" in run.stdout


def test_python_api_first_use_connects_from_the_sinch_variables(sandbox_env: Sandbox) -> None:
    assert sn.active() is None
    assert sn.require_active().endpoints.api_url == sandbox_env.url
