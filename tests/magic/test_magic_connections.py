"""The magic with saved profiles and several connections: `login --profile / --save-as / --name`,
`connections`, `use`, `logout NAME`, `list --connection / --all-connections`, in a real shell
against two real sandboxes (two projects side by side)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import sinch_notebook as sn
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.sandbox import Sandbox
from tests.conftest import use_keychain
from tests.helpers import save_sandbox_profile as save
from tests.keyrings import BROKEN, MemoryKeyring
from tests.magic.test_magic_session import typing_secret
from tests.magic_shell import MagicShell, answer, unattended

SECRET_A = "first-project-secret-0001"
SECRET_B = "second-project-secret-0002"


@pytest.fixture
def two() -> Iterator[tuple[Sandbox, Sandbox]]:
    with (
        Sandbox(key_id="key-a", key_secret=SECRET_A, project_id="project-a", subprojects=3) as a,
        Sandbox(key_id="key-b", key_secret=SECRET_B, project_id="project-b", subprojects=4) as b,
    ):
        yield a, b


def test_login_with_profiles_lists_two_projects_side_by_side(
    ip: MagicShell, two: tuple[Sandbox, Sandbox]
) -> None:
    a, b = two
    save(a, "prod", SECRET_A)
    save(b, "staging", SECRET_B)
    assert ip.ok("%sinch login --profile prod").value.project_id == "project-a"
    assert ip.ok("%sinch login --profile staging").value.project_id == "project-b"
    assert sn.active().project_id == "project-b"  # the newest login is active

    table = ip.ok("%sinch connections").value
    assert table[["name", "project", "active"]].values.tolist() == [
        ["prod", "project-a", False],
        ["staging", "project-b", True],
    ]
    frame = ip.ok("%sinch list --all-connections -o both").value
    assert frame["parentProjectId"].value_counts().to_dict() == {"project-a": 3, "project-b": 4}
    one_off = ip.ok("%sinch list --connection prod").value
    assert set(one_off["parentProjectId"]) == {"project-a"}
    assert sn.active().project_id == "project-b"  # a one-off does not switch

    assert ip.ok("%sinch use prod").value.project_id == "project-a"
    assert sn.connections().query("active")["name"].tolist() == ["prod"]
    assert set(ip.ok("%sinch list").value["parentProjectId"]) == {"project-a"}

    run = ip.ok("%sinch logout staging")
    assert "project-b" in run.text and sn.active().project_id == "project-a"
    assert sn.connections()["name"].tolist() == ["prod"]
    ip.fails("%sinch use staging")
    assert "no connection named 'staging'" in ip.transcript[-1].text
    ip.fails("%sinch list --connection nope --all-connections")
    ip.assert_never_shown(SECRET_A, SECRET_B)


def test_login_with_a_profile_and_no_keychain_says_so_in_one_line_and_asks(
    ip: MagicShell, two: tuple[Sandbox, Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = two
    save(a, "prod", None)
    use_keychain(monkeypatch, BROKEN)
    typed = typing_secret(monkeypatch, SECRET_A)
    answer(monkeypatch)  # a terminal: someone can type
    run = ip.ok("%sinch login --profile prod")
    assert run.value.project_id == "project-a"
    said = [line for line in run.lines() if "keychain" in line]
    assert said == ["No usable OS keychain (KeyringLocked): the Key Secret must be entered."]
    assert typed.prompts == ["Key Secret for key-a: "]
    assert "Traceback" not in run.text

    # unattended (nbval, papermill): one line saying how to provide it, nothing asked
    unattended(monkeypatch)
    run = ip.fails("%sinch login --profile prod")
    assert "no Key Secret for profile 'prod'" in run.text and "SINCH_KEY_SECRET" in run.text
    assert typed.prompts == ["Key Secret for key-a: "]
    ip.assert_never_shown(SECRET_A)


def test_save_as_keeps_a_connection_that_just_worked(
    ip: MagicShell, two: tuple[Sandbox, Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = two
    for name, value in a.env().items():
        monkeypatch.setenv(name, value)
    run = ip.ok("%sinch login --save-as work")
    assert "Saved profile 'work'" in run.text and "OS keychain" in run.text
    saved = profile_store.get("work")
    assert (saved.key_id, saved.project_id, saved.api_url) == ("key-a", "project-a", a.url)
    assert list(MemoryKeyring.entries.values()) == [SECRET_A]
    assert SECRET_A not in profile_store.config_path().read_text()

    # a restarted kernel, no SINCH_*: the profile connects without typing anything
    for name in a.env():
        monkeypatch.delenv(name)
    sn.disconnect_all()
    typed = typing_secret(monkeypatch, "never-typed")
    assert ip.ok("%sinch login --profile work").value.project_id == "project-a"
    assert typed.prompts == []
    assert sn.connections()["name"].tolist() == ["work"]
    ip.fails("%sinch login --save-as 'bad name'")
    ip.assert_never_shown(SECRET_A)


def test_profiles_command_and_bad_files_are_one_line(ip: MagicShell) -> None:
    assert "No saved profiles" in ip.ok("%sinch profiles").text
    profile_store.save("p", key_id="k", project_id="x")
    table = ip.ok("%sinch profiles").value
    assert table["name"].tolist() == ["p"] and table["secret"].tolist() == ["none"]
    profile_store.config_path().write_text('[profiles.p]\nkey_id = "k"\nkey_secret = "zzzz-9"\n')
    run = ip.fails("%sinch login --profile p")
    assert "line 3" in run.text and "'key_secret'" in run.text and "zzzz-9" not in run.text
