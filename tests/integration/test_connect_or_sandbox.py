"""`sn.connect_or_sandbox()`: a real account when SINCH_* are set, else the local sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import sinch_notebook as sn
from sinch_notebook.connection.local_sandbox import local_sandbox, stop_local_sandbox
from sinch_notebook.sandbox import DEMO_KEY_SECRET, DEMO_PROJECT_ID, Sandbox


@pytest.fixture(autouse=True)
def _no_process_sandbox() -> Iterator[None]:
    stop_local_sandbox()
    yield
    stop_local_sandbox()


def test_without_credentials_it_starts_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    client = sn.connect_or_sandbox()
    out = capsys.readouterr().out
    sandbox = local_sandbox()
    assert sandbox is not None
    assert client.endpoints.api_url == sandbox.url
    assert sn.active() is client
    assert client.project_id == DEMO_PROJECT_ID
    assert len(client.list()) > 0  # the demo account, seeded
    assert "local Sinch sandbox" in out and sandbox.url in out
    assert "SINCH_KEY_ID" in out  # tells how to use a real account
    assert DEMO_KEY_SECRET not in out


def test_with_credentials_it_uses_them(
    sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    client = sn.connect_or_sandbox()
    out = capsys.readouterr().out
    assert local_sandbox() is None  # no sandbox was started
    assert client.endpoints.api_url == sandbox_env.url
    assert sn.active() is client
    assert "SINCH_* environment variables" in out and repr(sandbox_env.project_id) in out
    assert DEMO_KEY_SECRET not in out


def test_options_pass_through_and_quiet(
    sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    client = sn.connect_or_sandbox(quiet=True, activate=False, api_version="v1alpha1")
    assert capsys.readouterr().out == ""
    assert client.endpoints.api_version == "v1alpha1"
    assert sn.active() is None


def test_half_set_credentials_are_an_error_not_a_silent_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINCH_KEY_ID", "my-key")
    monkeypatch.setenv("SINCH_PROJECT_ID", "my-project")
    with pytest.raises(sn.ValidationError) as info:
        sn.connect_or_sandbox()
    message = str(info.value)
    assert "SINCH_KEY_SECRET" in message and "not set" in message
    assert local_sandbox() is None


def test_wrong_credentials_fail_loudly(
    sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINCH_KEY_SECRET", "not-the-secret")
    with pytest.raises(sn.Unauthenticated):
        sn.connect_or_sandbox()
    assert local_sandbox() is None
