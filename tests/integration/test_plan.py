"""client.plan(edited): every planning rule of issue 3, against the sandbox."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk import Change, Plan
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

SANDBOX = {"subprojects": 40, "seed": 3}  # the `sb` fixture's account (tests/conftest.py)


def truth(sb: Sandbox) -> dict[str, dict]:
    return {r["subprojectId"]: r for r in sb.subprojects()}


def apply(plan: Plan, **kwargs) -> sn.ApplyResult:
    kwargs.setdefault("progress", False)
    kwargs.setdefault("journal", False)
    return plan.apply(**kwargs)


def test_unchanged_frame_plans_nothing(sb: Sandbox, cl) -> None:
    df = cl.frame()
    plan = cl.plan(df)
    assert len(plan) == 0
    assert plan.summary() == dict.fromkeys(("create", "update", "delete", "conflict", "invalid"), 0)
    assert plan.unchanged == len(df)
    assert plan.changes == [] and plan.conflicts == [] and plan.invalid == []
    assert len(plan.frame) == 0
    assert "Nothing to apply" in str(plan)


def test_plan_sends_nothing(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df.loc[0, "displayName"] = "Renamed"
    sb.reset_stats()
    cl.plan(df)
    assert set(sb.stats["operations"]) == {"list"}


def test_row_without_id_creates(sb: Sandbox, cl) -> None:
    df = cl.frame()
    new = pd.DataFrame([{"displayName": "Fresh Co", "label.tier": "gold", "label.region": "apac"}])
    plan = cl.plan(pd.concat([df, new], ignore_index=True))
    assert plan.summary()["create"] == 1 and len(plan) == 1
    change = plan.changes[0]
    assert change.op == "create" and change.subproject_id is None
    assert change.display_name == "Fresh Co"
    assert change.fields == {
        "displayName": (None, "Fresh Co"),
        "label.region": (None, "apac"),
        "label.tier": (None, "gold"),
    }
    result = apply(plan)
    assert result.ok
    created = result.frame.loc[0, "subprojectId"]
    record = truth(sb)[created]
    assert record["displayName"] == "Fresh Co"
    assert record["labels"] == {"tier": "gold", "region": "apac"}


def test_rename_sends_only_the_name(sb: Sandbox, cl) -> None:
    df = cl.frame()
    sid = df.loc[3, "subprojectId"]
    before = truth(sb)[sid]
    df.loc[3, "displayName"] = "Renamed Ltd"
    plan = cl.plan(df)
    (change,) = plan.changes
    assert change.op == "update" and change.subproject_id == sid
    assert change.fields == {"displayName": (before["displayName"], "Renamed Ltd")}
    assert change.send_name == "Renamed Ltd" and change.send_labels is None
    assert apply(plan).ok
    after = truth(sb)[sid]
    assert after["displayName"] == "Renamed Ltd" and after["labels"] == before["labels"]


def test_label_change_sends_the_full_new_map(sb: Sandbox, cl) -> None:
    df = cl.frame()
    sid = df.loc[5, "subprojectId"]
    before = truth(sb)[sid]["labels"]
    df.loc[5, "label.tier"] = "platinum"
    plan = cl.plan(df)
    (change,) = plan.changes
    assert change.send_name is None
    assert change.send_labels == {**before, "tier": "platinum"}
    assert change.fields == {"label.tier": (before.get("tier"), "platinum")}
    assert apply(plan).ok
    assert truth(sb)[sid]["labels"] == {**before, "tier": "platinum"}


@pytest.mark.parametrize("empty", [None, np.nan, pd.NA, "", "   "])
def test_na_none_or_empty_removes_a_label(sb: Sandbox, cl, empty) -> None:
    df = cl.frame()
    row = df.index[df["label.region"].notna()][0]
    sid = df.loc[row, "subprojectId"]
    before = truth(sb)[sid]["labels"]
    df["label.region"] = df["label.region"].astype(object)
    df.at[row, "label.region"] = empty
    plan = cl.plan(df)
    (change,) = plan.changes
    assert change.fields == {"label.region": (before["region"], None)}
    assert apply(plan).ok
    expected = {k: v for k, v in before.items() if k != "region"}
    assert truth(sb)[sid]["labels"] == expected


def test_a_label_key_without_a_column_keeps_its_value(sb: Sandbox, cl) -> None:
    df = cl.frame().drop(columns=["label.region", "label.industry"])
    sid = df.loc[0, "subprojectId"]
    before = truth(sb)[sid]["labels"]
    df.loc[0, "label.tier"] = "platinum"
    (change,) = cl.plan(df).changes
    assert change.send_labels == {**before, "tier": "platinum"}
    assert change.send_labels["region"] == before["region"]


def test_a_new_label_column_adds_labels(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df["label.owner"] = pd.NA
    df.loc[[1, 2], "label.owner"] = "ana"
    plan = cl.plan(df)
    assert plan.summary()["update"] == 2
    assert apply(plan).ok
    server = truth(sb)
    assert server[df.loc[1, "subprojectId"]]["labels"]["owner"] == "ana"
    assert "owner" not in server[df.loc[3, "subprojectId"]]["labels"]


def test_labels_dict_column_is_the_full_set(sb: Sandbox, cl) -> None:
    df = cl.frame(labels="dict")
    sid0, sid1, sid2 = df.loc[0:2, "subprojectId"]
    server = truth(sb)
    df.at[0, "labels"] = {**server[sid0]["labels"], "tier": "platinum"}
    df.at[1, "labels"] = {"only": "this"}
    df.at[2, "labels"] = None  # no information: keep
    plan = cl.plan(df)
    assert plan.summary()["update"] == 2
    assert apply(plan).ok
    after = truth(sb)
    assert after[sid0]["labels"] == {**server[sid0]["labels"], "tier": "platinum"}
    assert after[sid1]["labels"] == {"only": "this"}
    assert after[sid2]["labels"] == server[sid2]["labels"]


def test_labels_dict_values_are_coerced_too(sb: Sandbox, cl) -> None:
    df = cl.frame(labels="dict").head(1)
    df.at[0, "labels"] = {"n": 3, "flag": True, "gone": None, "ratio": 0.5}
    (change,) = cl.plan(df).changes
    assert change.send_labels == {"n": "3", "flag": "true", "ratio": "0.5"}


def test_delete_column(sb: Sandbox, cl) -> None:
    df = cl.frame()
    values = [True, "yes", 1, "x", "TRUE", np.True_, False, "no", 0, np.nan, "", None]
    df = df.head(len(values)).copy()
    df["delete"] = pd.Series(values, dtype=object, index=df.index)
    plan = cl.plan(df)
    assert plan.summary() == {"create": 0, "update": 0, "delete": 6, "conflict": 0, "invalid": 0}
    assert [c.subproject_id for c in plan.changes] == df["subprojectId"].head(6).tolist()
    assert apply(plan).ok
    server = truth(sb)
    assert [server[s]["deleted"] for s in df["subprojectId"]] == [True] * 6 + [False] * 6


def test_delete_wins_over_edits_in_the_same_row(sb: Sandbox, cl) -> None:
    df = cl.frame().head(1)
    df["delete"] = True
    df.loc[0, "displayName"] = "ignored"
    (change,) = cl.plan(df).changes
    assert change.op == "delete" and change.fields == {"deleted": ("false", "true")}


def test_rows_absent_from_the_frame_are_never_deleted(sb: Sandbox, cl) -> None:
    df = cl.frame()
    before = truth(sb)
    subset = df[df["label.tier"] == "starter"].copy()
    subset["displayName"] = subset["displayName"] + " (starter)"
    plan = cl.plan(subset)
    assert plan.summary()["delete"] == 0
    assert plan.summary()["update"] == len(subset)
    assert apply(plan).ok
    after = truth(sb)
    assert len(after) == len(before)
    assert [r["deleted"] for r in after.values()] == [r["deleted"] for r in before.values()]
    assert cl.plan(df.iloc[0:0]).summary()["delete"] == 0


def test_already_deleted_rows_plan_nothing(sb: Sandbox, cl) -> None:
    everything = cl.frame(show_deleted=True)
    assert everything["deleted"].any()
    assert len(cl.plan(everything)) == 0
    everything["delete"] = everything["deleted"]
    assert len(cl.plan(everything)) == 0


def test_editing_a_deleted_subproject_is_invalid(sb: Sandbox, cl) -> None:
    everything = cl.frame(show_deleted=True)
    row = everything.index[everything["deleted"]][0]
    everything.loc[row, "displayName"] = "back from the dead"
    plan = cl.plan(everything)
    (bad,) = plan.invalid
    assert "deleted" in bad.reason and "no undelete" in bad.reason
    assert len(plan) == 0


def test_flipping_the_deleted_column_is_invalid(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df.loc[0, "deleted"] = True
    (bad,) = cl.plan(df).invalid
    assert "read-only" in bad.reason and "`delete` column" in bad.reason


# -- conflicts ---------------------------------------------------------------------------------


def _someone_else_renames(cl, sid: str) -> None:
    cl.update(sid, display_name="Changed by a colleague")


@pytest.mark.parametrize("as_text", [False, True])
def test_conflict_when_the_server_changed_since_reading(sb: Sandbox, cl, as_text) -> None:
    df = cl.frame()
    sid = df.loc[2, "subprojectId"]
    _someone_else_renames(cl, sid)
    if as_text:
        df["updateTime"] = df["updateTime"].map(lambda t: t.isoformat())
    df.loc[2, "label.tier"] = "platinum"
    plan = cl.plan(df)
    assert len(plan) == 0
    assert plan.summary()["conflict"] == 1
    (conflict,) = plan.conflicts
    assert conflict.subproject_id == sid and conflict.op == "update"
    assert "changed on the server" in conflict.conflict
    result = apply(plan)
    assert result.counts["conflict"] == 1 and not result.ok
    assert truth(sb)[sid]["labels"].get("tier") != "platinum"


def test_force_applies_conflicts(sb: Sandbox, cl) -> None:
    df = cl.frame()
    sid = df.loc[2, "subprojectId"]
    _someone_else_renames(cl, sid)
    plan = cl.plan(df, force=True)
    (change,) = plan.changes
    assert change.conflict is not None and plan.conflicts == []
    assert change.fields["displayName"][1] == df.loc[2, "displayName"]
    assert apply(plan).ok
    assert truth(sb)[sid]["displayName"] == df.loc[2, "displayName"]


def test_unchanged_row_with_an_old_update_time_is_not_a_conflict(sb: Sandbox, cl) -> None:
    df = cl.frame()
    sid = df.loc[1, "subprojectId"]
    cl.update(sid, labels=truth(sb)[sid]["labels"])  # touches updateTime only
    assert len(cl.plan(df)) == 0 and cl.plan(df).conflicts == []


def test_conflict_detected_after_a_csv_round_trip(sb: Sandbox, cl, tmp_path) -> None:
    df = cl.frame()
    df.to_csv(tmp_path / "f.csv", index=False)
    _someone_else_renames(cl, df.loc[4, "subprojectId"])
    back = pd.read_csv(tmp_path / "f.csv")
    plan = cl.plan(back)
    assert plan.summary()["conflict"] == 1 and len(plan) == 0


def test_conflict_compares_times_in_any_timezone(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df["updateTime"] = df["updateTime"].dt.tz_convert("Europe/Stockholm")
    df.loc[0, "label.tier"] = "platinum"
    plan = cl.plan(df)
    assert plan.conflicts == [] and len(plan) == 1


def test_delete_of_a_changed_subproject_is_a_conflict(sb: Sandbox, cl) -> None:
    df = cl.frame()
    _someone_else_renames(cl, df.loc[0, "subprojectId"])
    df["delete"] = False
    df.loc[0, "delete"] = True
    plan = cl.plan(df)
    assert plan.conflicts[0].op == "delete" and len(plan) == 0


# -- invalid rows ------------------------------------------------------------------------------


def _edit(df: pd.DataFrame, column: str, value) -> pd.DataFrame:
    df = df.copy()
    if column not in df.columns:
        df[column] = pd.Series([None] * len(df), dtype=object, index=df.index)
    df[column] = df[column].astype(object)
    df.at[df.index[0], column] = value
    return df


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("displayName", "", "displayName: is required"),
        ("displayName", "x" * 256, "displayName: must be 1..255 characters, got 256"),
        ("displayName", ["a"], "displayName: must be a single value"),
        ("label.tier", "y" * 256, "labels['tier']: must be 1..255 characters, got 256"),
        ("label.tier", {"a": 1}, "label.tier: must be a single value"),
        ("delete", "maybe", "delete: must be true or false"),
        ("updateTime", "last tuesday", "updateTime: is not a timestamp"),
        ("subprojectId", "01NOSUCHSUBPROJECT0000000X", "unknown subprojectId"),
    ],
)
def test_invalid_rows_are_listed_with_the_reason(sb, cl, column, value, reason) -> None:
    df = cl.frame()
    if column == "updateTime":
        df.loc[0, "displayName"] = "something changed"
    edited = _edit(df, column, value)
    plan = cl.plan(edited)
    assert len(plan.invalid) == 1, plan
    bad = plan.invalid[0]
    assert reason in bad.reason
    assert bad.row == edited.index[0]
    assert len(plan) == 0
    sb.reset_stats()
    result = apply(plan)
    assert sb.stats["requests"] == 0, "nothing is sent for invalid rows"
    assert result.counts["skipped"] == 1 and not result.ok
    assert "invalid" in result.frame.loc[0, "error"]


def test_too_many_labels_is_invalid(sb: Sandbox, cl) -> None:
    df = cl.frame().head(1)
    extra = pd.DataFrame({f"label.k{i}": ["v"] for i in range(255)})
    plan = cl.plan(pd.concat([df, extra], axis=1))
    (bad,) = plan.invalid
    assert "at most 255 labels" in bad.reason


def test_the_same_id_twice_is_invalid(sb: Sandbox, cl) -> None:
    df = cl.frame()
    doubled = pd.concat([df.head(3), df.head(1)], ignore_index=True)
    doubled.loc[3, "displayName"] = "twin"
    plan = cl.plan(doubled)
    assert len(plan.invalid) == 2
    assert {b.row for b in plan.invalid} == {0, 3}
    assert all("appears 2 times (rows 0, 3)" in b.reason for b in plan.invalid)
    assert len(plan) == 0


def test_create_rows_need_a_name_and_no_delete(sb: Sandbox, cl) -> None:
    rows = pd.DataFrame(
        {
            "subprojectId": [None, "", None],
            "displayName": [None, "ok name", "to delete"],
            "delete": [False, False, True],
        }
    )
    plan = cl.plan(rows)
    assert plan.summary()["create"] == 1 and plan.summary()["invalid"] == 2
    reasons = sorted(b.reason for b in plan.invalid)
    assert "displayName: is required to create a subproject" in reasons[1]
    assert "delete is set on a row without subprojectId" in reasons[0]


def test_a_frame_of_creates_without_id_column(sb: Sandbox, cl) -> None:
    new = pd.DataFrame({"displayName": ["A", "B", "A"], "label.team": ["x", None, "x"]})
    plan = cl.plan(new)
    assert plan.summary()["create"] == 3
    result = apply(plan)
    assert result.ok
    created = [truth(sb)[s] for s in result.frame["subprojectId"]]
    assert [(r["displayName"], r["labels"]) for r in created] == [
        ("A", {"team": "x"}),
        ("B", {}),
        ("A", {"team": "x"}),
    ]


# -- frame-level problems: before any request --------------------------------------------------


@pytest.mark.parametrize(
    ("edited", "field", "rule"),
    [
        ([{"displayName": "x"}], "edited", "must be a pandas DataFrame"),
        (pd.DataFrame({"label.tier": ["x"]}), "edited", "needs a subprojectId column"),
        (
            pd.DataFrame([["a", "b"]], columns=["displayName", "displayName"]),
            "columns",
            "duplicated",
        ),
        (pd.DataFrame({"displayName": ["a"], "label.": ["x"]}), "label.", "label key"),
        (
            pd.DataFrame({"displayName": ["a"], "labels": [{}], "label.x": ["y"]}),
            "labels",
            "not both",
        ),
        (
            pd.DataFrame([["a"]], columns=pd.MultiIndex.from_tuples([("displayName", "")])),
            "edited",
            "MultiIndex",
        ),
    ],
)
def test_frame_problems_raise_before_any_request(sb, cl, edited, field, rule) -> None:
    sb.reset_stats()
    with pytest.raises(sn.ValidationError) as info:
        cl.plan(edited)
    assert info.value.field == field and rule in info.value.rule
    assert sb.stats["requests"] == 0


def test_force_must_be_a_bool(sb: Sandbox, cl) -> None:
    sb.reset_stats()
    with pytest.raises(sn.ValidationError, match="force"):
        cl.plan(cl.frame().iloc[0:0], force="yes")


def test_unknown_columns_are_ignored_and_listed(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df["notes"] = "free text"
    df[7] = 1
    plan = cl.plan(df)
    assert len(plan) == 0
    assert plan.ignored_columns == ["notes", "7"]
    assert "Ignored columns: notes, 7" in str(plan)


# -- the plan object ---------------------------------------------------------------------------


def test_plan_frame_and_summary(sb: Sandbox, cl) -> None:
    df = cl.frame()
    df["delete"] = False
    df.loc[0, "displayName"] = "Renamed"
    df.loc[0, "label.tier"] = "platinum"
    df.loc[1, "delete"] = True
    df.loc[2, "label.tier"] = "z" * 300
    df = pd.concat([df, pd.DataFrame([{"displayName": "New"}])], ignore_index=True)
    plan = cl.plan(df)
    assert plan.summary() == {"create": 1, "update": 1, "delete": 1, "conflict": 0, "invalid": 1}
    assert len(plan) == 3
    frame = plan.frame
    assert list(frame.columns) == [
        "operation",
        "subprojectId",
        "displayName",
        "field",
        "before",
        "after",
        "reason",
        "row",
    ]
    assert frame["operation"].tolist() == ["update", "update", "delete", "create", "invalid"]
    assert frame["field"].tolist()[:4] == ["displayName", "label.tier", "deleted", "displayName"]
    assert frame.loc[0, "after"] == "Renamed"
    assert pd.isna(frame.loc[4, "field"]) and "255" in frame.loc[4, "reason"]
    assert all(isinstance(c, Change) for c in plan.changes)
    assert [c.op for c in plan] == ["update", "delete", "create"]


def test_sn_plan_uses_the_active_connection(sb: Sandbox) -> None:
    with pytest.raises(sn.SinchError, match="not connected"):
        sn.plan(pd.DataFrame({"displayName": ["x"]}))
    client = sb.connect(retry=FAST_RETRY)  # becomes active
    df = client.frame()
    df.loc[0, "displayName"] = "via sn.plan"
    plan = sn.plan(df)
    assert plan.client is client and len(plan) == 1
