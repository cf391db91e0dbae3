"""plan.apply(): results, failures and re-apply, undo, safety, progress, adaptive concurrency."""

from __future__ import annotations

import json
import stat
import time

import pandas as pd
import pytest

import sinch_notebook as sn
import sinch_notebook.bulk.apply as apply_module
from sinch_notebook.bulk import AdaptiveLimit, Plan
from sinch_notebook.bulk.freshness import MAX_AGE, Freshness
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY
from tests.helpers import journal_in_tmp, journal_records  # noqa: F401 - fixture

SANDBOX = {"subprojects": 40, "seed": 11}  # the `sb` fixture's account (tests/conftest.py)


pytestmark = pytest.mark.usefixtures("journal_in_tmp")


def truth(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects()}


def mixed_plan(cl, *, renames: int = 3, deletes: int = 2, creates: int = 2) -> Plan:
    df = cl.frame()
    df["delete"] = False
    for i in range(renames):
        df.loc[i, "displayName"] = f"renamed {i}"
        df.loc[i, "label.tier"] = "platinum"
    for i in range(renames, renames + deletes):
        df.loc[i, "delete"] = True
    new = pd.DataFrame([{"displayName": f"new {i}", "label.team": f"t{i}"} for i in range(creates)])
    return cl.plan(pd.concat([df, new], ignore_index=True))


def test_apply_returns_a_result_per_change(sb: Sandbox, cl, tmp_path) -> None:
    plan = mixed_plan(cl)
    result = plan.apply(progress=False)
    assert result.ok and result.counts == {
        "ok": 7,
        "failed": 0,
        "unknown": 0,
        "conflict": 0,
        "skipped": 0,
    }
    frame = result.frame
    assert list(frame.columns) == [
        "operation",
        "subprojectId",
        "displayName",
        "status",
        "http_status",
        "error",
        "attempts",
        "note",
        "row",
    ]
    assert frame["operation"].tolist() == ["update"] * 3 + ["delete"] * 2 + ["create"] * 2
    assert (frame["status"] == "ok").all()
    assert frame["attempts"].min() >= 1
    assert frame["http_status"].isna().all() and frame["error"].isna().all()
    server = truth(sb)
    created = frame.loc[frame["operation"] == "create", "subprojectId"].tolist()
    assert [server[s]["displayName"] for s in created] == ["new 0", "new 1"]
    for sid in frame.loc[frame["operation"] == "delete", "subprojectId"]:
        assert server[sid]["deleted"]
    for sid in frame.loc[frame["operation"] == "update", "subprojectId"]:
        assert server[sid]["labels"]["tier"] == "platinum"
    # the default journal lives under the working directory
    assert result.journal_path.parent == tmp_path / ".sinch"
    assert result.journal_path.name.startswith("journal-")
    assert stat.S_IMODE(result.journal_path.stat().st_mode) == 0o600


