"""Issue 3's acceptance scenario at full size: 1,000 mixed changes under random faults."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox

pytestmark = pytest.mark.slow

# Few retries, so some changes really fail and have to be re-applied or resumed.
TIGHT_RETRY = sn.RetryPolicy(retries=1, base=0.01, cap=0.05)


def _edited(client: sn.SubprojectsClient) -> pd.DataFrame:
    """600 updates (renames and label edits), 100 deletes, 300 creates: 1,000 changes."""
    df = client.frame()
    assert len(df) >= 700
    df["delete"] = False
    for i in range(600):
        if i % 3 == 0:
            df.loc[i, "displayName"] = f"renamed {i}"
        else:
            df.loc[i, "label.tier"] = f"tier-{i % 7}"
            df.loc[i, "label.batch"] = "b1"
    df.loc[600:699, "delete"] = True
    new = pd.DataFrame(
        [{"displayName": f"new {i}", "label.batch": "b1", "label.n": str(i)} for i in range(300)]
    )
    return pd.concat([df, new], ignore_index=True)


def _journal_oks(path) -> Counter:
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return Counter(r["key"] for r in lines if r["type"] == "outcome" and r["status"] == "ok")


def test_1000_mixed_changes_under_faults_each_applied_exactly_once(tmp_path) -> None:
    with Sandbox(
        subprojects=800,
        seed=21,
        error_rate=0.1,
        throttle_rate=0.05,
        reset_rate=0.02,
        retry_after=0,
        fault_seed=5,
    ) as sb:
        client = sb.connect(activate=False, retry=sn.RetryPolicy(retries=8, base=0.01, cap=0.1))
        edited = _edited(client)
        before = {r["subprojectId"]: r for r in sb.subprojects()}
        plan = client.plan(edited)
        assert plan.summary() == {
            "create": 300,
            "update": 600,
            "delete": 100,
            "conflict": 0,
            "invalid": 0,
        }
        client.retry = TIGHT_RETRY
        journal = tmp_path / "journal.jsonl"

        # 1. apply, interrupted by Ctrl-C part way
        def ctrl_c_at_400(done, total, counts):
            if done >= 400:
                raise KeyboardInterrupt

        first = plan.apply(
            workers=16,
            progress=ctrl_c_at_400,
            journal=journal,
            allow_mass_delete=True,
            allow_mass_update=True,  # 600 of 729 updated on purpose
        )
        assert first.interrupted and first.counts["skipped"] > 0
        ok_runs = Counter(o.key for o in first.outcomes if o.status == "ok")

        # 2. resume from the journal (a fresh client, as after a kernel restart)
        fresh = sb.connect(activate=False, retry=TIGHT_RETRY, verify=False)  # no flaky verify
        result = sn.resume(journal, workers=16, progress=False, client=fresh)
        assert not result.interrupted
        ok_runs.update(o.key for o in result.outcomes if o.status == "ok")

        # 3. re-apply what failed until nothing does
        rounds = 0
        while not result.ok:
            rounds += 1
            assert rounds <= 10, str(result)
            assert result.counts["conflict"] == result.counts["skipped"] == 0
            result = result.failed.apply(
                workers=16,
                progress=False,
                journal=tmp_path / f"retry-{rounds}.jsonl",
                allow_mass_update=True,
            )
            ok_runs.update(o.key for o in result.outcomes if o.status == "ok")

        truth = {r["subprojectId"]: r for r in sb.subprojects()}
        stats = sb.stats

    assert rounds >= 1, "some changes failed (few retries) and were re-applied"
    keys = [c.key for c in plan.changes]
    assert sorted(ok_runs) == sorted(keys) and set(ok_runs.values()) == {1}, "each once"
    oks = _journal_oks(journal)
    for n in range(1, rounds + 1):
        oks.update(_journal_oks(tmp_path / f"retry-{n}.jsonl"))
    assert oks == ok_runs, "the journals record every change exactly once"

    # the server equals the intended state
    assert len(truth) == len(before) + 300, "no duplicate creates, none lost"
    created = [r for sid, r in truth.items() if sid not in before]
    assert sorted(r["displayName"] for r in created) == sorted(f"new {i}" for i in range(300))
    assert all(r["labels"] == {"batch": "b1", "n": r["displayName"][4:]} for r in created)
    for change in plan.changes:
        if change.op == "create":
            continue
        record = truth[change.subproject_id]
        if change.op == "delete":
            assert record["deleted"]
            continue
        assert not record["deleted"]
        assert record["displayName"] == (change.send_name or change.before_name)
        assert record["labels"] == (change.send_labels or change.before_labels)
    untouched = set(before) - {c.subproject_id for c in plan.changes}
    assert all(truth[s] == before[s] for s in untouched)

    # and the faults really happened
    assert stats["resets"] > 0 and stats["responses"].get(429, 0) > 0
    assert sum(stats["responses"].get(c, 0) for c in (502, 503, 504)) > 0
