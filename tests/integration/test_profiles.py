"""Saved profiles: the TOML file, the OS keychain (a working one and one that always fails), the
one precedence of `options.py`, and connecting with a profile against a real sandbox."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.connection.options import resolve_connection
from sinch_notebook.sandbox import Sandbox
from tests.conftest import use_keychain
from tests.keyrings import BROKEN, MemoryKeyring

SECRET = "profile-secret-1234"


def profiles_file() -> Path:
    return Path(os.environ["SINCH_NOTEBOOK_CONFIG"])


def save_sandbox_profile(sandbox: Sandbox, name: str = "prod", **extra: object) -> None:
    sn.save_profile(
        name,
        key_id=sandbox.key_id,
        key_secret=sandbox._key_secret,
        project_id=sandbox.project_id,
        api_url=sandbox.url,
        auth_url=sandbox.token_url,
        **extra,
    )


def test_a_profile_keeps_its_secret_in_the_keychain_never_in_the_file(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    save_sandbox_profile(sandbox, default=True)
    line = capsys.readouterr().out.strip()
    assert line.startswith("Saved profile 'prod'") and "OS keychain" in line
    assert "\n" not in line
    text = profiles_file().read_text()
    assert sandbox._key_secret not in text and "secret" not in text.split("\n", 3)[-1]
    assert "[profiles.prod]" in text and f'key_id = "{sandbox.key_id}"' in text
    assert stat.S_IMODE(profiles_file().stat().st_mode) == 0o600
    assert MemoryKeyring.entries == {
        ("sinch-notebook", f"prod/{sandbox.key_id}"): sandbox._key_secret
    }
    frame = sn.profiles()
    assert list(frame["name"]) == ["prod"] and bool(frame["default"][0])
    assert frame["secret"][0] == "keychain"
    assert sandbox._key_secret not in frame.to_string()

    client = sn.connect(profile="prod")  # nothing typed: the keychain has the secret
    assert client.project_id == sandbox.project_id and sn.active() is client
    assert sn.connections()["name"].tolist() == ["prod"]

    sn.delete_profile("prod")
    assert MemoryKeyring.entries == {}
    assert sn.profiles().empty


def test_no_usable_keychain_saves_without_the_secret_says_so_in_one_line_and_env_still_works(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_keychain(monkeypatch, BROKEN)
    save_sandbox_profile(sandbox)
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.count("\n") == 1
    assert "WITHOUT its Key Secret" in out.out and "KeyringLocked" in out.out
    assert "Traceback" not in out.out
    assert sandbox._key_secret not in profiles_file().read_text()  # no plain-text fallback
    assert sn.profiles()["secret"][0] == "no keychain"

    with pytest.raises(sn.ValidationError) as refused:
        sn.connect(profile="prod")
    message = str(refused.value)
    assert "no Key Secret for profile 'prod'" in message and "KeyringLocked" in message
    assert "SINCH_KEY_SECRET" in message

    # the environment's secret, for this profile's Key ID, is used
    monkeypatch.setenv("SINCH_KEY_ID", sandbox.key_id)
    monkeypatch.setenv("SINCH_KEY_SECRET", sandbox._key_secret)
    assert sn.connect(profile="prod").project_id == sandbox.project_id
    sn.delete_profile("prod")
    assert "could not be removed" in capsys.readouterr().out


def test_a_profile_secret_only_goes_with_that_profiles_key_id(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_sandbox_profile(sandbox)
    other = resolve_connection(profile="prod", key_id="someone-else")
    assert other.key_id == "someone-else" and not other.profile_secret_applies
    with pytest.raises(sn.ValidationError, match="key_secret"):
        other.credentials()
    # a file edited to another Key ID does not find the old Key ID's secret
    text = profiles_file().read_text().replace(sandbox.key_id, "edited-key-id")
    profiles_file().write_text(text)
    found, problem = resolve_connection(profile="prod").stored_credentials()
    assert found is None and problem is None


def test_precedence_arguments_then_profile_then_environment_then_default_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile_store.save(
        "named", key_id="named-key", project_id="named-project", api_url="https://named.example"
    )
    profile_store.save("fallback", key_id="fallback-key", project_id="fallback-project")
    monkeypatch.setenv("SINCH_PROFILE", "fallback")
    monkeypatch.setenv("SINCH_API_URL", "https://env.example")

    # 5. nothing else: the default profile (SINCH_PROFILE), taken whole, not SINCH_API_URL
    chosen = resolve_connection()
    assert (chosen.key_id, chosen.profile.name, chosen.profile_explicit) == (
        "fallback-key",
        "fallback",
        False,
    )
    assert chosen.endpoints.api_url == "https://subproject.api.sinch.com"

    # 3. SINCH_KEY_ID set: the environment wins over the default profile
    monkeypatch.setenv("SINCH_KEY_ID", "env-key")
    monkeypatch.setenv("SINCH_PROJECT_ID", "env-project")
    chosen = resolve_connection()
    assert (chosen.key_id, chosen.project_id, chosen.profile) == ("env-key", "env-project", None)
    assert chosen.endpoints.api_url == "https://env.example"

    # 2. a profile named explicitly wins over the environment
    chosen = resolve_connection(profile="named")
    assert (chosen.key_id, chosen.project_id) == ("named-key", "named-project")
    assert chosen.endpoints.api_url == "https://named.example" and chosen.profile_explicit

    # 1. an explicit argument wins over everything
    chosen = resolve_connection(profile="named", project_id="given")
    assert (chosen.key_id, chosen.project_id) == ("named-key", "given")

    # the one marked default, when SINCH_PROFILE is not set
    monkeypatch.delenv("SINCH_PROFILE")
    monkeypatch.delenv("SINCH_KEY_ID")
    assert resolve_connection().profile is None
    profile_store.save("named", key_id="named-key", project_id="named-project", default=True)
    assert resolve_connection().profile.name == "named"
    # marking another default unmarks the first
    profile_store.save("fallback", key_id="fallback-key", project_id="p", default=True)
    assert [p.name for p in profile_store.load().values() if p.default] == ["fallback"]


def test_secret_precedence_explicit_profile_then_environment_then_default_profile(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile_store.save("p", key_id="k", project_id="x", key_secret="from-keychain")
    monkeypatch.setenv("SINCH_KEY_ID", "k")
    monkeypatch.setenv("SINCH_KEY_SECRET", "from-environment")
    assert resolve_connection(profile="p").credentials().secret() == "from-keychain"
    assert resolve_connection().credentials().secret() == "from-environment"
    assert resolve_connection(profile="p").credentials("typed").secret() == "typed"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("[profiles.a]\nkey_id = 'k'\nproject_id = \n", 3, "not valid TOML"),
        ("[profiles.a]\nkey_id = 'k'\nproject_id = 'p'\ncolour = 'red'\n", 4, "unknown field"),
        ("[profiles.a]\nkey_id = 'k'\n\nproject_id = 'p'\nauth = 'magic'\n", 5, "auth"),
        ("[profiles.a]\nkey_id = 'k'\n", 1, "missing project_id"),
        ("[other]\nx = 1\n", 1, "unknown section"),
        (
            "[profiles.a]\nkey_id='k'\nproject_id='p'\ndefault=true\n"
            "[profiles.b]\nkey_id='k'\nproject_id='p'\ndefault=true\n",
            8,
            "more than one profile is marked default",
        ),
        ("[profiles.a]\nkey_id='k'\nproject_id='p'\napi_url='http://evil.example'\n", 4, "http"),
    ],
)
def test_an_invalid_profiles_file_is_refused_with_the_file_the_line_and_the_reason(
    text: str, line: int, reason: str
) -> None:
    profiles_file().write_text(text)
    with pytest.raises(sn.ProfilesFileError) as refused:
        sn.profiles()
    message = str(refused.value)
    assert message.startswith(f"profiles file: {profiles_file()}, line {line}: "), message
    assert reason in message
    with pytest.raises(sn.ProfilesFileError):  # and saving does not overwrite it
        profile_store.save("c", key_id="k", project_id="p")
    assert profiles_file().read_text() == text
    assert profile_store.names() == []  # completion: quietly nothing


def test_a_secret_written_into_the_file_is_refused_never_used_and_never_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hand_written = "hand-written-secret-9876"
    profiles_file().write_text(
        f'[profiles.prod]\nkey_id = "k"\nproject_id = "p"\nkey_secret = "{hand_written}"\n'
    )
    with pytest.raises(sn.ProfilesFileError) as refused:
        sn.connect(profile="prod")
    message = str(refused.value)
    assert "line 4" in message and "'key_secret'" in message and "never read" in message
    assert hand_written not in message
    monkeypatch.setenv("SINCH_KEY_SECRET", hand_written)  # (only to prove it is not used)
    with pytest.raises(sn.ProfilesFileError):
        resolve_connection()  # the default-profile lookup refuses the file too


def test_profile_names_and_values_are_checked_before_anything_is_written() -> None:
    for bad in ("", "has space", "-dash-first", "x" * 65):
        with pytest.raises(sn.ValidationError, match="profile name"):
            profile_store.save(bad, key_id="k", project_id="p")
    with pytest.raises(sn.ValidationError, match="api_version"):
        profile_store.save("a", key_id="k", project_id="p", api_version="v9")
    with pytest.raises(sn.ValidationError, match="key_id"):
        profile_store.save("a", key_id=" ", project_id="p")
    assert not profiles_file().exists()
    with pytest.raises(sn.ValidationError, match="no profile named 'nope'"):
        sn.connect(profile="nope")


def test_a_changed_key_id_takes_the_old_secret_out_of_the_keychain() -> None:
    profile_store.save("a", key_id="old", project_id="p", key_secret="old-secret")
    saved = profile_store.save("a", key_id="new", project_id="p")
    assert saved.secret == "none" and "without a Key Secret" in saved.line()
    assert MemoryKeyring.entries == {}
    again = profile_store.save("a", key_id="new", project_id="p", key_secret="new-secret")
    assert again.secret == "keychain"
    assert profile_store.save("a", key_id="new", project_id="q").secret == "kept"
