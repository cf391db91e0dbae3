"""`sinch-notebook check POLICY` and `sinch-notebook apply --allow-protected`, run as real
subprocesses against a sandbox (issue 29): exit 0 clean, 2 violations (--exit-code), 1 error."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.kernel.test_cli_plans import cli

POLICY = "required: [tier]\nallowed:\n  tier: [gold, silver]\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(retry_after=0) as sandbox:
        yield sandbox


def test_check_exit_codes_and_forms(sb: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    client = sb.connect(retry=FAST_RETRY, activate=False)
    client.create("Fine", {"tier": "gold"})
    clean = cli(sb, "check", "policy.yaml", "--exit-code", cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert (
        clean.stdout
        == "Checked 1 subproject against policy.yaml: all comply. Coverage: tier 100%.\n"
    )

    odd = client.create("=Odd", {"tier": "lead"})
    found = cli(sb, "check", "policy.yaml", cwd=tmp_path)
    assert found.returncode == 0  # without --exit-code, a report is a success
    assert "1 violate it (1 violation)" in found.stdout and "lead" in found.stdout
    strict = cli(sb, "check", "policy.yaml", "--exit-code", "--csv", cwd=tmp_path)
    assert strict.returncode == 2
    rows = list(csv.reader(io.StringIO(strict.stdout)))
    assert rows == [
        ["subprojectId", "displayName", "rule", "key", "value"],
        [odd.id, "'=Odd", "allowed", "tier", "lead"],  # neutralized for spreadsheets
    ]
    markdown = cli(sb, "check", "policy.yaml", "--markdown", cwd=tmp_path)
    assert f"| {odd.id} | =Odd | allowed | tier | lead |" in markdown.stdout

    (tmp_path / "bad.yaml").write_text("required: [tier]\nowners: [a]\n")
    bad = cli(sb, "check", "bad.yaml", "--exit-code", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stdout == ""
    assert "bad.yaml, line 2: unknown key 'owners'" in bad.stderr


def test_apply_refuses_a_protected_delete_unless_allowed(sb: Sandbox, tmp_path: Path) -> None:
    client = sb.connect(retry=FAST_RETRY, activate=False)
    sp = client.create("Crown Jewels", {"protected": "true"})
    df = client.frame()
    df["delete"] = True
    client.plan(df).save(tmp_path / "change.json")
    shown = cli(sb, "apply", "change.json", "--yes", "--no-progress", cwd=tmp_path)
    assert "# refused" in shown.stdout and "Nothing to apply." in shown.stdout
    assert "sinch-notebook apply change.json --allow-protected sends them anyway" in shown.stdout
    assert not client.get(sp.id).deleted
    applied = cli(
        sb, "apply", "change.json", "--yes", "--no-progress", "--allow-protected", cwd=tmp_path
    )
    assert applied.returncode == 0, applied.stderr
    assert "allowed although protected (allow_protected)" in applied.stdout
    assert client.get(sp.id).deleted
    journal = (tmp_path / "change.journal.jsonl").read_text()
    assert '"overrides":["protected"]' in journal
