"""The account as code in Python, against the sandbox: `sn.dump`, `sn.desired(path).diff()` and
`.sync()` on the bulk engine (its plan, guards, journal and exactly-once creates)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

import sinch_notebook as sn
from sinch_notebook.account_history import store as store_module
from sinch_notebook.desired_state.dumper import dump_text
from sinch_notebook.sandbox import Sandbox
from tests.helpers import journal_in_tmp  # noqa: F401  (a fixture)

SANDBOX = {"subprojects": 30, "seed": 4}
pytestmark = pytest.mark.usefixtures("journal_in_tmp")  # journals and the store under tmp_path


def live(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects() if not r["deleted"]}


def dumped(cl: sn.SubprojectsClient, tmp_path: Path) -> Path:
    path = tmp_path / "subprojects.yaml"
    sn.dump(path, cl)
    return path


def test_dump_lists_the_live_subprojects_sorted_by_name_then_id(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    twin = cl.create("Aaa twin", {"n": "1"})
    other = cl.create("Aaa twin", {"n": "2"})
    gone = cl.create("Gone", {})
    cl.delete(gone.id)
    text = sn.dump(client=cl)
    state = sn.desired(dumped(cl, tmp_path)).state
    assert (tmp_path / "subprojects.yaml").read_text() == text
    expected = sorted(live(sb).values(), key=lambda r: (r["displayName"], r["subprojectId"]))
    assert [e.id for e in state.entries] == [r["subprojectId"] for r in expected]
    assert gone.id not in text
    assert [e.id for e in state.entries[:2]] == sorted([twin.id, other.id])
    assert state.project == cl.project_id


def test_a_dump_then_a_diff_plans_nothing(cl: sn.SubprojectsClient, tmp_path: Path) -> None:
    cl.create("yes", {"null": "0123", "a: b": "# not a comment", " lead": "ü ✓"})
    cl.create("  spaced  ", {})
    d = sn.desired(dumped(cl, tmp_path)).diff(cl)
    assert d.in_sync and d.exit_code == 0 and not len(d.plan) and not d.plan.invalid
    assert d.summary_line == "32 managed, 0 differ, 0 unmanaged, 0 missing, coverage 100%"
    assert str(d).splitlines()[0] == d.summary_line


def test_diff_plans_the_edits_of_the_file_and_names_what_it_leaves_alone(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    records = sorted(live(sb).values(), key=lambda r: (r["displayName"], r["subprojectId"]))
    first, second, third, *rest = records
    cl.delete(third["subprojectId"])  # the file still lists it: missing
    text = dump_text(cl.project_id, [{**first, "displayName": "Renamed"}, second, third])
    text += "  - name: Globex US\n    key: {customer-id: C-1002}\n    labels: {tier: silver}\n"
    path = tmp_path / "subprojects.yaml"
    path.write_text(text)
    d = sn.desired(path).diff(cl)
    assert d.summary_line == (
        "2 managed, 1 differ, 27 unmanaged, 1 missing, coverage 7%"
    )  # 2 of the 29 live
    assert d.exit_code == 2 and not d.in_sync
    ops = sorted((c.op, c.subproject_id, c.display_name) for c in d.plan.changes)
    assert ops == [("create", None, "Globex US"), ("update", first["subprojectId"], "Renamed")]
    create = next(c for c in d.plan.changes if c.op == "create")
    assert create.send_labels == {"tier": "silver", "customer-id": "C-1002"}
    (missing,) = d.plan.invalid
    assert missing.subproject_id == third["subprojectId"] and "is deleted" in missing.reason
    assert {r["subprojectId"] for r in d.unmanaged} == {r["subprojectId"] for r in rest}
    assert all(live(sb)[r["subprojectId"]] for r in rest)  # reported, never touched
    markdown = d.to_markdown()
    assert markdown.startswith(f"**{d.summary_line}**") and "| + create |" in markdown


def test_sync_changes_nothing_without_doit_and_applies_with_it(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    path = dumped(cl, tmp_path)
    path.write_text(
        path.read_text() + "  - name: New one\n    key: {customer-id: C-9}\n    labels: {}\n"
    )
    before = sb.stats["operations"]
    shown = sn.desired(path).sync(client=cl)
    assert shown.result is None and shown.snapshot is None and "Nothing was changed" in str(shown)
    assert sb.stats["operations"].get("create", 0) == before.get("create", 0)
    done = sn.desired(path).sync(True, cl, progress=False)
    assert done.ok and done.result is not None and done.result.counts["ok"] == 1
    assert done.snapshot is not None and done.snapshot.id == 1
    assert sn.open_store().snapshot_infos()[-1].tag == "sync"
    assert [r for r in live(sb).values() if r["labels"].get("customer-id") == "C-9"]
    # run again (as after a crash): the key finds it, nothing is created twice
    again = sn.desired(path).sync(True, cl, progress=False)
    assert again.result is None and again.diff.in_sync
    assert len([r for r in live(sb).values() if r["displayName"] == "New one"]) == 1


def test_a_create_whose_key_matches_several_is_not_planned(
    cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    cl.create("One", {"customer-id": "C-5"})
    cl.create("Two", {"customer-id": "C-5"})
    path = tmp_path / "s.yaml"
    path.write_text(
        f"project: {cl.project_id}\nsubprojects:\n  - name: X\n    key: {{customer-id: C-5}}\n"
    )
    d = sn.desired(path).diff(cl)
    (bad,) = d.plan.invalid
    assert "matches 2 subprojects" in bad.reason and "give its id" in bad.reason
    assert not len(d.plan)


def test_ownership_managed_by_and_takeover(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    mine = cl.create("Mine", {"managed-by": "analytics"})
    theirs = cl.create("Theirs", {"managed-by": "billing"})
    nobody = cl.create("Nobody's", {})
    path = tmp_path / "s.yaml"
    path.write_text(
        f"project: {cl.project_id}\nmanaged_by: analytics\nsubprojects:\n"
        f"  - {{id: {mine.id}, name: Mine 2}}\n"
        f"  - {{id: {theirs.id}, name: Theirs 2}}\n"
        f"  - {{id: {nobody.id}, labels: {{}}}}\n"
        "  - {name: Fresh, key: {customer-id: C-1}}\n"
    )
    d = sn.desired(path).diff(cl)
    (refused,) = d.plan.invalid
    assert refused.subproject_id == theirs.id and "managed by 'billing'" in refused.reason
    by_id = {c.subproject_id: c for c in d.plan.changes}
    assert by_id[mine.id].send_name == "Mine 2"
    assert by_id[nobody.id].send_labels == {"managed-by": "analytics"}  # claimed
    assert by_id[None].send_labels == {"customer-id": "C-1", "managed-by": "analytics"}
    taken = sn.desired(path).diff(cl, takeover=True)
    assert not taken.plan.invalid
    assert {c.subproject_id: c for c in taken.plan.changes}[theirs.id].send_labels == {
        "managed-by": "analytics"
    }
    sn.desired(path).sync(True, cl, takeover=True, progress=False)
    assert live(sb)[theirs.id]["labels"] == {"managed-by": "analytics"}


def test_unmanaged_delete_goes_through_the_mass_delete_rule(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    keep = next(iter(live(sb)))
    path = tmp_path / "s.yaml"
    path.write_text(f"project: {cl.project_id}\nunmanaged: delete\nsubprojects:\n  - id: {keep}\n")
    d = sn.desired(path).diff(cl)
    assert d.plan.deletes == 29
    with pytest.raises(sn.MassDeleteRefused):
        sn.desired(path).sync(True, cl, progress=False)
    assert len(live(sb)) == 30  # nothing was sent
    done = sn.desired(path).sync(True, cl, allow_mass_delete=True, progress=False)
    assert done.ok and list(live(sb)) == [keep]


def test_with_managed_by_only_its_own_unlisted_are_deleted(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    ours = cl.create("Ours, dropped from the file", {"managed-by": "team"})
    path = tmp_path / "s.yaml"
    path.write_text(f"project: {cl.project_id}\nmanaged_by: team\nunmanaged: delete\n")
    d = sn.desired(path).diff(cl)
    assert [(c.op, c.subproject_id) for c in d.plan.changes] == [("delete", ours.id)]
    assert len(d.unmanaged) == 31


def test_a_file_of_another_project_is_refused_before_anything_is_sent(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("# theirs\nproject: someone-else\nsubprojects: []\n")
    sb.reset_stats()
    for attempt in (lambda: sn.desired(path).diff(cl), lambda: sn.dump(path, cl, update=True)):
        with pytest.raises(sn.DesiredFileError) as caught:
            attempt()
        message = str(caught.value)
        assert message.startswith(f"{path}: line 2: describes project someone-else")
        assert cl.project_id in message
    assert sb.stats["requests"] == 0


def test_a_broken_file_sends_nothing(sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"project: {cl.project_id}\nsubprojects:\n  - id: A\n    lables: {{}}\n")
    sb.reset_stats()
    with pytest.raises(sn.DesiredFileError, match=r"line 4: .*did you mean labels"):
        sn.desired(path).sync(True, cl)
    assert sb.stats["requests"] == 0


def test_drift_shows_what_changed_on_the_server_since_the_last_sync(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    path = dumped(cl, tmp_path)
    assert sn.desired(path).diff(cl).drift is None  # no sync recorded yet
    sn.desired(path).sync(True, cl, progress=False)
    assert len(sn.desired(path).diff(cl).drift) == 0
    sid = sorted(live(sb))[0]
    cl.edit(sid, set_labels={"tier": "changed-by-someone"})
    d = sn.desired(path).diff(cl)
    assert [(r.change, r.subproject_id, r.after) for r in d.drift.rows] == [
        ("label changed", sid, "changed-by-someone")
    ]
    assert "Changed outside since the last sync (snapshot 1" in str(d)
    assert "changed-by-someone" in d.to_markdown() and "changed-by-someone" in d._repr_html_()
    assert [c.subproject_id for c in d.plan.changes] == [sid]  # the sync would put it back


def test_dump_update_keeps_comments_and_order(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    a, b = sorted(live(sb))[:2]
    path = tmp_path / "s.yaml"
    path.write_text(
        "# Our subprojects, reviewed in git\n"
        f"project: {cl.project_id}\n"
        "subprojects:\n"
        f"  - id: {b}   # this one first, on purpose\n"
        "    name: stale name\n"
        "    labels: {zeta: z, tier: old}   # kept in this order\n"
        f"  - id: {a}\n"
        "    name: whatever\n"
        "  - id: 01GONEGONEGONEGONEGONEGONE\n"
        "    name: not in the account\n"
    )
    cl.update(b, labels={"zeta": "z", "tier": "new", "added": "yes"})
    sn.dump(path, cl, update=True)
    text = path.read_text()
    assert text.startswith("# Our subprojects, reviewed in git\n")
    assert "# this one first, on purpose" in text and "# kept in this order" in text
    assert text.index(b) < text.index(a) and "01GONE" not in text
    assert '{zeta: z, tier: new, added: "yes"}' in text
    d = sn.desired(path).diff(cl)
    assert d.in_sync and d.summary()["managed"] == 30


def test_a_saved_diff_is_a_plan_file_apply_checks(
    sb: Sandbox, cl: sn.SubprojectsClient, tmp_path: Path
) -> None:
    sid = sorted(live(sb))[0]
    path = tmp_path / "s.yaml"
    path.write_text(f"project: {cl.project_id}\nunmanaged: ignore\nsubprojects:\n"
                    f"  - {{id: {sid}, name: From the file}}\n")  # fmt: skip
    saved = sn.desired(path).diff(cl).save(tmp_path / "change.json")
    plan = sn.load_plan(saved, client=cl)
    assert plan.origin == "desired" and len(plan) == 1
    cl.update(sid, display_name="Moved meanwhile")
    with pytest.raises(sn.StalePlan):
        plan.apply(progress=False)
    assert live(sb)[sid]["displayName"] == "Moved meanwhile"


def test_a_schema_2_store_is_upgraded_and_its_snapshots_have_no_tag(tmp_path: Path) -> None:
    store = sn.open_store(tmp_path / "h.sqlite")
    store.add_snapshot("p", [{"subprojectId": "A", "displayName": "a"}], datetime.now(timezone.utc))
    raw = sqlite3.connect(store.path)
    raw.execute("ALTER TABLE snapshots DROP COLUMN tag")  # as schema 2 made it
    raw.execute("PRAGMA user_version = 2")
    raw.commit()
    raw.close()
    new = store.add_snapshot(
        "p", [{"subprojectId": "A", "displayName": "b"}], datetime.now(timezone.utc), "u", "sync"
    )
    assert [i.tag for i in store.snapshot_infos()] == [None, "sync"]
    assert store.latest_tagged("p", "sync", "u") == new
    assert store.latest_tagged("p", "sync", "elsewhere") is None
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION == 3
    raw.close()
