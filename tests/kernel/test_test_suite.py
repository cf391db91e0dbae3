"""The test suite's own promises: plain `pytest` on a machine without Chromium skips the browser
tests with one clear reason, while CI (`CI=true`) fails without it instead of passing quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ui import conftest as ui_conftest

ROOT = Path(__file__).resolve().parents[2]


def test_without_chromium_plain_pytest_skips_the_browser_tests_with_one_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(
        SN_TEST_CHROMIUM=str(ROOT / "no-such-chromium"),
        PATH=str(Path(sys.executable).parent),
        PYTHONPATH=str(ROOT),
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/ui", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "failed" not in out and "error" not in out.lower().split("skipped")[-1], out
    reasons = {line.split(": ", 1)[-1] for line in out.splitlines() if line.startswith("SKIPPED")}
    assert len(reasons) == 1, out
    assert "no Chromium at" in reasons.pop()


class _Item:
    """What the collection hook reads of a test item: where it is, and its markers."""

    def __init__(self, path: Path) -> None:
        self.fspath = path
        self.markers: list[Any] = []

    def add_marker(self, marker: Any) -> None:
        self.markers.append(marker)


def test_on_ci_a_missing_chromium_is_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ui_conftest, "CHROMIUM", str(ROOT / "no-such-chromium"))
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    item = _Item(ROOT / "tests" / "ui" / "test_panel_ui.py")
    monkeypatch.setenv("CI", "true")
    ui_conftest.pytest_collection_modifyitems([item])  # type: ignore[list-item]
    assert [m.name for m in item.markers] == ["ui"]  # not skipped: the browser fixture fails
    monkeypatch.delenv("CI")
    item = _Item(ROOT / "tests" / "ui" / "test_panel_ui.py")
    ui_conftest.pytest_collection_modifyitems([item])  # type: ignore[list-item]
    assert [m.name for m in item.markers] == ["ui", "skip"]
