"""The example notebooks against "your account": SINCH_* set, an account that is not the demo.

A sandbox in this process plays the user's real project (its own key, secret, project and
data). Each notebook must run top to bottom unchanged against it, leave every subproject that
was there before exactly as it was, delete whatever it created, and never show the secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sinch_notebook.sandbox import Sandbox

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
SECRET = "account-mode-S3cret-that-must-not-show"

pytestmark = pytest.mark.slow


@pytest.fixture(params=[60, 0], ids=["60-subprojects", "empty"])
def account(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The user's project: one with its own data, and a brand-new empty one."""
    with Sandbox(
        key_id="customer-key",
        key_secret=SECRET,
        project_id="customer-project",
        subprojects=request.param,
        seed=11,
    ) as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        yield sb


def run(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return notebook


def by_id(records: list[dict]) -> dict[str, dict]:
    return {record["subprojectId"]: record for record in records}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_unchanged_touching_only_what_it_created(account: Sandbox, path: Path) -> None:
    files = {p.name for p in path.parent.iterdir() if p.name != "__pycache__"}
    before = by_id(account.subprojects())
    notebook = run(path)
    after = by_id(account.subprojects())
    left_files = {p.name for p in path.parent.iterdir() if p.name != "__pycache__"} - files
    assert not left_files, f"{path.name} left files next to the notebooks: {left_files}"

    for sid, record in before.items():
        assert after[sid] == record, f"{path.name} changed {record['displayName']!r}"
    created = [record for sid, record in after.items() if sid not in before]
    left = [record["displayName"] for record in created if not record["deleted"]]
    assert not left, f"{path.name} left behind {left}"
    assert SECRET not in json.dumps(notebook), f"{path.name} shows the Key Secret"
