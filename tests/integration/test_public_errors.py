"""Errors from the public API raise as their one line, not as a trace through the package.

A wrong Key Secret given to `sn.connect()` printed 137 lines in a notebook (the retry loop,
the token source, `requests`' auth hook) before its clear last line.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.sandbox import Sandbox

PACKAGE = str(Path(sn.__file__).parent)


def wrong_secret(sb: Sandbox) -> None:
    sn.connect(
        key_id=sb.key_id,
        key_secret="not-the-right-secret",
        project_id=sb.project_id,
        api_url=sb.url,
        auth_url=sb.token_url,
    )


def raised(action) -> BaseException:
    with pytest.raises(sn.SinchError) as caught:
        action()
    return caught.value


def package_frames(error: BaseException) -> list[str]:
    frames = traceback.extract_tb(error.__traceback__)
    return [f"{f.filename}:{f.name}" for f in frames if f.filename.startswith(PACKAGE)]


def test_a_wrong_secret_raises_one_short_error_without_a_chain(sandbox: Sandbox) -> None:
    error = raised(lambda: wrong_secret(sandbox))
    assert isinstance(error, sn.Unauthenticated)
    assert error.__cause__ is None and error.__suppress_context__
    assert len(package_frames(error)) == 1  # the public entry point, nothing under it
    text = "".join(traceback.format_exception(error))
    assert "During handling" not in text and "requests" not in text
    assert "the token endpoint rejected Key ID 'demo-key-id'" in text.splitlines()[-1]
    assert "not-the-right-secret" not in text


def test_client_calls_raise_the_same_way(sandbox: Sandbox) -> None:
    client = sandbox.connect()
    for action in (
        lambda: client.get("01NOSUCHSUBPROJECT000000000"),
        lambda: client.create(""),
        lambda: client.update("01NOSUCHSUBPROJECT000000000", display_name="x"),
    ):
        error = raised(action)
        assert len(package_frames(error)) == 1, package_frames(error)
        assert error.__cause__ is None


def test_short_errors_off_keeps_the_whole_trace_for_debugging(sandbox: Sandbox) -> None:
    settings = config.settings()
    settings.short_errors = False
    try:
        error = raised(lambda: wrong_secret(sandbox))
    finally:
        settings.short_errors = True
    assert len(package_frames(error)) > 5


def test_in_ipython_a_wrong_secret_is_a_few_lines(sandbox: Sandbox, capsys) -> None:
    shell = InteractiveShell()
    try:
        shell.run_line_magic("colors", "nocolor")
        shell.user_ns.update(sn=sn, sb=sandbox)
        shell.run_cell(
            "sn.connect(key_id=sb.key_id, key_secret='nope-wrong', project_id=sb.project_id,"
            " api_url=sb.url, auth_url=sb.token_url)"
        )
        shown = capsys.readouterr()
    finally:
        InteractiveShell.clear_instance()
    lines = [line for line in (shown.out + shown.err).splitlines() if line.strip()]
    assert lines[-1].startswith("Unauthenticated: 401 UNAUTHENTICATED: the token endpoint")
    assert len(lines) <= 15, "\n".join(lines)


def test_connect_help_names_the_environment_variables() -> None:
    """`sn.connect?` is where a newcomer looks: it says where each option comes from."""
    doc = sn.connect.__doc__
    for name in (
        "SINCH_KEY_ID",
        "SINCH_KEY_SECRET",
        "SINCH_PROJECT_ID",
        "SINCH_AUTH",
        "SINCH_AUTH_URL",
        "SINCH_API_URL",
        "SINCH_API_VERSION",
    ):
        assert f"`{name}`" in doc, name
    assert "resolve_connection" not in doc and "options." not in doc  # no internal names
    import inspect

    assert "key_secret" in inspect.signature(sn.connect).parameters  # the real signature
