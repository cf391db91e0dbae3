"""`%sinch delete` deletes only the version it asked about (`client.delete_if_unchanged`).

A colleague renames the subproject (through a second client) while the `[y/N]` question is
open: the answer does not delete it; the magic names what it is now and asks again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.magic_shell import MagicShell, TypedAnswers, magic_shell


class AnswersAfter(TypedAnswers):
    """A terminal where, before each answer is typed, `meanwhile` runs (a colleague acts)."""

    def __init__(self, lines: list[str], meanwhile: list[Callable[[], None]]) -> None:
        super().__init__("".join(f"{line}\n" for line in lines))
        self.meanwhile = meanwhile

    def readline(self, *args) -> str:  # type: ignore[override]
        if self.meanwhile:
            self.meanwhile.pop(0)()
        return super().readline(*args)


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MagicShell]:
    yield from magic_shell(monkeypatch, tmp_path)


@pytest.fixture
def on_sandbox(ip: MagicShell, sandbox_env: Sandbox) -> Sandbox:
    ip.ok("%sinch login")
    return sandbox_env


def _record(sb: Sandbox, sid: str) -> dict:
    return next(r for r in sb.subprojects() if r["subprojectId"] == sid)


def test_a_rename_while_the_question_is_open_is_named_and_asked_again(
    ip: MagicShell, on_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = ip.ok("%sinch create Old Name --label tier=gold").value
    colleague = on_sandbox.connect(retry=FAST_RETRY, activate=False)

    def rename() -> None:
        colleague.edit(sp.id, display_name="New Name", set_labels={"tier": "platinum"})

    monkeypatch.setattr(sys, "stdin", AnswersAfter(["y", "n"], [rename]))
    run = ip.ok(f"%sinch delete {sp.id}")
    assert run.stdout.splitlines() == [
        f"Delete 'Old Name' ({sp.id})? There is no undelete. [y/N] "
        f"'Old Name' ({sp.id}) changed on the server since it was shown: it was renamed to "
        "'New Name', its labels are now tier=platinum.",
        f"Delete 'New Name' ({sp.id})? There is no undelete. [y/N] Cancelled: nothing was deleted.",
    ]
    assert _record(on_sandbox, sp.id)["deleted"] is False
    assert _record(on_sandbox, sp.id)["displayName"] == "New Name"

    monkeypatch.setattr(sys, "stdin", AnswersAfter(["y", "y"], [rename_again(colleague, sp.id)]))
    run = ip.ok(f"%sinch delete {sp.id}")
    assert "it was renamed to 'Newer Name'" in run.stdout
    assert f"Delete 'Newer Name' ({sp.id})? There is no undelete. [y/N] " in run.stdout
    assert run.stdout.splitlines()[-1].endswith(f"Deleted 'Newer Name' ({sp.id}).")
    assert _record(on_sandbox, sp.id)["deleted"] is True


def rename_again(colleague: sn.SubprojectsClient, sid: str) -> Callable[[], None]:
    return lambda: colleague.update(sid, display_name="Newer Name")


def test_deleted_by_a_colleague_while_asked_is_said_so(
    ip: MagicShell, on_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = ip.ok("%sinch create Shared").value
    colleague = on_sandbox.connect(retry=FAST_RETRY, activate=False)
    monkeypatch.setattr(sys, "stdin", AnswersAfter(["y"], [lambda: colleague.delete(sp.id)]))
    on_sandbox.reset_stats()
    run = ip.ok(f"%sinch delete {sp.id}")
    assert run.stdout.splitlines()[-1].endswith(f"'Shared' ({sp.id}) was already deleted.")
    assert on_sandbox.stats["operations"].get("delete", 0) == 1  # the colleague's only


def test_unchanged_it_is_deleted_after_one_check(
    ip: MagicShell, on_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = ip.ok("%sinch create Plain").value
    monkeypatch.setattr(sys, "stdin", AnswersAfter(["y"], []))
    on_sandbox.reset_stats()
    assert f"Deleted 'Plain' ({sp.id})." in ip.ok(f"%sinch delete {sp.id}").stdout
    assert on_sandbox.stats["operations"] == {"get": 2, "delete": 1}  # read, check, delete


def test_delete_if_unchanged_in_python(client: sn.SubprojectsClient, sandbox: Sandbox) -> None:
    seen = client.create("Seen")
    client.update(seen.id, display_name="Changed")
    with pytest.raises(sn.SinchError) as info:
        client.delete_if_unchanged(seen)
    err = info.value
    assert isinstance(err, sn.ChangedOnServer)
    assert str(err) == (
        f"CHANGED_ON_SERVER: 'Seen' ({seen.id}) changed on the server since it was shown: it "
        "was renamed to 'Changed'; nothing was deleted"
    )
    assert err.current.display_name == "Changed"
    assert not _record(sandbox, seen.id)["deleted"]
    assert client.delete_if_unchanged(err.current) is True
    assert client.delete_if_unchanged(err.current) is False  # already deleted: said so
