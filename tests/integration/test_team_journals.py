"""`SINCH_JOURNAL=store`: an apply's journal and a saved plan's "applied" claim in the team's
PostgreSQL history store, against a real server and a real sandbox: a saved plan applies once
for the team (wherever its file was copied), `sn.applied_plans()` / `%sinch applied` say who
applied what and when, and `sn.resume` continues an apply from another machine (process)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

from .test_history_postgres import CHILD_ENV

pytestmark = pytest.mark.postgres


@pytest.fixture
def team(postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """Journals in the team's store (this process's settings, as a notebook's would be)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SINCH_HISTORY", postgres_url)
    monkeypatch.setenv("SINCH_JOURNAL", "store")
    config.reset_settings()
    yield postgres_url
    config.reset_settings()


@pytest.fixture
def account() -> Iterator[Sandbox]:
    with Sandbox(subprojects=30, seed=4, latency=0.02, retry_after=0) as sb:
        yield sb


def platinum_plan(client: sn.SubprojectsClient, count: int = 30) -> sn.Plan:
    frame = client.frame().head(count).copy()
    frame["label.tier"] = "platinum"
    return client.plan(frame)


def test_a_saved_plan_applies_once_for_the_whole_team(
    ip: Any, team: str, account: Sandbox, tmp_path: Path
) -> None:
    client = account.connect(retry=FAST_RETRY)
    saved = platinum_plan(client, 5).save(tmp_path / "tiers.json")
    result = sn.load_plan(saved).apply(progress=False)
    assert result.ok and str(result.journal_path).startswith("store:plan-")
    assert not any(tmp_path.glob("*.jsonl")) and not (tmp_path / ".sinch").exists()

    elsewhere = tmp_path / "laptop" / "tiers.json"  # the same file, on another machine
    elsewhere.parent.mkdir()
    shutil.copy(saved, elsewhere)
    with pytest.raises(sn.PlanAlreadyApplied) as caught:
        sn.load_plan(elsewhere).apply(progress=False)
    assert "was already applied" in str(caught.value) and "finished (5 of 5 done)" in str(
        caught.value
    )

    applied = sn.applied_plans()
    assert list(applied["plan"]) == ["tiers.json"]
    row = applied.iloc[0]
    assert (row["changes"], row["ok"], row["failed"], row["pending"]) == (5, 5, 0, 0)
    assert row["project"] == account.project_id and row["applied_by"] and row["host"]
    assert row["journal"] == str(result.journal_path)
    shown = ip.ok("%sinch applied -o rows")
    assert list(ip.user_ns["rows"]["plan"]) == ["tiers.json"] and shown.value is not None


def test_an_interrupted_apply_is_resumed_from_another_machine(team: str, account: Sandbox) -> None:
    client = account.connect(retry=FAST_RETRY, activate=False)
    plan = platinum_plan(client)

    def stop_after_a_few(done: int, total: int, counts: Any) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    result = plan.apply(allow_mass_update=True, workers=2, progress=stop_after_a_few)
    assert result.interrupted and str(result.journal_path).startswith("store:journal-")
    journal = str(result.journal_path)
    done_here = result.counts["ok"]
    env = {**CHILD_ENV, **account.env(), "SINCH_HISTORY": team, "SINCH_JOURNAL": "store"}
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sinch_notebook as sn; "
            "r = sn.resume(sys.argv[1], progress=False, client=sn.connect(activate=False)); "
            "print(r.ok, r.earlier_done, len(r.outcomes))",
            journal,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.split() == ["True", str(done_here), str(30 - done_here)]
    tiers = [r["labels"].get("tier") for r in account.subprojects()[:30]]
    assert tiers == ["platinum"] * 30
    state = sn.bulk.read_journal(journal)
    assert len(state.done) == 30 and not state.pending()


def test_one_writer_per_journal_across_machines(team: str, account: Sandbox) -> None:
    from sinch_notebook.bulk.store_journal import StoreJournalWriter, new_journal_name

    name = new_journal_name()
    first = StoreJournalWriter(name)
    try:
        with pytest.raises(sn.JournalLocked, match="in use by another apply or resume"):
            StoreJournalWriter(name, append=True)
    finally:
        first.discard()
    StoreJournalWriter(name).close()  # released: free again


def test_journals_in_the_store_need_a_postgresql_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, account: Sandbox
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SINCH_JOURNAL", "store")
    config.reset_settings()
    client = account.connect(retry=FAST_RETRY, activate=False)
    with pytest.raises(sn.ValidationError, match="SINCH_JOURNAL: 'store' keeps journals in a"):
        platinum_plan(client, 2).apply(progress=False)
    monkeypatch.setenv("SINCH_JOURNAL", "somewhere")
    with pytest.raises(sn.ValidationError, match="must be 'file' or 'store'"):
        platinum_plan(client, 2).apply(progress=False)
    assert [r["labels"].get("tier") for r in account.subprojects()[:2]] != ["platinum"] * 2
