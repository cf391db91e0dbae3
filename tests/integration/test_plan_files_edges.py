"""Saved plans at the edges (issue 25): a file's own counts are not trusted, and a journal
resumed keeps the plan's safety rules. Everything against the sandbox, over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk.journal import JournalWriter
from sinch_notebook.bulk.planfile import checksum
from sinch_notebook.sandbox import Sandbox

SANDBOX = {"subprojects": 40, "seed": 25}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def relabel(client: sn.SubprojectsClient, n: int) -> pd.DataFrame:
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out.loc[: n - 1, "label.tier"] = "fillna-accident"
    return out


def rewrite(path: Path, **changes: object) -> None:
    """Change top-level fields of a plan file and recompute its (unkeyed) checksum, as anyone
    can."""
    document = json.loads(path.read_text())
    document.update(changes)
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))


def writes(sb: Sandbox) -> int:
    ops = sb.stats["operations"]
    return sum(ops.get(name, 0) for name in ("create", "update", "delete"))


@pytest.mark.parametrize("size", [None, 10_000])
def test_the_mass_update_rule_counts_the_live_listing_not_the_file(
    sb: Sandbox, cl, size: int | None
) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    over = int(live * 0.3) + 1
    path = cl.plan(relabel(cl, over)).save("change.json")
    no_need = {"allow_mass_delete": False, "allow_mass_update": False}  # agrees with the size
    rewrite(path, server_size=size, live_size=size, needs=no_need)
    loaded = sn.load_plan(path, client=cl)
    sb.reset_stats()
    with pytest.raises(sn.MassUpdateRefused) as err:
        loaded.apply(progress=False)
    assert f"updates {over} of the project's {live} live subprojects" in str(err.value)
    assert writes(sb) == 0
    assert not Path("change.journal.jsonl").exists()
    assert sn.load_plan(path, client=cl).apply(progress=False, allow_mass_update=True).ok


def test_resume_applies_the_mass_update_rule(sb: Sandbox, cl) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    plan = cl.plan(relabel(cl, live))
    writer = JournalWriter(Path("j.jsonl"), what="a test")
    writer.plan(plan, allow_mass_delete=False)
    writer.close()
    sb.reset_stats()
    with pytest.raises(sn.MassUpdateRefused):
        sn.resume("j.jsonl", progress=False, client=cl)
    assert writes(sb) == 0
    assert sn.resume("j.jsonl", progress=False, client=cl, allow_mass_update=True).ok
    assert writes(sb) == live