def test_after_apply_the_frame_plans_no_change(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df.loc[0:4, "label.tier"] = "platinum"
    assert cl.plan(df).apply(progress=False, journal=False).ok
    df = df.drop(columns=["updateTime"])
    assert len(cl.plan(df)) == 0


def test_a_plan_applies_only_once(cl) -> None:
    plan = mixed_plan(cl)
    plan.apply(progress=False, journal=False)
    with pytest.raises(sn.PlanAlreadyApplied, match="already applied"):
        plan.apply(progress=False, journal=False)
    assert "Already applied" in str(plan)


def test_failures_are_reported_and_re_applied(sb: Sandbox, cl) -> None:
    plan = mixed_plan(cl, deletes=0, creates=0)
    victim = plan.changes[1].subproject_id
    sb.inject(403, method="PATCH", path_contains=victim)
    result = plan.apply(progress=False, journal=False)
    assert not result.ok
    assert result.counts == {"ok": 2, "failed": 1, "unknown": 0, "conflict": 0, "skipped": 0}
    row = result.frame.set_index("subprojectId").loc[victim]
    assert row["status"] == "failed" and row["http_status"] == 403
    assert row["error"].startswith("403") and victim in row["error"]
    retry = result.failed
    assert isinstance(retry, Plan) and len(retry) == 1
    assert retry.changes[0].subproject_id == victim
    again = retry.apply(progress=False, journal=False)
    assert again.ok
    assert truth(sb)[victim]["labels"]["tier"] == "platinum"


def test_transient_errors_are_retried_and_counted(sb: Sandbox, cl) -> None:
    plan = mixed_plan(cl, deletes=0, creates=0, renames=1)
    sb.inject(503, method="PATCH", times=2)
    result = plan.apply(progress=False, journal=False)
    assert result.ok
    assert result.frame.loc[0, "attempts"] == 3


def test_update_of_a_subproject_deleted_meanwhile_is_a_conflict(sb: Sandbox, cl) -> None:
    """Deleted after the plan was made: the last-moment check sees it, nothing is sent."""
    plan = mixed_plan(cl, renames=1, deletes=0, creates=0)
    cl.delete(plan.changes[0].subproject_id)
    sb.reset_stats()
    result = plan.apply(progress=False, journal=False)
    assert result.counts["conflict"] == 1 and not result.ok
    assert "deleted on the server since the plan" in result.frame.loc[0, "error"]
    assert sb.stats["operations"].get("update", 0) == 0


def test_delete_of_a_subproject_deleted_meanwhile_is_ok(sb: Sandbox, cl) -> None:
    plan = mixed_plan(cl, renames=0, deletes=1, creates=0)
    cl.delete(plan.changes[0].subproject_id)
    result = plan.apply(progress=False, journal=False)
    assert result.ok and result.frame.loc[0, "note"] == "was already deleted"


def test_conflicts_and_invalid_rows_show_in_the_result(sb: Sandbox, cl) -> None:
    df = cl.frame()
    cl.update(df.loc[0, "subprojectId"], display_name="colleague")
    df.loc[0, "label.tier"] = "x"
    df.loc[1, "displayName"] = ""
    df.loc[2, "label.tier"] = "platinum"
    plan = cl.plan(df)
    sb.reset_stats()
    result = plan.apply(progress=False, journal=False)
    assert sb.stats["operations"] == {"get": 1, "update": 1}  # the last-moment check
    assert result.counts == {"ok": 1, "failed": 0, "unknown": 0, "conflict": 1, "skipped": 1}
    assert not result.ok
    statuses = dict(zip(result.frame["row"], result.frame["status"], strict=True))
    assert statuses == {"2": "ok", "0": "conflict", "1": "skipped"}


def test_empty_plan_applies_to_an_ok_result_without_a_journal(cl, tmp_path) -> None:
    result = cl.plan(cl.frame()).apply(progress=False)
    assert result.ok and len(result.frame) == 0 and result.journal_path is None
    assert not (tmp_path / ".sinch").exists()


# -- safety ------------------------------------------------------------------------------------


def test_mass_delete_refused_before_any_request(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df["delete"] = df.index < 11
    plan = cl.plan(df)
    assert plan.summary()["delete"] == 11
    assert "allow_mass_delete=True" in str(plan)
    sb.reset_stats()
    with pytest.raises(sn.MassDeleteRefused) as info:
        plan.apply(progress=False)
    assert isinstance(info.value, sn.ValidationError)
    assert info.value.field == "allow_mass_delete"
    assert "allow_mass_delete=True" in str(info.value) and "11" in str(info.value)
    assert sb.stats["requests"] == 0
    assert not plan.applied
    result = plan.apply(progress=False, journal=False, allow_mass_delete=True)
    assert result.ok and sum(r["deleted"] for r in truth(sb).values()) >= 11


def test_ten_deletes_need_no_permission(cl) -> None:
    df = cl.frame()
    df["delete"] = df.index < 10
    assert cl.plan(df).apply(progress=False, journal=False).ok


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"workers": 0}, "workers"),
        ({"workers": 65}, "workers"),
        ({"workers": "8"}, "workers"),
        ({"workers": True}, "workers"),
        ({"progress": "yes"}, "progress"),
        ({"allow_mass_delete": 1}, "allow_mass_delete"),
        ({"journal": 3}, "journal"),
    ],
)
def test_bad_apply_arguments_rejected_before_any_request(sb, cl, kwargs, field) -> None:
    plan = mixed_plan(cl)
    sb.reset_stats()
    with pytest.raises(sn.ValidationError) as info:
        plan.apply(**kwargs)
    assert info.value.field == field
    assert sb.stats["requests"] == 0
    assert not plan.applied


def test_an_existing_journal_is_never_overwritten(sb: Sandbox, cl, tmp_path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"type": "plan"}\n')
    plan = mixed_plan(cl)
    sb.reset_stats()
    with pytest.raises(sn.ValidationError, match=r"already exists; continue it with sn\.resume"):
        plan.apply(progress=False, journal=path)
    assert sb.stats["requests"] == 0 and not plan.applied


