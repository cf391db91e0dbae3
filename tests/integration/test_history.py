"""Account history through the Python API: snapshots, one subproject's history, diffs, revert,
and the plots, against a real sandbox over HTTP."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk import MassDeleteRefused
from sinch_notebook.display import short_time
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

from .test_history_store import child_env


@pytest.fixture
def account() -> Iterator[Sandbox]:
    with Sandbox(subprojects=300, seed=5, retry_after=0) as sb:
        yield sb


@pytest.fixture
def client(account: Sandbox) -> sn.SubprojectsClient:
    return account.connect(retry=FAST_RETRY, activate=False)


@pytest.fixture
def store(history_store_url: str) -> sn.HistoryStore:
    """The test's store, once on each engine (SQLite, PostgreSQL): see tests/conftest.py."""
    return sn.open_store(history_store_url)


@pytest.fixture
def empty_store(request: pytest.FixtureRequest, store: sn.HistoryStore, tmp_path: Path) -> str:
    """Another store of the same engine, never written to."""
    if store.engine == "sqlite":
        return str(tmp_path / "empty.sqlite")
    return request.getfixturevalue("new_postgres_database")()


def live_ids(sb: Sandbox) -> list[str]:
    return [r["subprojectId"] for r in sb.subprojects() if not r["deleted"]]


def truth(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects()}


def diff_rows(d: sn.Diff) -> set[tuple]:
    return {(r.change, r.subproject_id, r.field, r.before, r.after) for r in d.rows}


class Edits:
    """Changes made through the API, and the diff rows each one must produce."""

    def __init__(self, sb: Sandbox, client: sn.SubprojectsClient) -> None:
        self.client = client
        self.server = truth(sb)
        self.expected: set[tuple] = set()
        self.created: list[str] = []
        self.deleted: list[str] = []

    def rename(self, sid: str, name: str) -> None:
        old = self.server[sid]["displayName"]
        self.server[sid] = self.client.update(sid, display_name=name).to_dict()
        self.expected.add(("renamed", sid, "displayName", old, name))

    def relabel(self, sid: str, labels: dict[str, str]) -> None:
        old = self.server[sid]["labels"]
        self.server[sid] = self.client.update(sid, labels=labels).to_dict()
        for key in old.keys() | labels.keys():
            was, now = old.get(key), labels.get(key)
            if was != now:
                kind = (
                    "label added"
                    if was is None
                    else "label removed"
                    if now is None
                    else "label changed"
                )
                self.expected.add((kind, sid, f"label.{key}", was, now))

    def create(self, name: str, labels: dict[str, str]) -> str:
        sid = self.client.create(name, labels=labels).id
        self.created.append(sid)
        self.expected.add(("created", sid, None, None, None))
        return sid

    def delete(self, sid: str) -> None:
        self.client.delete(sid)
        self.deleted.append(sid)
        self.expected.add(("deleted", sid, None, None, None))


def make_edits(sb: Sandbox, client: sn.SubprojectsClient) -> Edits:
    """Every kind of change (and one update that changes nothing) on the first live ones."""
    ids = live_ids(sb)
    edits = Edits(sb, client)
    tiered = [sid for sid in ids[2:7] if "tier" in edits.server[sid]["labels"]]
    assert len(tiered) >= 2, "the demo data has tiers on most subprojects"
    edits.rename(ids[0], "Renamed Co")
    edits.rename(ids[1], "Renamed <b>Twice</b>")
    edits.relabel(tiered[0], {**edits.server[tiered[0]]["labels"], "owner": "ana"})  # added
    labels = dict(edits.server[tiered[1]]["labels"])
    labels.pop("tier")
    edits.relabel(tiered[1], labels)  # removed
    labels = dict(edits.server[ids[7]]["labels"])
    edits.relabel(ids[7], {**labels, "tier": "platinum", "region": "mars"})  # changed
    edits.relabel(ids[8], {})  # every label removed
    edits.client.update(ids[9], labels=edits.server[ids[9]]["labels"])  # same values: no change
    edits.create("History New One", {"region": "eu-west"})
    edits.create("History New Two", {})
    edits.delete(ids[10])
    edits.rename(ids[11], "Renamed then deleted")
    edits.delete(ids[11])
    return edits


# -- snapshots ---------------------------------------------------------------------------------


