"""Secrets at the edges (issue 25): a keychain that never answers does not hang anything, and no
message shows a secret: not a keychain error quoting the password being saved, not a URL's
user info or query. Against the sandbox over HTTP and the test keychains of tests/keyrings.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.sandbox import Sandbox
from tests.conftest import use_keychain
from tests.helpers import save_sandbox_profile
from tests.keyrings import HANGING, QUOTING, HangingKeyring

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hanging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_keychain(monkeypatch, HANGING)
    HangingKeyring.calls.clear()
    HangingKeyring.release.clear()
    monkeypatch.setattr(profile_store.KEYCHAIN, "timeout", 0.5)
    monkeypatch.setattr(profile_store.KEYCHAIN, "_waiting", None)  # restored after the test
    yield
    HangingKeyring.release.set()  # the calls left waiting end


def test_a_keychain_that_never_answers_is_one_reason_not_a_hang(
    sandbox: Sandbox, hanging: None
) -> None:
    saved = profile_store.save(
        "prod",
        key_id=sandbox.key_id,
        project_id=sandbox.project_id,
        key_secret=sandbox._key_secret,
        api_url=sandbox.url,
        auth_url=sandbox.token_url,
    )
    assert saved.secret == "failed" and "the keychain did not answer" in saved.line()
    with pytest.raises(sn.ValidationError) as refused:
        sn.connect(profile="prod", activate=False)
    assert "the keychain did not answer" in str(refused.value)
    frame = sn.profiles()  # while that call still waits, the keychain is not asked again
    assert list(frame["name"]) == ["prod"]
    assert HangingKeyring.calls == ["set"]


def test_the_environments_secret_of_the_profiles_key_id_never_asks_the_keychain(
    sandbox: Sandbox, hanging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_sandbox_profile(sandbox)  # no secret: the keychain is not asked to store one
    HangingKeyring.calls.clear()
    monkeypatch.setenv("SINCH_KEY_ID", sandbox.key_id)
    monkeypatch.setenv("SINCH_KEY_SECRET", sandbox._key_secret)
    from sinch_notebook.cli.profiles import connect_stored

    client = connect_stored("prod", "snapshot")
    assert client.project_id == sandbox.project_id
    assert HangingKeyring.calls == []


def _snapshot_command(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("SINCH_")}
    child.update(
        SINCH_NOTEBOOK_CONFIG=os.environ["SINCH_NOTEBOOK_CONFIG"],
        PYTHONPATH=str(ROOT),
        PYTHON_KEYRING_BACKEND=HANGING,
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "sinch_notebook.cli", "snapshot", "--profile", "prod"],
        env=child,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_snapshot_under_cron_with_a_keychain_that_never_answers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    save_sandbox_profile(sandbox)
    stuck = _snapshot_command(tmp_path)
    assert stuck.returncode != 0
    assert "the keychain did not answer" in stuck.stderr
    assert len(stuck.stderr.strip().splitlines()) == 1
    run = _snapshot_command(
        tmp_path, SINCH_KEY_ID=sandbox.key_id, SINCH_KEY_SECRET=sandbox._key_secret
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("snapshot 1 at")


def test_a_keychain_error_quoting_the_password_being_saved_is_masked(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keychain(monkeypatch, QUOTING)
    fresh = "never-seen-before-" + os.urandom(6).hex()  # not registered by any connection
    saved = profile_store.save(
        "prod", key_id="some-key", project_id="some-project", key_secret=fresh
    )
    assert saved.secret == "failed" and "without its Key Secret" in saved.line()
    assert fresh not in saved.line() and fresh not in repr(saved)


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("ftp://user:pa55word@api.example.com/v1", "pa55word"),
        ("https://api.example.com/?token=t0ken-value", "t0ken-value"),
        ("https://user:pa55word@api.example.com:notaport/", "pa55word"),
        ("nonsense://?token=t0ken-value", "t0ken-value"),
    ],
)
def test_url_errors_show_scheme_host_port_and_path_only(url: str, hidden: str) -> None:
    with pytest.raises(sn.ValidationError) as refused:
        sn.connect("k", "s", "p", api_url=url, verify=False, activate=False)
    assert refused.value.field == "api_url"
    assert hidden not in str(refused.value)


def test_a_logged_url_has_its_token_masked() -> None:
    from sinch_notebook.redact import redact

    line = "403 GET /voila/static/x.js?token=abcdef123&v=1 (127.0.0.1)"
    assert redact(line) == "403 GET /voila/static/x.js?token=***&v=1 (127.0.0.1)"
    assert redact("GET /v1/projects/p/subprojects?pageToken=abc").endswith("pageToken=abc")
