"""Small helpers shared by several test modules."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import sinch_notebook.bulk.apply as apply_module
from sinch_notebook.connection import profiles as profile_store
from sinch_notebook.sandbox import Sandbox


def refuses_connections(url: str, within: float = 15.0) -> bool:
    """True once nothing listens at `url`'s host and port any more (a server has stopped)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=1):
                pass
        except OSError:
            return True
        time.sleep(0.1)
    return False


def journal_records(path: Path) -> list[dict]:
    """Every line of an apply journal, parsed."""
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


@pytest.fixture
def journal_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default journals land in the test's own directory; progress reports every change."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(apply_module, "PROGRESS_INTERVAL", 0.0)


def save_sandbox_profile(sandbox: Sandbox, name: str = "prod", secret: str | None = None) -> None:
    """A saved profile of `sandbox`'s account (its URLs, Key ID and project); its Key Secret
    goes to the test's keychain only when `secret` is given."""
    profile_store.save(
        name,
        key_id=sandbox.key_id,
        project_id=sandbox.project_id,
        key_secret=secret,
        api_url=sandbox.url,
        auth_url=sandbox.token_url,
    )
