"""Shared fixtures: a fresh sandbox per test, reached over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import sinch_notebook as sn
from sinch_notebook.auth import forget_all_token_sources
from sinch_notebook.retry import RetryPolicy
from sinch_notebook.sandbox import Sandbox

# Fast but real backoff, so fault-injection tests finish quickly.
FAST_RETRY = RetryPolicy(retries=8, base=0.01, cap=0.2, commit_grace=0.3)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's real SINCH_* settings, and none leaks an active client."""
    for name in [n for n in os.environ if n.startswith("SINCH_")]:
        monkeypatch.delenv(name)
    yield
    sn.disconnect()
    # Each test's sandbox is a new server, maybe on a port an earlier one used: its tokens
    # must not meet the cached token of a server that is gone (that case has its own test).
    forget_all_token_sources()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(retry_after=0) as sb:
        yield sb


@pytest.fixture
def seeded() -> Iterator[Sandbox]:
    with Sandbox(subprojects=250, seed=7, retry_after=0) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> sn.SubprojectsClient:
    return sandbox.connect(retry=FAST_RETRY, activate=False)


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The SINCH_* variables point at the sandbox."""
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    return sandbox


def pytest_report_header(config: pytest.Config) -> str:
    return f"sinch-notebook {sn.__version__}; CI={os.environ.get('CI', '')}"
