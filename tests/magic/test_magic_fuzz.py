"""Fuzz: any `%sinch` line, however odd, works or fails with one `%sinch ...` line, and never
sends a request the client did not validate (the sandbox never answers one with a 400).

Lines are made of the magic's own words (commands, options, ids of real subprojects) mixed with
what breaks parsers: lone and doubled braces, `$`, quotes, backslashes, `=`, control characters.
Commands that leave the process (`login`, `logout`, `sandbox`, `panel`) are left out: they change
the connection the check relies on, and have tests of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinch_notebook.magic import COMMANDS
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, magic_shell

LEFT_OUT = {"login", "logout", "sandbox", "panel"}
WORDS = [*sorted(set(COMMANDS) - LEFT_OUT), "help", "lst", ""]
OPTIONS = [
    "--label",
    "-l",
    "--unlabel",
    "--name",
    "--limit",
    "--yes",
    "--deleted",
    "-o",
    "--store",
    "--workers",
    "--force",
    "--help",
    "--",
    "-",
]
ODD = ["{", "}", "{{", "}}", "{x}", "{nope}", "{1/0}", "$", "$x", "$$", '"', "'", "\\", "=", ";"]
PIECE = st.one_of(
    st.sampled_from(OPTIONS),
    st.sampled_from(ODD),
    st.text(alphabet="abc=,|{}$'\"\\ \t\x00\x7f-é", max_size=6),
    st.sampled_from(["ID", "key=value", "region=eu", "a=", "=b", "0", "-1", "99999999999"]),
)


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MagicShell]:
    yield from magic_shell(monkeypatch, tmp_path)


@pytest.fixture
def connected(ip: MagicShell, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(subprojects=3, seed=1, retry_after=0) as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        ip.ok("%sinch login")
        ip.user_ns["x"] = "value"
        yield sb


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(WORDS),
    pieces=st.lists(st.one_of(PIECE, st.just("ID")), max_size=6),
    separator=st.sampled_from([" ", "  ", "\t"]),
)
def test_any_line_works_or_fails_with_one_line(
    ip: MagicShell, connected: Sandbox, command: str, pieces: list[str], separator: str
) -> None:
    some_id = connected.subprojects()[0]["subprojectId"]
    words = [some_id if piece == "ID" else piece for piece in pieces]
    line = separator.join([command, *words]).replace("\n", " ")
    before = connected.stats["responses"].get(400, 0)
    server_before = connected.subprojects()
    run = ip.run(f"%sinch {line}")
    assert "Traceback" not in run.text, (line, run.text)
    if run.error is not None:
        errors = [text for text in run.lines() if text.startswith("%sinch")]
        assert len(errors) == 1, (line, run.text)
        assert errors[0] == run.lines()[-1], (line, run.text)
    # Nothing the client did not validate reached the server: it never had to refuse one.
    assert connected.stats["responses"].get(400, 0) == before, line
    # Deletes ask first and nobody answers here: nothing was deleted by a line.
    deleted = {r["subprojectId"] for r in connected.subprojects() if r["deleted"]}
    assert deleted == {r["subprojectId"] for r in server_before if r["deleted"]}, line


@pytest.mark.parametrize(
    "line",
    ["get {", "get }", "create Acme {", "create } Acme", "list --name {", "{", "}", "get {!}"],
)
def test_a_lone_brace_is_one_line_naming_the_command(
    ip: MagicShell, connected: Sandbox, line: str
) -> None:
    before = connected.stats["requests"]
    run = ip.fails(f"%sinch {line}")
    command = line.split()[0]
    where = f"%sinch {command}:" if command in COMMANDS else "%sinch:"
    assert len(run.lines()) == 1, run.text
    assert run.lines()[0].startswith(f"{where} cannot read the braces in the line"), run.text
    assert "write {{ or }} for a literal brace" in run.lines()[0]
    assert connected.stats["requests"] == before  # nothing sent


def test_doubled_braces_are_literal(ip: MagicShell, connected: Sandbox) -> None:
    sp = ip.ok("%sinch create Acme {{EU}}").value
    assert sp.display_name == "Acme {EU}"