def test_a_snapshot_is_the_whole_account_with_its_time(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    listed = client.frame(show_deleted=True)
    snap = sn.snapshot(client, store)
    assert (snap.id, snap.project, snap.subprojects) == (1, "demo-project", 300)
    assert snap.deleted == sum(r["deleted"] for r in account.subprojects()) > 0
    assert snap.time.tzinfo is not None
    frame = snap.frame
    pd.testing.assert_frame_equal(frame, listed)  # exactly what client.frame() gives
    assert [r["subprojectId"] for r in snap.records()] == sorted(truth(account))
    assert {r["subprojectId"]: r for r in snap.records()} == truth(account)
    assert "Snapshot 1 of project 'demo-project'" in repr(snap)
    assert repr(snap).endswith(f"({snap.deleted} deleted), the project's first snapshot")
    again = sn.snapshot(client, store)
    assert (again.previous, again.changed) == (1, 0)
    assert repr(again).endswith("0 changed since snapshot 1")
    assert "300 subprojects" in snap._repr_html_()


def test_snapshot_uses_the_active_connection(account: Sandbox, store: sn.HistoryStore) -> None:
    with pytest.raises(sn.SinchError, match="not connected"):
        sn.snapshot(store=store)
    account.connect(retry=FAST_RETRY)
    assert sn.snapshot(store=store).subprojects == 300
    with pytest.raises(sn.ValidationError, match="client: must be a SubprojectsClient"):
        sn.snapshot("demo-project", store=store)


def test_snapshots_lists_them_with_their_counts(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    assert list(sn.snapshots(store).columns) == [
        "id", "time", "project", "subprojects", "live", "deleted", "changed",
    ]  # fmt: skip
    sn.snapshot(client, store)
    make_edits(account, client)
    sn.snapshot(client, store)
    frame = sn.snapshots(store)
    assert list(frame["id"]) == [1, 2]
    assert frame["time"].is_monotonic_increasing
    assert isinstance(frame["time"].dtype, pd.DatetimeTZDtype)
    assert list(frame["subprojects"]) == [300, 302]
    assert (frame["live"] + frame["deleted"] == frame["subprojects"]).all()
    assert frame["deleted"][1] == frame["deleted"][0] + 2
    # 9 touched and 2 created, less the update that changed nothing (it moved updateTime
    # only): what the diff of the same span reports (issue 33)
    assert list(frame["changed"]) == [300, 10]
    assert len(sn.diff(1, 2, store=store).subprojects) == 10
    assert list(sn.snapshots(store, project="other")["id"]) == []


def test_snapshot_at_names_one_by_id_time_or_latest(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    first = sn.snapshot(client, store)
    second = sn.snapshot(client, store)
    assert sn.snapshot_at(store=store) == second
    assert sn.snapshot_at(1, store=store) == first
    assert sn.snapshot_at("2", store=store) == second
    assert sn.snapshot_at(first.time, store=store) == first
    assert sn.snapshot_at(second.time.isoformat(), store=store) == second
    between = first.time + (second.time - first.time) / 2
    assert sn.snapshot_at(between.isoformat(), store=store) == first
    with pytest.raises(sn.ValidationError, match="no snapshot of project 'demo-project' at or"):
        sn.snapshot_at(first.time - timedelta(days=1), store=store)
    with pytest.raises(sn.ValidationError, match="not stored"):
        sn.snapshot_at("now", store=store)


# -- one subproject over time ------------------------------------------------------------------


def test_history_has_one_row_per_version(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    sid = live_ids(account)[0]
    labels = truth(account)[sid]["labels"]
    sn.snapshot(client, store)
    sn.snapshot(client, store)  # unchanged: the same version
    client.update(sid, display_name="Second name")
    sn.snapshot(client, store)
    client.update(sid, labels={k: v for k, v in labels.items() if k != "tier"})
    sn.snapshot(client, store)
    client.delete(sid)
    sn.snapshot(client, store)
    sn.snapshot(client, store)

    frame = sn.history(sid, store=store)
    assert list(frame.columns) == [
        "first_seen", "last_seen", "displayName", "labels", "deleted", "updateTime",
        "changes", "first_snapshot", "last_snapshot",
    ]  # fmt: skip
    assert list(frame["first_snapshot"]) == [1, 3, 4, 5]
    assert list(frame["last_snapshot"]) == [2, 3, 4, 6]
    assert list(frame["displayName"])[1:] == ["Second name"] * 3
    assert frame["labels"][0] == labels and "tier" not in frame["labels"][2]
    assert list(frame["deleted"]) == [False, False, False, True]
    assert frame["changes"][0] == "first seen"
    assert frame["changes"][1].startswith("renamed from ")
    assert frame["changes"][2] == f"label.tier removed (was {labels['tier']!r})"
    assert frame["changes"][3] == "deleted"
    times = sn.snapshots(store).set_index("id")["time"]
    assert frame["first_seen"][1] == times[3] and frame["last_seen"][3] == times[6]
    # To the second, as shown everywhere: no microseconds to widen (and wrap) the table.
    assert (frame["first_seen"].dt.microsecond == 0).all()
    seen = frame[["first_seen", "last_seen"]].to_string()
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", seen) and "+00:00" in seen
    assert frame["updateTime"].is_monotonic_increasing


def test_history_of_an_unknown_or_bad_id_is_an_error(
    client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    sn.snapshot(client, store)
    with pytest.raises(sn.ValidationError, match=r"no snapshot in .* holds 'NOPE'"):
        sn.history("NOPE", store=store)
    with pytest.raises(sn.ValidationError, match="subproject_id: must be a non-empty string"):
        sn.history(7, store=store)


# -- diffs -------------------------------------------------------------------------------------


def test_a_diff_names_every_change_and_nothing_else(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    before = sn.snapshot(client, store)
    edits = make_edits(account, client)
    after = sn.snapshot(client, store)
    for d in (
        sn.diff(before, after),
        sn.diff(1, 2, store=store),
        sn.diff("1", "latest", store=store),
        sn.diff(before, "now", client=client),
    ):
        assert diff_rows(d) == edits.expected
    d = sn.diff(before, after)
    kinds = Counter(row[0] for row in edits.expected)
    assert d.summary() == {kind: kinds[kind] for kind in sn.account_history.KINDS}
    assert all(d.summary().values())  # every kind happened
    assert set(d.subprojects) == {row[1] for row in edits.expected}
    frame = d.frame
    assert list(frame.columns) == [
        "change",
        "subprojectId",
        "displayName",
        "field",
        "before",
        "after",
    ]
    assert len(frame) == len(edits.expected)
    assert (frame.dtypes == "string").all()
    renamed = frame[frame["change"] == "renamed"].set_index("subprojectId")
    assert renamed.loc[live_ids(account)[0], "after"] == "Renamed Co"
    assert sn.diff(after, after).rows == []
    assert sn.diff(before, before).summary() == dict.fromkeys(sn.account_history.KINDS, 0)


def test_a_diff_shows_as_html_in_notebooks_and_text_in_terminals(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    before = sn.snapshot(client, store)
    make_edits(account, client)
    d = sn.diff(before, sn.snapshot(client, store))
    html = d._repr_html_()
    assert "sinch-table" in html and "sinch-diff" in html  # the plan's table style
    assert "Renamed &lt;b&gt;Twice&lt;/b&gt;" in html and "<b>Twice</b>" not in html
    assert "2 created" in html and "label removed" in html
    assert "labels: region=eu-west" in html
    text = str(d)
    assert text.startswith("Diff of project 'demo-project', snapshot 1 (")
    assert "-> snapshot 2 (" in text and "2 created, 2 deleted, 3 renamed" in text
    assert "+ created" in text and "'History New One' (region=eu-west)" in text
    assert "~ renamed" in text and "displayName" in text
    assert "revert() plans the way back to snapshot 1" in text
    assert repr(d) == text
    empty = sn.diff(before, before)
    assert "no changes" in str(empty) and "Nothing changed" in empty._repr_html_()


def test_diff_references_and_their_errors(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore, empty_store: str
) -> None:
    first = sn.snapshot(client, store)
    client.update(live_ids(account)[0], display_name="Later")
    second = sn.snapshot(client, store)
    assert len(sn.diff(first.time, second.time.isoformat(), store=store)) == 1
    naive = second.time.replace(tzinfo=None)  # a time without zone is UTC
    assert sn.diff(1, naive, store=store).b == second
    assert sn.diff("latest", "now", store=store, client=client).rows == []
    requests = account.stats["requests"]
    cases = [
        ((99, 2), "a: no snapshot 99 in"),
        ((1, "yesterday-ish"), "b: must be a snapshot, a snapshot id, a time"),
        ((True, 2), "a: must be a snapshot, an id, a time or 'now'"),
        ((1, 2.5), "b: must be a snapshot, an id, a time or 'now', got float"),
        ((first.time - timedelta(hours=1), 2), "a: no snapshot of project 'demo-project' at"),
    ]
    for (a, b), message in cases:
        with pytest.raises(sn.ValidationError, match=message):
            sn.diff(a, b, store=store, client=client)
    assert account.stats["requests"] == requests  # nothing was listed for a bad reference
    with pytest.raises(sn.SinchError, match="not connected"):
        sn.diff(1, store=store)  # "now" needs a connection
    with pytest.raises(sn.ValidationError, match=r"no snapshots in .* yet"):
        sn.diff("latest", "latest", store=empty_store)


def test_a_diff_compares_one_project(account: Sandbox, store: sn.HistoryStore) -> None:
    account.add_account("k2", "s2", "second-project", subprojects=5, seed=1)
    first = account.connect(activate=False)
    second = account.connect(
        key_id="k2", key_secret="s2", project_id="second-project", activate=False
    )
    sn.snapshot(first, store)
    sn.snapshot(second, store)
    with pytest.raises(sn.ValidationError, match="a diff compares one project"):
        sn.diff(1, 2, store=store)
    with pytest.raises(sn.ValidationError, match="client: is connected to project 'second-proj"):
        sn.diff(1, "now", store=store, client=second)
    with pytest.raises(sn.ValidationError, match="holds snapshots of several projects"):
        sn.diff("latest", "latest", store=store)
    assert sn.diff("latest", "now", store=store, client=second).a.id == 2  # the client decides


def test_only_keeps_some_subprojects(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    before = sn.snapshot(client, store)
    edits = make_edits(account, client)
    d = sn.diff(before, "now", client=client)
    mine = d.only(edits.created)
    assert {r.change for r in mine.rows} == {"created"} and len(mine) == 2
    assert len(d.only(live_ids(account)[0])) == 1
    assert len(d.only([])) == 0
    with pytest.raises(sn.ValidationError, match="subprojects: must be subproject ids"):
        d.only([1, 2])


# -- the way back ------------------------------------------------------------------------------


def names_and_labels(records: list[dict]) -> dict[str, tuple]:
    return {r["subprojectId"]: (r["displayName"], r["labels"]) for r in records if not r["deleted"]}


def test_revert_restores_names_and_labels_exactly(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    padded = client.create("  Padded name ", labels={"note": " spaced value "}).id
    bare = client.create("No labels at first").id
    before = sn.snapshot(client, store)
    edits = make_edits(account, client)
    client.update(padded, display_name="Trimmed", labels={"note": "spaced value"})
    client.update(bare, labels={"given": "later"})
    after = sn.snapshot(client, store)

    plan = sn.diff(before, after, client=client).revert()
    assert isinstance(plan, sn.Plan)
    assert plan.summary() == {"create": 0, "update": 8, "delete": 2, "conflict": 0, "invalid": 2}
    assert {c.subproject_id for c in plan.changes if c.op == "delete"} == set(edits.created)
    assert {bad.subproject_id for bad in plan.invalid} == set(edits.deleted)
    assert {bad.reason for bad in plan.invalid} == {
        "a delete cannot be undone: the API has no undelete"
    }
    sent = next(c for c in plan.changes if c.subproject_id == padded)
    assert sent.send_name == "  Padded name " and sent.send_labels == {"note": " spaced value "}
    assert next(c for c in plan.changes if c.subproject_id == bare).send_labels == {}
    result = plan.apply(progress=False, journal=False)
    assert result.counts == {"ok": 10, "failed": 0, "unknown": 0, "conflict": 0, "skipped": 2}
    assert truth(account)[bare]["labels"] == {}

    back = sn.snapshot(client, store)
    restored = names_and_labels(back.records())
    original = names_and_labels(before.records())
    assert {sid: original[sid] for sid in restored} == restored  # every live one, exactly
    assert set(original) - set(restored) == set(edits.deleted)  # no undelete
    leftover = sn.diff(before, back)
    assert {(r.change, r.subproject_id) for r in leftover.rows} == {
        *(("deleted", sid) for sid in edits.deleted),
        ("renamed", edits.deleted[-1]),  # renamed, then deleted: neither can be undone
        *(("created", sid) for sid in edits.created),
        *(("deleted", sid) for sid in edits.created),
    }


def test_revert_in_a_randomised_round_trip(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    rng = random.Random(20)
    before = sn.snapshot(client, store)
    ids = live_ids(account)
    for sid in rng.sample(ids, 40):
        record = truth(account)[sid]
        labels = dict(record["labels"])
        action = rng.choice(["rename", "add", "remove", "change", "all"])
        if action == "rename":
            client.update(sid, display_name=record["displayName"] + " (moved)")
        elif action == "add":
            client.update(sid, labels={**labels, f"k{rng.randint(0, 9)}": "v"})
        elif action == "remove" and labels:
            labels.pop(rng.choice(sorted(labels)))
            client.update(sid, labels=labels)
        elif action == "change":
            client.update(sid, display_name="Both", labels={**labels, "tier": "changed"})
        else:
            client.update(sid, labels={})
    sn.diff(before, "now", client=client).revert().apply(progress=False, journal=False)
    assert names_and_labels(sn.snapshot(client, store).records()) == names_and_labels(
        before.records()
    )


def test_what_changed_after_b_is_a_conflict_not_overwritten(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    a_id, b_id, c_id = live_ids(account)[:3]
    before = sn.snapshot(client, store)
    client.update(a_id, display_name="Changed between")
    client.update(b_id, display_name="Also between")
    client.update(c_id, display_name="Deleted after")
    after = sn.snapshot(client, store)
    client.update(a_id, display_name="Changed again after b")
    client.delete(c_id)

    plan = sn.diff(before, after, client=client).revert()
    assert [c.subproject_id for c in plan.changes] == [b_id]
    assert [c.subproject_id for c in plan.conflicts] == [a_id]
    assert "changed on the server" in plan.conflicts[0].conflict
    assert [bad.subproject_id for bad in plan.invalid] == [c_id]
    assert "deleted on the server since" in plan.invalid[0].reason
    plan.apply(progress=False, journal=False)
    assert truth(account)[a_id]["displayName"] == "Changed again after b"  # not overwritten

    forced = sn.diff(before, after, client=client).revert(force=True)
    assert a_id in {c.subproject_id for c in forced.changes}
    forced.apply(progress=False, journal=False)
    assert truth(account)[a_id]["displayName"] == truth_name(before, a_id)


def truth_name(snap: sn.Snapshot, sid: str) -> str:
    return next(r["displayName"] for r in snap.records() if r["subprojectId"] == sid)


def test_a_diff_against_now_conflicts_with_what_changed_after_it(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    sid = live_ids(account)[0]
    before = sn.snapshot(client, store)
    client.update(sid, display_name="Changed")
    d = sn.diff(before, "now", client=client)
    client.update(sid, display_name="Changed after the listing")
    plan = d.revert()
    assert [c.subproject_id for c in plan.conflicts] == [sid] and not plan.changes


def test_reverting_many_creates_needs_allow_mass_delete(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    before = sn.snapshot(client, store)
    made = [client.create(f"Bulk made {n}").id for n in range(11)]
    plan = sn.diff(before, "now", client=client).revert()
    assert plan.deletes == 11
    with pytest.raises(MassDeleteRefused):
        plan.apply(progress=False, journal=False)
    assert all(not truth(account)[sid]["deleted"] for sid in made)
    plan.apply(progress=False, journal=False, allow_mass_delete=True)
    assert all(truth(account)[sid]["deleted"] for sid in made)


def test_revert_uses_the_active_connection_of_the_same_project(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    before = sn.snapshot(client, store)
    client.update(live_ids(account)[0], display_name="Moved")
    after = sn.snapshot(client, store)
    d = sn.diff(before, after)  # no client needed to compare two snapshots
    with pytest.raises(sn.SinchError, match="not connected"):
        d.revert()
    account.add_account("k2", "s2", "elsewhere")
    account.connect(key_id="k2", key_secret="s2", project_id="elsewhere")
    with pytest.raises(sn.ValidationError, match="client: is connected to project 'elsewhere'"):
        d.revert()
    account.connect(retry=FAST_RETRY)
    assert len(d.revert()) == 1


def test_nothing_to_revert_plans_nothing(
    client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    snap = sn.snapshot(client, store)
    plan = sn.diff(snap, "now", client=client).revert()
    assert len(plan) == 0 and plan.summary()["invalid"] == 0


# -- across processes --------------------------------------------------------------------------

TAKER = """
import sys
import sinch_notebook as sn
client = sn.connect(activate=False)
sn.snapshot(client, sys.argv[1])
sid = sys.argv[2]
client.update(sid, display_name="Renamed elsewhere", labels={"from": "child"})
sn.snapshot(client, sys.argv[1])
"""


def test_snapshots_taken_in_one_process_are_listed_and_diffed_in_another(
    account: Sandbox, client: sn.SubprojectsClient, history_store_url: str
) -> None:
    path = history_store_url
    sid = live_ids(account)[0]
    old = truth(account)[sid]
    subprocess.run(
        [sys.executable, "-c", TAKER, str(path), sid],
        env=child_env(account),
        check=True,
        timeout=120,
    )
    frame = sn.snapshots(store=path)
    assert list(frame["id"]) == [1, 2] and list(frame["changed"]) == [300, 1]
    d = sn.diff(1, 2, store=path)
    expected = {("renamed", sid, "displayName", old["displayName"], "Renamed elsewhere")}
    expected |= {("label removed", sid, f"label.{k}", v, None) for k, v in old["labels"].items()}
    expected.add(("label added", sid, "label.from", None, "child"))
    assert diff_rows(d) == expected
    d.client = client
    d.revert().apply(progress=False, journal=False)
    assert (truth(account)[sid]["displayName"], truth(account)[sid]["labels"]) == (
        old["displayName"],
        old["labels"],
    )


# -- plots ---------------------------------------------------------------------------------------


def test_changes_per_day_and_the_plots(
    account: Sandbox, client: sn.SubprojectsClient, store: sn.HistoryStore
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = sn.snapshot(client, store)
    make_edits(account, client)
    after = sn.snapshot(client, store)
    sn.snapshot(client, store)
    per_day = sn.changes_per_day(store)
    assert list(per_day.columns) == list(sn.account_history.KINDS)
    assert per_day.sum().to_dict() == sn.diff(before, after).summary()
    assert per_day.index.name == "day" and len(per_day) == 1  # all of it happened today

    ax = sn.plot_account_size(store)
    live, deleted = ax.get_lines()
    assert list(live.get_ydata()) == list(sn.snapshots(store)["live"])
    assert list(deleted.get_ydata()) == list(sn.snapshots(store)["deleted"])
    assert ax.get_title() == "Account size over the snapshots"
    # Snapshots by number (taken seconds apart, a time axis read "19.32 19.34"), times below.
    assert list(live.get_xdata()) == [1, 2, 3]
    times = sn.snapshots(store)["time"]
    assert ax.get_xlabel().startswith(f"snapshot ({short_time(times.iloc[0].to_pydatetime())}")
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert all(float(t).is_integer() for t in ax.get_yticks())

    bars = sn.plot_changes_per_day(store)
    assert bars.get_title() == "Changes per day by kind (UTC)"
    assert sum(p.get_height() for p in bars.patches) == len(sn.diff(before, after))
    assert [t.get_text() for t in bars.get_legend().get_texts()] == list(sn.account_history.KINDS)
    # One day: its bar stands on its own date, not spread over four days of ticks.
    bars.figure.canvas.draw()
    day = per_day.index[0].strftime("%Y-%m-%d")
    assert [t.get_text() for t in bars.get_xticklabels()] == [day]
    (tick,) = bars.get_xticks()
    for patch in bars.patches:
        assert patch.get_x() < tick < patch.get_x() + patch.get_width()
    left, right = bars.get_xlim()
    assert left < tick - 0.5 and tick + 0.5 < right
    plt.close("all")


def test_plots_say_what_to_install_without_matplotlib(
    client: sn.SubprojectsClient, store: sn.HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sn.snapshot(client, store)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="the history plots need matplotlib: pip install"):
        sn.plot_account_size(store)
    assert len(sn.changes_per_day(store)) == 0  # no matplotlib needed for the numbers


def test_plots_of_an_empty_store_are_an_error(store: sn.HistoryStore) -> None:
    with pytest.raises(sn.ValidationError, match="has no snapshots yet"):
        sn.changes_per_day(store)
