"""A real IPython InteractiveShell with `%load_ext sinch_notebook`, for the magic's tests.

Each test gets a fresh shell (history in memory), fresh settings and no local sandbox, and the
process state IPython touches (`sys.modules['__main__']`, its atexit hook) is put back after.
"""

from __future__ import annotations

import atexit
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from sinch_notebook import config
from sinch_notebook.connection.local_sandbox import stop_local_sandbox


@dataclass
class Run:
    """One executed cell: its result and everything it printed or displayed."""

    result: ExecutionResult
    stdout: str
    stderr: str
    displayed: list[dict[str, Any]]
    formatted: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> Any:
        return self.result.result

    @property
    def error(self) -> BaseException | None:
        return self.result.error_in_exec or self.result.error_before_exec

    @property
    def text(self) -> str:
        """stdout and stderr together (the error line, prints, the text of Out)."""
        return self.stdout + self.stderr

    def everything(self) -> str:
        """Every byte shown, in every format (text and HTML, displayed and returned)."""
        parts = [self.stdout, self.stderr]
        for data in [*self.displayed, self.formatted]:
            parts.extend(str(v) for v in data.values())
        return "\n".join(parts)

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


class MagicShell:
    """Runs cells like a notebook does (history stored) and keeps a transcript of all output."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.transcript: list[Run] = []

    def run(self, source: str) -> Run:
        with capture_output() as captured:
            result = self.shell.run_cell(source, store_history=True)
        formatted: dict[str, Any] = {}
        if result.result is not None:
            formatted, _ = self.shell.display_formatter.format(result.result)
        run = Run(
            result,
            captured.stdout,
            captured.stderr,
            [dict(o.data) for o in captured.outputs],
            formatted,
        )
        self.transcript.append(run)
        return run

    def ok(self, source: str) -> Run:
        run = self.run(source)
        assert run.error is None, f"{source!r} failed: {run.text}"
        return run

    def fails(self, source: str) -> Run:
        """Run a cell that must fail with exactly one short error line and no traceback."""
        run = self.run(source)
        assert run.error is not None, f"{source!r} did not fail: {run.text}"
        error_lines = [line for line in run.lines() if line.startswith("%sinch")]
        assert error_lines, run.text
        assert "Traceback" not in run.text, run.text
        assert "File " not in run.text, run.text
        return run

    @property
    def user_ns(self) -> dict[str, Any]:
        return self.shell.user_ns

    def assert_never_shown(self, *secrets: str) -> None:
        """No secret in any output, in the history (In, the history database) or the namespace."""
        secrets = tuple(s for s in secrets if s)
        assert secrets
        shown = "\n".join(run.everything() for run in self.transcript)
        history = self.shell.history_manager
        stored = [source for _, _, source in history.get_range(raw=True)]
        stored += [source for _, _, source in history.get_range(raw=False)]
        inputs = "\n".join([*stored, *history.input_hist_raw, *history.input_hist_parsed])
        inputs += "\n".join(self.shell.user_ns.get("In", []))
        namespace = []
        for name, value in self.shell.user_ns.items():
            if name.startswith("__") or name in ("In", "get_ipython", "exit", "quit"):
                continue
            namespace.append(f"{name}={value!r} {value!s}")
        for secret in secrets:
            assert secret not in shown
            assert secret not in inputs
            assert secret not in "\n".join(namespace)


class TypedAnswers(io.StringIO):
    """Standard input of a terminal where the user types the given lines."""

    def isatty(self) -> bool:
        return True


class Piped(io.StringIO):
    """Standard input of a non-interactive run (a pipe): nobody is there to answer."""

    def isatty(self) -> bool:
        return False


def answer(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    """Make the shell's questions read these answers, as from a user at a terminal."""
    monkeypatch.setattr(sys, "stdin", TypedAnswers("".join(f"{line}\n" for line in lines)))


def unattended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Piped(""))


@contextmanager
def fresh_shell(cfg: Config | None = None) -> Iterator[InteractiveShell]:
    """The process's InteractiveShell, new, with history in memory; put away afterwards."""
    cfg = cfg or Config()
    cfg.HistoryManager.hist_file = ":memory:"
    config.reset_settings()
    main_module = sys.modules.get("__main__")
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance(config=cfg)
    try:
        yield shell
    finally:
        stop_local_sandbox()
        atexit.unregister(shell.atexit_operations)
        shell.history_manager.end_session()
        InteractiveShell.clear_instance()
        if main_module is not None:
            sys.modules["__main__"] = main_module
        config.reset_settings()


def magic_shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[MagicShell]:
    """The body of each test module's `ip` fixture (defined there, to keep imports plain)."""
    for name in config.SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # apply's journal goes under the working directory
    unattended(monkeypatch)  # questions are answered only where a test says so
    with fresh_shell() as shell:
        assert shell.run_cell("%load_ext sinch_notebook").success
        yield MagicShell(shell)