def test_unwritable_journal_fails_before_any_request(sb: Sandbox, cl, tmp_path) -> None:
    (tmp_path / "dir.jsonl").mkdir()
    (tmp_path / "file").write_text("x")
    plan = mixed_plan(cl)
    sb.reset_stats()
    with pytest.raises(sn.ValidationError, match="is a directory"):
        plan.apply(progress=False, journal=tmp_path / "dir.jsonl")
    with pytest.raises(sn.JournalError, match="cannot open the journal"):
        plan.apply(progress=False, journal=tmp_path / "file" / "j.jsonl")
    assert sb.stats["requests"] == 0 and not plan.applied


# -- undo --------------------------------------------------------------------------------------


def test_undo_reverts_updates_deletes_creates_and_lists_deletes(sb: Sandbox, cl) -> None:
    before = truth(sb)
    result = mixed_plan(cl).apply(progress=False, journal=False)
    undo = result.undo()
    assert undo.summary() == {"create": 0, "update": 3, "delete": 2, "conflict": 0, "invalid": 2}
    assert all("cannot be undone" in bad.reason for bad in undo.invalid)
    assert undo.origin == "undo"
    assert undo.apply(progress=False, journal=False).counts["ok"] == 5
    after = truth(sb)
    for sid, record in before.items():
        if record["deleted"] or sid in {c.subproject_id for c in result.plan.changes[3:5]}:
            continue
        assert after[sid]["displayName"] == record["displayName"]
        assert after[sid]["labels"] == record["labels"]
    created = result.frame.loc[result.frame["operation"] == "create", "subprojectId"]
    assert all(after[sid]["deleted"] for sid in created)


def test_undo_of_something_changed_since_is_a_conflict(sb: Sandbox, cl) -> None:
    result = mixed_plan(cl, deletes=0, creates=0).apply(progress=False, journal=False)
    touched = result.plan.changes[0].subproject_id
    cl.update(touched, labels={"changed": "after"})
    undo = result.undo()
    assert [c.subproject_id for c in undo.conflicts] == [touched]
    assert len(undo) == 2
    forced = result.undo(force=True)
    assert len(forced) == 3 and forced.conflicts == []


def test_undo_skips_creates_already_gone(sb: Sandbox, cl) -> None:
    result = mixed_plan(cl, renames=0, deletes=0, creates=2).apply(progress=False, journal=False)
    cl.delete(result.frame.loc[0, "subprojectId"])
    undo = result.undo()
    assert [c.op for c in undo.changes] == ["delete"]
    assert undo.changes[0].subproject_id == result.frame.loc[1, "subprojectId"]


# -- progress ----------------------------------------------------------------------------------


def test_progress_callback_gets_done_total_and_counts(cl) -> None:
    calls: list[tuple[int, int, dict]] = []
    plan = mixed_plan(cl)
    result = plan.apply(progress=lambda d, t, c: calls.append((d, t, c)), journal=False)
    assert result.ok
    assert calls[0][0] == 0 and calls[-1][0] == len(plan)
    assert all(t == len(plan) for _, t, _ in calls)
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)
    assert set(calls[-1][2]) == {"ok", "failed", "retrying", "pending", "workers"}
    assert calls[-1][2]["ok"] == len(plan) and calls[-1][2]["pending"] == 0


def test_a_failing_progress_callback_does_not_stop_the_apply(cl, caplog) -> None:
    def broken(done, total, counts):
        raise RuntimeError("widget gone")

    result = mixed_plan(cl).apply(progress=broken, journal=False)
    assert result.ok
    assert "progress callback failed" in caplog.text


def test_progress_bar_in_a_terminal(cl, capsys) -> None:
    plan = mixed_plan(cl)
    assert plan.apply(journal=False).ok  # progress=True is the default
    err = capsys.readouterr().err
    assert "apply" in err and "ok=7" in err and "failed=0" in err and "retrying=" in err


def test_retrying_count_is_live(sb: Sandbox, cl) -> None:
    plan = mixed_plan(cl, renames=1, deletes=0, creates=0)
    sb.inject(503, method="PATCH", times=1, retry_after=1)  # retrying for a second
    seen: list[int] = []
    result = plan.apply(progress=lambda d, t, c: seen.append(c["retrying"]), journal=False)
    assert result.ok
    assert max(seen) == 1 and seen[-1] == 0


# -- adaptive concurrency ------------------------------------------------------------------------


def test_adaptive_limit_halves_on_429_and_recovers() -> None:
    limit = AdaptiveLimit(16, cooldown=60)
    assert limit.current == 16
    assert limit.throttled() and limit.current == 8
    assert not limit.throttled() and limit.current == 8  # one burst counts once
    limit.cooldown = 0
    limit.throttled()
    limit.throttled()
    limit.throttled()
    assert limit.current == 1
    limit.throttled()
    assert limit.current == 1  # never below one
    for _ in range(200):
        limit.succeeded()
    assert limit.current == 16  # back to the maximum, never above
    for _ in range(10):
        limit.succeeded()
    assert limit.current == 16


