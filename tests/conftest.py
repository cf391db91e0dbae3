"""Shared fixtures: a fresh sandbox per test, reached over real HTTP on 127.0.0.1.

The tests are organized by kind, one folder each, and each folder's tests carry its marker
(`-m "not kernel"` and the like): unit (pure functions, no server), integration (the client and
the sandbox over HTTP), magic (`%sinch` in an in-process IPython shell), widgets (the panel,
driven through its widgets), kernel (real Jupyter kernels, terminal IPython, the CLI, the demo
and Binder scripts: subprocesses), conformance (clients nobody here wrote, schemathesis),
benchmarks (the benchmark scripts at tiny sizes), notebooks, ui (browsers). `slow` marks what
takes more than a few seconds. The fast loop: `./scripts/test -m "not slow and not ui"`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import sinch_notebook as sn
from sinch_notebook.auth import forget_all_token_sources
from sinch_notebook.connection import active as connection
from sinch_notebook.retry import RetryPolicy
from sinch_notebook.sandbox import Sandbox
from tests.keyrings import MEMORY, MemoryKeyring

# Fast but real backoff, so fault-injection tests finish quickly.
FAST_RETRY = RetryPolicy(retries=8, base=0.01, cap=0.2, commit_grace=0.3)


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No test sees the developer's real SINCH_* (or libpq PG*) settings, saved profiles or
    keychain, and none leaks a connection."""
    for name in [n for n in os.environ if n.startswith(("SINCH_", "PG"))]:
        monkeypatch.delenv(name)  # (PG*: libpq's settings, which a history store URL takes)
    profiles_file = tmp_path_factory.mktemp("config") / "profiles.toml"
    monkeypatch.setenv("SINCH_NOTEBOOK_CONFIG", str(profiles_file))
    use_keychain(monkeypatch, MEMORY)
    yield
    connection.reset()  # no client, no named ones, no logout: a first use may connect
    # Each test's sandbox is a new server, maybe on a port an earlier one used: its tokens
    # must not meet the cached token of a server that is gone (that case has its own test).
    forget_all_token_sources()


def use_keychain(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """Choose the keychain through PYTHON_KEYRING_BACKEND, as a user (or a subprocess) would."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    MemoryKeyring.entries.clear()
    keyring.core.init_backend()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(retry_after=0) as sb:
        yield sb


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox with the account the test module's `SANDBOX` dict describes (e.g.
    `SANDBOX = {"subprojects": 40, "seed": 11}`), answering 429s without a wait."""
    options: dict[str, Any] = {"retry_after": 0, **getattr(request.module, "SANDBOX", {})}
    with Sandbox(**options) as sandbox:
        yield sandbox


@pytest.fixture
def cl(sb: Sandbox) -> sn.SubprojectsClient:
    """A client of `sb` with fast retries, not the active connection."""
    return sb.connect(retry=FAST_RETRY, activate=False)


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A real IPython InteractiveShell with the extension loaded (see magic_shell.py)."""
    from .magic_shell import magic_shell

    yield from magic_shell(monkeypatch, tmp_path)


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


# -- the history store's two engines ----------------------------------------------------------

POSTGRES_MISSING = (
    "PostgreSQL tests need the server's binaries (initdb, pg_ctl: Debian's postgresql package, "
    "which ./scripts/test installs as root); CI=true makes this a failure"
)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """One throwaway PostgreSQL server for the session (tests/pg_cluster.py); without one the
    PostgreSQL tests skip with one reason, except in CI, where they must run."""
    from .pg_cluster import Cluster, bindir

    binaries = bindir()
    if binaries is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(POSTGRES_MISSING)
        pytest.skip(POSTGRES_MISSING)
    cluster = Cluster(binaries).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def new_postgres_database(postgres_cluster: Any) -> Callable[[], str]:
    """Makes fresh, empty databases of the session's server (so snapshot ids start at 1)."""
    import psycopg

    def make() -> str:
        _DATABASES.append(len(_DATABASES) + 1)
        name = f"t{_DATABASES[-1]}"
        with psycopg.connect(postgres_cluster.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return postgres_cluster.url(name)

    return make


_DATABASES: list[int] = []


@pytest.fixture
def postgres_url(new_postgres_database: Callable[[], str]) -> str:
    """The URL of a fresh database of the session's server."""
    return new_postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def history_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a history test keeps its store, once per engine: the same tests run on both."""
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("postgres_url")


KINDS = ("unit", "integration", "magic", "widgets", "kernel", "conformance", "benchmarks")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries the marker of its folder's kind (see the module docstring)."""
    here = Path(__file__).parent
    for item in items:
        try:
            kind = Path(str(item.path)).relative_to(here).parts[0]
        except ValueError:
            continue
        if kind in KINDS:
            item.add_marker(kind)


def pytest_report_header(config: pytest.Config) -> str:
    return f"sinch-notebook {sn.__version__}; CI={os.environ.get('CI', '')}"
