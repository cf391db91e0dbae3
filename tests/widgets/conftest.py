"""Fixtures for the panel tests: panels driven through their widgets against a real sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .helpers import KEY_ID, PROJECT_ID, SECRET, connect_panel

PanelFactory = Callable[..., Panel]


@pytest.fixture
def secret_sandbox() -> Iterator[Sandbox]:
    """A seeded sandbox whose Key Secret is distinctive enough to search for."""
    with Sandbox(
        key_id=KEY_ID,
        key_secret=SECRET,
        project_id=PROJECT_ID,
        subprojects=60,
        seed=3,
        retry_after=0,
    ) as sb:
        yield sb


@pytest.fixture
def make_panel() -> Iterator[PanelFactory]:
    """Build panels (threaded, as users get them) and close them after the test."""
    made: list[Panel] = []

    def factory(**options: Any) -> Panel:
        options.setdefault("namespace", {})
        panel = Panel(**options)
        made.append(panel)
        return panel

    yield factory
    for panel in made:
        panel.close()


@pytest.fixture
def connected(make_panel: PanelFactory, secret_sandbox: Sandbox) -> Panel:
    """A panel connected through its Connect form, with Browse loaded."""
    panel = make_panel()
    connect_panel(panel, secret_sandbox)
    assert panel.browser.rows, panel.log_text()
    return panel


@pytest.fixture
def bulk_panel(
    make_panel: PanelFactory,
    secret_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Panel, dict]:
    """A connected panel over its own namespace; journals go to a temporary directory."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    panel = make_panel(namespace=namespace)
    connect_panel(panel, secret_sandbox)
    return panel, namespace