def test_apply_slows_down_on_429_and_still_finishes() -> None:
    with Sandbox(subprojects=60, seed=2, throttle_rate=0.3, retry_after=0, fault_seed=4) as sb:
        client = sb.connect(retry=sn.RetryPolicy(retries=20, base=0.01, cap=0.05), activate=False)
        df = client.frame()
        df["label.tier"] = "platinum"
        plan = client.plan(df)
        result = plan.apply(workers=8, progress=False, journal=False, allow_mass_update=True)
        assert result.ok
        assert result.concurrency["workers"] == 8
        assert result.concurrency["lowest"] < 8, "429s lowered the concurrency"
        assert result.concurrency["slowdowns"] >= 1
        assert "Slowed down" in str(result)
        assert sb.stats["responses"][429] > 0
        assert all(r["labels"]["tier"] == "platinum" for r in sb.subprojects() if not r["deleted"])


# -- creates never duplicate -------------------------------------------------------------------


@pytest.mark.parametrize("went_through", [True, False])
def test_create_of_unknown_outcome_is_looked_for_before_resending(
    sb: Sandbox, cl, went_through
) -> None:
    new = pd.DataFrame([{"displayName": "Maybe Co", "label.k": "v"}])
    plan = cl.plan(new)
    if went_through:
        sb.inject(0, method="POST", reset=True)  # created, then the connection dropped
    else:
        sb.inject(502, method="POST")  # not created, but the client cannot know
    sb.inject(500, method="GET", path_contains="/subprojects")  # and the look-up fails
    result = plan.apply(progress=False)
    assert result.counts["unknown"] == 1 and result.frame.loc[0, "status"] == "unknown"
    assert "may or may not have happened" in result.frame.loc[0, "error"]
    outcome = result.outcomes[0]
    assert outcome.unknown and outcome.since
    lines = [json.loads(x) for x in result.journal_path.read_text().splitlines()]
    assert [x["type"] for x in lines] == ["plan", "start", "unknown", "outcome", "end"]
    assert lines[3]["unknown"] is True and lines[3]["status"] == "unknown"
    retry = result.failed
    assert retry.changes[0].reconcile_since == outcome.since
    sb.reset_stats()
    again = retry.apply(progress=False)  # continues the journal
    assert again.ok
    matching = [r for r in sb.subprojects() if r["displayName"] == "Maybe Co"]
    assert len(matching) == 1, "never a duplicate"
    assert sb.stats["operations"].get("create", 0) == (0 if went_through else 1)
    if went_through:
        assert "earlier attempt" in again.frame.loc[0, "note"]


def test_progress_callbacks_are_throttled(cl, monkeypatch) -> None:
    monkeypatch.setattr(apply_module, "PROGRESS_INTERVAL", 3600.0)
    calls: list[int] = []
    plan = mixed_plan(cl)
    assert plan.apply(progress=lambda d, t, c: calls.append(d), journal=False).ok
    assert calls == [0, len(plan)], "only the first and the last within the interval"


def test_the_shared_listing_is_renewed_before_it_expires_and_never_served_stale() -> None:
    """Listing mode of the last-moment check: a little before the listing in hand is MAX_AGE
    old, the next is taken in the background while checks go on against the one in hand (the
    workers do not all wait for it); and no check is ever answered from a listing started
    more than MAX_AGE earlier."""
    with Sandbox(subprojects=30, seed=4, latency=0.05) as sb:
        client = sb.connect(retry=FAST_RETRY, activate=False)
        sid = next(r["subprojectId"] for r in sb.subprojects() if not r["deleted"])
        fresh = Freshness(client, guarded=100, project_size=30)
        assert fresh.listing
        sb.reset_stats()
        first = fresh.current(sid)
        assert sb.stats["operations"] == {"list": 1}
        # into the last stretch of the listing in hand (its age counts from its start)
        time.sleep(max(0.0, fresh._taken + MAX_AGE - fresh._took / 2 - time.monotonic()))
        assert fresh.current(sid) == first  # answered from the one in hand
        deadline = time.monotonic() + 10
        while sb.stats["operations"].get("list", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sb.stats["operations"]["list"] == 2  # the next one, taken in the background
        time.sleep(MAX_AGE + 0.1)  # nothing asked meanwhile: the listing in hand is too old
        client.update(sid, display_name="Renamed again")
        assert fresh.current(sid)["displayName"] == "Renamed again"
