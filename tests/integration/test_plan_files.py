"""Plans that travel (issue 20): save, load, review, refused when stale, applied once; and the
proportional mass-update rule. Everything against the sandbox, over real HTTP."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk import Plan
from sinch_notebook.bulk.planfile import VERSION, checksum
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

SECRET = "plan-file-s3cr3t-Never-Written"
SANDBOX = {"subprojects": 20, "seed": 3, "key_secret": SECRET}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def edited(client: sn.SubprojectsClient) -> pd.DataFrame:
    """A rename, a label removed, a label set, a delete and a create (5 changes, 3 updates)."""
    df = client.frame()
    live = df[~df["deleted"]].reset_index(drop=True)
    out = live.copy()
    out.loc[0, "displayName"] = "Renamed | with a pipe"
    out.loc[1, "label.tier"] = None
    out.loc[2, "label.region"] = "eu-central"
    out["delete"] = False
    out.loc[3, "delete"] = True
    new = pd.DataFrame([{"displayName": "Fresh Co", "label.tier": "gold", "delete": False}])
    return pd.concat([out, new], ignore_index=True)


def state(sb: Sandbox) -> list[tuple]:
    """The account as name, labels and deleted flag (ids of creates differ between runs)."""
    rows = [
        (r["displayName"], tuple(sorted(r.get("labels", {}).items())), r["deleted"])
        for r in sb.subprojects()
    ]
    return sorted(rows)


def test_round_trip_reviews_exactly_like_the_original(cl) -> None:
    plan = cl.plan(edited(cl))
    path = plan.save("change.json")
    loaded = sn.load_plan(path, client=cl)
    assert isinstance(loaded, Plan) and loaded.loaded
    assert str(loaded) == str(plan)
    assert loaded._repr_html_() == plan._repr_html_()
    assert (
        loaded.summary()
        == plan.summary()
        == {
            "create": 1,
            "update": 3,
            "delete": 1,
            "conflict": 0,
            "invalid": 0,
        }
    )
    pd.testing.assert_frame_equal(loaded.frame, plan.frame)
    assert loaded.to_markdown().splitlines()[4:] == plan.to_markdown().splitlines()[4:]
    assert loaded.changes == plan.changes
    assert loaded.to_json() == Path(path).read_text()  # the same file, byte for byte
    doc = json.loads(Path(path).read_text())
    assert doc["format"] == "sinch-notebook plan" and doc["version"] == VERSION
    assert doc["project_id"] == cl.project_id and doc["api_url"] == cl.endpoints.api_url
    assert doc["made_at"] and doc["checksum"] == checksum(doc)
    update = next(c for c in doc["changes"] if c["op"] == "update")
    assert update["base_update_time"] and update["before"]["labels"] is not None
    assert "fields" not in update and "send_name" not in update  # one representation
    create = next(c for c in doc["changes"] if c["op"] == "create")
    assert create["name"] == "Fresh Co" and create["labels"] == {"tier": "gold"}


def test_invalid_rows_and_conflicts_travel_with_their_reasons(sb: Sandbox, cl) -> None:
    df = cl.frame()
    out = df.copy()
    sid = out.loc[0, "subprojectId"]
    out.loc[0, "displayName"] = "Mine"
    out.loc[1, "displayName"] = "x" * 300
    sb.connect(activate=False).update(sid, display_name="Theirs")  # after the frame was read
    plan = cl.plan(out)
    assert plan.summary()["conflict"] == 1 and plan.summary()["invalid"] == 1
    loaded = sn.load_plan(plan.save("change.json"), client=cl)
    assert str(loaded) == str(plan)
    assert loaded.invalid[0].reason == plan.invalid[0].reason
    assert loaded.conflicts[0].conflict == plan.conflicts[0].conflict


def test_applying_a_loaded_plan_does_what_the_original_does(tmp_path: Path) -> None:
    with Sandbox(subprojects=20, seed=3, retry_after=0) as first:
        port = first.port
        client = first.connect(retry=FAST_RETRY, activate=False)
        frame = edited(client)
        client.plan(frame).save(tmp_path / "change.json")
        original = client.plan(frame).apply(progress=False, journal=False)
        expected = state(first)
    # another Key ID: the first sandbox's cached token means nothing to the second
    with Sandbox(port=port, subprojects=20, seed=3, retry_after=0, key_id="owner") as second:
        client = second.connect(retry=FAST_RETRY, activate=False)
        loaded = sn.load_plan(tmp_path / "change.json", client=client)
        result = loaded.apply(progress=False)
        assert state(second) == expected
    assert result.ok and original.ok
    assert [(o.key, o.status) for o in result.outcomes] == [
        (o.key, o.status) for o in original.outcomes
    ]
    assert result.journal_path == tmp_path / "change.journal.jsonl"


def test_a_hand_edited_file_is_refused_with_the_file_and_reason(cl) -> None:
    path = cl.plan(edited(cl)).save("change.json")
    doc = json.loads(path.read_text())
    doc["changes"][0]["name"] = "Something else"
    path.write_text(json.dumps(doc))
    with pytest.raises(sn.PlanFileRefused) as err:
        sn.load_plan(path, client=cl)
    assert "change.json" in str(err.value) and "checksum does not match" in str(err.value)


def test_a_newer_format_and_files_that_are_not_plans_are_refused(cl) -> None:
    path = cl.plan(edited(cl)).save("change.json")
    doc = json.loads(path.read_text())
    doc["version"] = VERSION + 1
    doc["checksum"] = checksum(doc)
    Path("newer.json").write_text(json.dumps(doc))
    with pytest.raises(sn.PlanFileRefused, match=rf"newer.json: .*version {VERSION + 1}, newer"):
        sn.load_plan("newer.json")
    Path("other.json").write_text(json.dumps({"subprojects": []}))
    Path("text.json").write_text("not json at all")
    for name in ("other.json", "text.json", "missing.json"):
        with pytest.raises(sn.PlanFileRefused, match=rf"{name}: (not a plan file|no such file)"):
            sn.load_plan(name)


def test_another_project_or_api_url_is_refused_naming_both(cl) -> None:
    path = cl.plan(edited(cl)).save("change.json")
    with Sandbox(project_id="other-project") as other:
        elsewhere = other.connect(activate=False)
        with pytest.raises(sn.PlanFileRefused) as err:
            sn.load_plan(path, client=elsewhere)
    message = str(err.value)
    assert "'demo-project'" in message and "'other-project'" in message
    assert cl.endpoints.api_url in message and other.url in message


def test_a_colleagues_change_makes_the_plan_stale_and_nothing_is_sent(sb: Sandbox, cl) -> None:
    plan = cl.plan(edited(cl))
    path = plan.save("change.json")
    target = next(c for c in plan.changes if c.op == "update")
    sb.connect(activate=False).update(target.subproject_id, display_name="A colleague's name")
    loaded = sn.load_plan(path, client=cl)
    before = state(sb)
    sb.reset_stats()
    with pytest.raises(sn.StalePlan) as err:
        loaded.apply(progress=False)
    assert set(sb.stats["operations"]) == {"list"}  # only the re-check's listing
    assert state(sb) == before
    assert not Path("change.journal.jsonl").exists()
    message = str(err.value)
    assert target.subproject_id in message and "A colleague's name" in message
    assert "updateTime" in message and "replan()" in message
    assert [c.key for c, _ in err.value.moved] == [target.key]
    fresh = loaded.replan()
    assert fresh.summary() == plan.summary()
    renamed = next(c for c in fresh.changes if c.subproject_id == target.subproject_id)
    assert renamed.fields["displayName"] == ("A colleague's name", target.display_name)
    assert fresh.apply(progress=False, journal=False).ok


def test_a_create_that_now_exists_makes_the_plan_stale(sb: Sandbox, cl) -> None:
    plan = cl.plan(edited(cl))
    path = plan.save("change.json")
    twin = sb.connect(activate=False).create("Fresh Co", labels={"tier": "gold"})
    sb.reset_stats()
    with pytest.raises(sn.StalePlan) as err:
        sn.load_plan(path, client=cl).apply(progress=False)
    assert set(sb.stats["operations"]) == {"list"}
    assert "now exists with the same name and labels" in str(err.value)
    assert twin.id in str(err.value)
    fresh = sn.load_plan(path, client=cl).replan()
    assert fresh.summary()["create"] == 1  # the intent stays; a new review decides


def test_a_plan_file_applies_once(sb: Sandbox, cl) -> None:
    path = cl.plan(edited(cl)).save("change.json")
    first = sn.load_plan(path, client=cl).apply(progress=False)
    assert first.ok and first.journal_path == Path("change.journal.jsonl").resolve()
    sb.reset_stats()
    with pytest.raises(sn.PlanAlreadyApplied) as err:
        sn.load_plan(path, client=cl).apply(progress=False)
    assert "change.journal.jsonl" in str(err.value) and "finished" in str(err.value)
    assert err.value.journal.endswith("change.journal.jsonl") and not err.value.unfinished
    assert sb.stats["operations"] == {}  # refused before any request


def test_an_unfinished_apply_points_to_resume(sb: Sandbox, cl) -> None:
    plan = cl.plan(edited(cl))
    target = next(c for c in plan.changes if c.op == "update")
    path = plan.save("change.json")
    sb.inject(400, method="PATCH", path_contains=target.subproject_id, times=1)
    result = plan.apply(progress=False)  # the in-memory plan, once saved, journals next to it
    assert not result.ok and result.journal_path == Path("change.journal.jsonl").resolve()
    with pytest.raises(sn.PlanAlreadyApplied) as err:
        sn.load_plan(path, client=cl).apply(progress=False)
    assert "unfinished" in str(err.value) and "sn.resume(" in str(err.value)
    assert err.value.unfinished
    resumed = sn.resume(err.value.journal, progress=False, client=cl)
    assert resumed.ok


def test_no_secret_or_token_in_any_file_written(sb: Sandbox, cl) -> None:
    token = cl.auth.source.token()
    path = cl.plan(edited(cl)).save("change.json")
    sn.load_plan(path, client=cl).apply(progress=False)
    written = [p for p in Path(".").rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"change.json", "change.journal.jsonl"}
    for file in written:
        text = file.read_text(errors="replace")
        assert SECRET not in text and token not in text, file
        assert sb.key_id not in text, file  # not even the Key ID


def test_markdown_and_json(cl) -> None:
    plan = cl.plan(edited(cl))
    text = plan.to_markdown()
    assert "| operation | subprojectId | displayName | field | before | after | note |" in text
    assert "Renamed \\| with a pipe" in text
    assert "| + create | row " in text
    doc = json.loads(plan.to_json())
    assert doc["summary"] == plan.summary() and doc["checksum"] == checksum(doc)


# -- the proportional guard ------------------------------------------------------------------


def relabel(client: sn.SubprojectsClient, n: int) -> pd.DataFrame:
    df = client.frame()
    out = df[~df["deleted"]].reset_index(drop=True)
    out.loc[: n - 1, "label.tier"] = "fillna-accident"
    return out


def test_more_than_30_percent_updated_needs_permission(sb: Sandbox, cl) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    assert live >= 10
    over = int(live * 0.3) + 1
    plan = cl.plan(relabel(cl, over))
    assert plan.updates == over and plan.needs_mass_update_permission
    sb.reset_stats()
    with pytest.raises(sn.MassUpdateRefused) as err:
        plan.apply(progress=False, journal=False)
    assert sb.stats["operations"] == {}
    assert f"updates {over} of the project's {live} live subprojects" in str(err.value)
    assert "allow_mass_update=True" in str(err.value)
    assert "allow_mass_update=True) is required" in str(plan)
    assert plan.apply(progress=False, journal=False, allow_mass_update=True).ok
    at_most = cl.plan(relabel(cl, int(live * 0.3)))
    assert not at_most.needs_mass_update_permission


def test_small_projects_are_not_guarded() -> None:
    with Sandbox(subprojects=9, seed=1, retry_after=0) as small:
        client = small.connect(retry=FAST_RETRY, activate=False)
        live = sum(1 for r in small.subprojects() if not r["deleted"])
        plan = client.plan(relabel(client, live))
        assert live < 10 and not plan.needs_mass_update_permission
        assert plan.apply(progress=False, journal=False).ok


def test_the_guard_travels_with_a_saved_plan(sb: Sandbox, cl) -> None:
    live = sum(1 for r in sb.subprojects() if not r["deleted"])
    path = cl.plan(relabel(cl, live)).save("change.json")
    assert json.loads(path.read_text())["needs"] == {
        "allow_mass_delete": False,
        "allow_mass_update": True,
    }
    loaded = sn.load_plan(path, client=cl)
    with pytest.raises(sn.MassUpdateRefused):
        loaded.apply(progress=False)
    assert not Path("change.journal.jsonl").exists()
    assert loaded.apply(progress=False, allow_mass_update=True).ok


def test_journal_false_is_refused_for_a_saved_plan(cl) -> None:
    plan = cl.plan(edited(cl))
    plan.save("change.json")
    with pytest.raises(sn.ValidationError, match="journal: a saved plan is always journaled"):
        plan.apply(progress=False, journal=False)
    assert not os.path.exists("change.journal.jsonl")
