"""Tab completion of `%sinch` lines through a real IPython shell's completer
(`InteractiveShell.complete` and the `Completer.completions` API the kernels use)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.completer import provisionalcompleter

from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.magic import recent
from sinch_notebook.magic.completion import NOTHING
from sinch_notebook.magic.registry import COMMANDS
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, magic_shell


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MagicShell]:
    recent.forget()
    yield from magic_shell(monkeypatch, tmp_path)
    recent.forget()


def texts(ip: MagicShell, line: str) -> list[str]:
    """What `shell.complete` offers at the end of `line` (as terminal IPython asks)."""
    _, matches = ip.shell.complete(None, line, len(line))
    return matches


def completions(ip: MagicShell, text: str) -> list[tuple[str, str, str]]:
    """(text, type, what it replaces), as a Jupyter kernel asks."""
    with provisionalcompleter():
        found = list(ip.shell.Completer.completions(text, len(text)))
    # names are shown with non-breaking spaces (JupyterLab would wrap them otherwise)
    return [(c.text, c.type.replace("\u00a0", " "), text[c.start : c.end]) for c in found]


def ours(ip: MagicShell, text: str) -> list[str]:
    """Only what the %sinch completer offered (when it has nothing, IPython's others speak)."""
    with provisionalcompleter():
        found = list(ip.shell.Completer.completions(text, len(text)))
    return [c.text for c in found if "sinch_matcher" in c._origin and c.type != NOTHING]


def test_commands_complete_and_nothing_else_does(ip: MagicShell) -> None:
    assert texts(ip, "%sinch l") == ["login", "logout", "list"]
    offered = completions(ip, "%sinch l")
    assert [t for t, _, _ in offered] == ["login", "logout", "list"]
    assert all(replaced == "l" for _, _, replaced in offered)
    assert {kind for _, kind, _ in offered} == {"command"}
    assert texts(ip, "%sinch ") == list(COMMANDS)
    assert texts(ip, "%sinch help ") == list(COMMANDS)
    assert ours(ip, "%sinch nonsense ") == []
    # other lines are left to IPython
    assert "%ldir" in texts(ip, "%ld") or "%ldir" in [t for t, _, _ in completions(ip, "%ld")]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_completes_its_own_options(ip: MagicShell, command: str) -> None:
    parser = COMMANDS[command].parser()
    expected = sorted(o for a in parser._actions for o in a.option_strings if o.startswith("--"))
    assert sorted(texts(ip, f"%sinch {command} --")) == expected


def test_options_given_once_are_not_offered_again_but_repeatable_ones_are(ip: MagicShell) -> None:
    offered = texts(ip, "%sinch list --deleted --label a=b --")
    assert "--deleted" not in offered and "--label" in offered and "--name" in offered


def test_plan_completes_dataframes_and_apply_completes_plans_and_plan_files(
    ip: MagicShell, sandbox_env: Sandbox, tmp_path: Path
) -> None:
    ip.ok("import pandas as pd\ndf = pd.DataFrame({'a': [1]})\nedited = df.copy()\nn = 3")
    assert texts(ip, "%sinch plan ") == ["df", "edited"]
    assert texts(ip, "%sinch plan e") == ["edited"]
    assert texts(ip, "%sinch plan --force ") == ["df", "edited"]
    ip.ok("%sinch login")
    ip.ok("frame = %sinch list\np = sn_plan = __import__('sinch_notebook').plan(frame)")
    (tmp_path / "saved-plan.json").write_text(json.dumps({}))
    (tmp_path / "notes.txt").write_text("")
    offered = completions(ip, "%sinch apply ")
    assert ("p", "Plan", "") in offered and ("sn_plan", "Plan", "") in offered
    assert ("saved-plan.json", "plan file", "") in offered
    assert all(text != "notes.txt" and text != "df" for text, _, _ in offered)


def test_ids_of_the_last_listing_complete_with_their_names_beside_them(
    ip: MagicShell, sandbox_env: Sandbox
) -> None:
    client = sandbox_env.connect(activate=False)
    made = [client.create(name, {}) for name in ("Acme EU", "Globex", "Initech")]
    assert ours(ip, "%sinch get ") == []  # nothing listed yet in this kernel
    ip.ok("%sinch login")
    ip.ok("%sinch list --name Acme")
    assert completions(ip, "%sinch get ") == [(made[0].id, "Acme EU", "")]
    ip.ok("%sinch list;")
    for command in ("get", "update", "delete", "history"):
        offered = completions(ip, f"%sinch {command} ")
        assert [(t, k) for t, k, _ in offered] == [(sp.id, sp.display_name) for sp in made]
    prefix = made[1].id[:-3]
    assert [t for t, _, _ in completions(ip, f"%sinch update {prefix}")] == [made[1].id]
    assert ours(ip, f"%sinch update {made[1].id} --name ") == []  # a value, not an id
    assert ours(ip, "%sinch login --key-id ") == []  # an ID metavar of an option: no ids


def test_profile_and_connection_names_complete(ip: MagicShell, sandbox_env: Sandbox) -> None:
    profile_store.save("prod", key_id="k", project_id="p")
    profile_store.save("staging", key_id="k2", project_id="p2")
    assert texts(ip, "%sinch login --profile ") == ["prod", "staging"]
    assert texts(ip, "%sinch login --profile s") == ["staging"]
    assert ours(ip, "%sinch use ") == []
    ip.ok("%sinch login --name one")
    ip.ok("%sinch login --name two")
    assert completions(ip, "%sinch use ") == [
        ("one", "connection", ""),
        ("two", "active connection", ""),
    ]
    assert texts(ip, "%sinch logout ") == ["one", "two"]
    assert texts(ip, "%sinch list --connection o") == ["one"]


def test_completion_never_calls_the_network_and_never_fails_loudly(
    ip: MagicShell, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    ip.ok("%sinch login")
    ip.ok("%sinch list;")
    before = sandbox_env.stats
    for line in ("%sinch ", "%sinch get ", "%sinch use ", "%sinch list --", "%sinch apply "):
        texts(ip, line)
        completions(ip, line)
    after = sandbox_env.stats
    assert (after["requests"], after["token_requests"]) == (
        before["requests"],
        before["token_requests"],
    )

    # an invalid profiles file: no profile names, no error
    profile_store.config_path().write_text("[profiles.a\n")
    assert ours(ip, "%sinch login --profile ") == []

    # a failure inside completion is swallowed: IPython's own completions remain
    def broken() -> tuple:
        raise RuntimeError("boom")

    monkeypatch.setattr(recent, "listed", broken)
    assert ours(ip, "%sinch get ") == []
    assert isinstance(texts(ip, "%sinch get "), list)
    assert "boom" not in "".join(run.text for run in ip.transcript)


def test_nothing_to_offer_is_an_empty_answer_that_hides_every_magic(ip: MagicShell) -> None:
    """Issue 33 item 12: `%sinch apply <Tab>` with no plan and no plan file offers nothing,
    not every IPython magic and name; the one answer changes nothing when inserted."""
    for line, fragment in (("%sinch apply ", ""), ("%sinch apply zz", "zz"), ("%sinch x ", "")):
        assert completions(ip, line) == [(fragment, "nothing to complete", fragment)]
        assert texts(ip, line) == [fragment]
    assert ours(ip, "%sinch apply ") == []


def test_unloading_the_extension_removes_the_completer(ip: MagicShell) -> None:
    assert texts(ip, "%sinch l") == ["login", "logout", "list"]
    ip.ok("%unload_ext sinch_notebook")
    assert "list" not in texts(ip, "%sinch l")
    ip.ok("%load_ext sinch_notebook")
    assert texts(ip, "%sinch l") == ["login", "logout", "list"]
    matchers = [m for m in ip.shell.Completer.custom_matchers if "sinch" in m.__name__]
    assert len(matchers) == 1
