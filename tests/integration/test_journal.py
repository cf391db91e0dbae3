"""The JSONL journal and sn.resume()."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk import read_journal
from sinch_notebook.bulk.journal import JournalWriter
from sinch_notebook.models import rfc3339
from sinch_notebook.sandbox import DEMO_KEY_SECRET, Sandbox
from tests.conftest import FAST_RETRY
from tests.helpers import journal_in_tmp, journal_records  # noqa: F401 - fixture

SANDBOX = {"subprojects": 30, "seed": 12}  # the `sb` fixture's account (tests/conftest.py)


pytestmark = pytest.mark.usefixtures("journal_in_tmp")


def edited(cl) -> pd.DataFrame:
    df = cl.frame()
    df["delete"] = False
    df.loc[0:4, "label.tier"] = "platinum"
    df.loc[5, "delete"] = True
    new = pd.DataFrame([{"displayName": "Journal Co", "label.k": "v"}])
    return pd.concat([df, new], ignore_index=True)


def test_journal_records_plan_outcomes_and_end(cl, tmp_path) -> None:
    plan = cl.plan(edited(cl))
    result = plan.apply(progress=False, journal=tmp_path / "j.jsonl")
    lines = journal_records(tmp_path / "j.jsonl")
    assert lines[0]["type"] == "plan" and lines[0]["format"] == 1
    assert lines[0]["project_id"] == cl.project_id
    assert [c["key"] for c in lines[0]["changes"]] == [c.key for c in plan.changes]
    outcomes = [r for r in lines if r["type"] == "outcome"]
    assert sorted(r["key"] for r in outcomes) == sorted(c.key for c in plan.changes)
    assert all(r["status"] == "ok" for r in outcomes)
    starts = [r for r in lines if r["type"] == "start"]
    create_key = plan.changes[-1].key
    assert [r["key"] for r in starts] == [create_key]  # only creates: journaled before sending
    create_line = next(r for r in outcomes if r["key"] == create_key)
    assert create_line["subproject_id"] == result.frame.iloc[-1]["subprojectId"]
    assert lines.index(starts[0]) < lines.index(create_line)
    assert lines[-1] == {**lines[-1], "type": "end", "interrupted": False, "counts": {"ok": 7}}


def test_each_outcome_is_on_disk_as_soon_as_it_completes(cl, tmp_path) -> None:
    path = tmp_path / "j.jsonl"
    behind: list[tuple[int, int]] = []

    def check(done, total, counts):
        on_disk = sum(1 for r in journal_records(path) if r["type"] == "outcome")
        if on_disk < done:
            behind.append((on_disk, done))

    assert cl.plan(edited(cl)).apply(progress=check, journal=path, workers=2).ok
    assert behind == []


def test_journal_holds_no_secrets(sb: Sandbox, cl, tmp_path) -> None:
    result = cl.plan(edited(cl)).apply(progress=False, journal=tmp_path / "j.jsonl")
    text = result.journal_path.read_text()
    token = cl.auth.source.token()
    assert DEMO_KEY_SECRET not in text and token not in text
    assert "Bearer" not in text and "secret" not in text.lower()


def test_resume_applies_exactly_what_is_not_done(sb: Sandbox, cl, tmp_path) -> None:
    plan = cl.plan(edited(cl))

    def stop(done, total, counts):
        if done >= 3:
            raise KeyboardInterrupt

    first = plan.apply(workers=1, progress=stop, journal=tmp_path / "j.jsonl")
    assert first.interrupted and first.counts["skipped"] > 0
    state = read_journal(first.journal_path)
    assert set(state.done) == {o.key for o in first.outcomes if o.status == "ok"}
    sb.reset_stats()
    second = sn.resume(first.journal_path, progress=False, client=cl)
    assert second.ok and second.earlier_done == len(state.done)
    assert sorted(o.key for o in second.outcomes) == sorted(c.key for c in state.pending())
    ops = sb.stats["operations"]
    expected_ops = {"update": 0, "delete": 0, "create": 0}
    for change in state.pending():
        expected_ops[change.op] += 1
    for op, n in expected_ops.items():
        assert ops.get(op, 0) == n
    lines = journal_records(first.journal_path)
    assert [r["type"] for r in lines].count("resume") == 1
    assert lines[-1]["type"] == "end" and lines[-1]["interrupted"] is False
    # nothing left: resuming again sends nothing
    sb.reset_stats()
    third = sn.resume(first.journal_path, progress=False, client=cl)
    assert third.ok and len(third.outcomes) == 0 and sb.stats["requests"] == 0


def test_resume_uses_the_active_connection(sb: Sandbox, tmp_path) -> None:
    client = sb.connect(retry=FAST_RETRY)
    plan = client.plan(edited(client))
    result = plan.apply(progress=lambda d, t, c: _stop_at(d, 2), workers=1)
    assert result.interrupted
    assert sn.resume(result.journal_path, progress=False).ok


def _stop_at(done: int, at: int) -> None:
    if done >= at:
        raise KeyboardInterrupt


def _write_journal(path, client, changes, extra: list[dict] = (), allow=False) -> None:
    plan = sn.Plan(client, changes, origin="frame")
    writer = JournalWriter(path)
    writer.plan(plan, allow_mass_delete=allow)
    for record in extra:
        writer.write(record)
    writer.close()


def test_resume_reconciles_creates_that_may_have_happened(sb: Sandbox, cl, tmp_path) -> None:
    """A crash between sending a create and journaling its outcome: resume looks first."""
    since = rfc3339(cl.server_now() - timedelta(seconds=2))
    plan = cl.plan(
        pd.DataFrame(
            {"displayName": ["Made It", "Never Sent", "Made It"], "label.k": ["1", "2", "1"]}
        )
    )
    made = cl.create("Made It", {"k": "1"})  # the first create did reach the server...
    extra = [
        {"type": "start", "key": plan.changes[0].key, "since": since},
        {"type": "start", "key": plan.changes[1].key, "since": since},
    ]
    path = tmp_path / "crash.jsonl"
    _write_journal(path, cl, plan.changes, extra)
    with path.open("a") as f:
        f.write('{"type": "outcome", "key": "create:1", "sta')  # torn by the crash
    state = read_journal(path)
    assert state.unreadable == 1
    assert [c.reconcile_since for c in state.pending()] == [since, since, None]
    sb.reset_stats()
    fresh = sb.connect(retry=FAST_RETRY, activate=False)  # ...then the process died
    result = sn.resume(path, progress=False, client=fresh)
    assert result.ok
    assert result.outcomes[0].subproject_id == made.subproject_id
    assert "earlier attempt" in result.outcomes[0].note
    assert sb.stats["operations"]["create"] == 2, "Never Sent and the second Made It"
    names = sorted(r["displayName"] for r in sb.subprojects() if r["displayName"] != "Made It")
    assert "Never Sent" in names
    assert sum(r["displayName"] == "Made It" for r in sb.subprojects()) == 2


def test_resume_does_not_claim_subprojects_the_journal_already_created(
    sb: Sandbox, cl, tmp_path
) -> None:
    since = rfc3339(cl.server_now() - timedelta(seconds=2))
    plan = cl.plan(pd.DataFrame({"displayName": ["Twin", "Twin"]}))
    first = cl.create("Twin", {})
    extra = [
        {"type": "start", "key": "create:0", "since": since},
        {"type": "outcome", "key": "create:0", "status": "ok", "subproject_id": first.id},
        {"type": "start", "key": "create:1", "since": since},
    ]
    path = tmp_path / "twins.jsonl"
    _write_journal(path, cl, plan.changes, extra)
    fresh = sb.connect(retry=FAST_RETRY, activate=False)  # a new process knows nothing else
    result = sn.resume(path, progress=False, client=fresh)
    assert result.ok and result.outcomes[0].note is None, "sent, not matched to the twin"
    assert sum(r["displayName"] == "Twin" for r in sb.subprojects()) == 2


def test_resume_refuses_another_project(sb: Sandbox, cl, tmp_path) -> None:
    sb.add_account("other-key", "other-secret-123", "other-project")
    other = sb.connect(
        key_id="other-key",
        key_secret="other-secret-123",
        project_id="other-project",
        activate=False,
    )
    result = cl.plan(edited(cl)).apply(progress=lambda d, t, c: _stop_at(d, 1), workers=1)
    sb.reset_stats()
    with pytest.raises(sn.ValidationError, match="written for project 'demo-project'"):
        sn.resume(result.journal_path, progress=False, client=other)
    assert sb.stats["requests"] == 0


@pytest.mark.parametrize(
    ("content", "match"),
    [(None, "no such file"), ("", "not a sinch-notebook journal"), ("{}\n", "not a sinch")],
)
def test_resume_of_something_that_is_not_a_journal(cl, tmp_path, content, match) -> None:
    path = tmp_path / "x.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(sn.ValidationError, match=match) as info:
        sn.resume(path, client=cl)
    assert info.value.field == "journal_path"


def test_resume_honours_the_original_mass_delete_permission(sb: Sandbox, cl, tmp_path) -> None:
    df = cl.frame()
    df["delete"] = df.index < 12
    plan = cl.plan(df)
    path = tmp_path / "mass.jsonl"
    _write_journal(path, cl, plan.changes, allow=False)
    with pytest.raises(sn.MassDeleteRefused):
        sn.resume(path, progress=False, client=cl)
    path2 = tmp_path / "mass2.jsonl"
    _write_journal(path2, cl, plan.changes, allow=True)
    assert sn.resume(path2, progress=False, client=cl).ok


def test_failed_outcomes_are_retried_by_resume(sb: Sandbox, cl, tmp_path) -> None:
    plan = cl.plan(edited(cl))
    victim = plan.changes[0].subproject_id
    sb.inject(403, method="PATCH", path_contains=victim)
    first = plan.apply(progress=False, journal=tmp_path / "j.jsonl")
    assert first.counts["failed"] == 1
    sb.reset_stats()
    again = sn.resume(first.journal_path, progress=False, client=cl)
    assert again.ok and [o.change.subproject_id for o in again.outcomes] == [victim]
    assert sb.stats["operations"] == {
        "get": 1,
        "update": 1,
    }  # the last-moment check, then the update
