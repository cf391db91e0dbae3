"""client.frame(): shape and dtypes as frames.py documents them, and the label summaries."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook import frames
from sinch_notebook.frames.read_ahead import read_ahead
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

BASE = ["subprojectId", "displayName", "parentProjectId", "createTime", "updateTime", "deleted"]


@pytest.fixture
def seeded_client(seeded: Sandbox) -> sn.SubprojectsClient:
    return seeded.connect(retry=FAST_RETRY, activate=False)


def test_frame_shape_and_dtypes(seeded: Sandbox, seeded_client) -> None:
    df = seeded_client.frame()
    truth = [r for r in seeded.subprojects() if not r["deleted"]]
    assert len(df) == len(truth)
    keys = sorted({k for r in truth for k in r["labels"]})
    assert list(df.columns) == BASE + [f"label.{k}" for k in keys]
    for name in ("subprojectId", "displayName", "parentProjectId"):
        assert df[name].dtype == pd.StringDtype()
    for name in ("createTime", "updateTime"):
        assert isinstance(df[name].dtype, pd.DatetimeTZDtype)
        assert str(df[name].dt.tz) == "UTC"
    assert df["deleted"].dtype == bool and not df["deleted"].any()
    for key in keys:
        assert df[f"label.{key}"].dtype == pd.StringDtype()
    assert isinstance(df.index, pd.RangeIndex)


def test_frame_values_match_the_server(seeded: Sandbox, seeded_client) -> None:
    df = seeded_client.frame(show_deleted=True)
    truth = {r["subprojectId"]: r for r in seeded.subprojects()}
    assert set(df["subprojectId"]) == set(truth)
    for row in df.itertuples(index=False):
        record = truth[row.subprojectId]
        assert row.displayName == record["displayName"]
        assert row.deleted == record["deleted"]
        assert row.updateTime == pd.Timestamp(record["updateTime"])
        assert row.createTime == pd.Timestamp(record["createTime"])
    by_id = df.set_index("subprojectId")
    for sid, record in truth.items():
        for column in frames.label_columns(df):
            key = column[len("label.") :]
            value = by_id.at[sid, column]
            if key in record["labels"]:
                assert value == record["labels"][key]
            else:
                assert value is pd.NA


def test_show_deleted_includes_deleted_rows(seeded: Sandbox, seeded_client) -> None:
    live = seeded_client.frame()
    everything = seeded_client.frame(show_deleted=True)
    deleted = sum(r["deleted"] for r in seeded.subprojects())
    assert deleted > 0
    assert len(everything) == len(live) + deleted
    assert everything["deleted"].sum() == deleted


def test_labels_dict_mode(seeded: Sandbox, seeded_client) -> None:
    df = seeded_client.frame(labels="dict")
    assert list(df.columns) == [*BASE, "labels"]
    truth = {r["subprojectId"]: r["labels"] for r in seeded.subprojects()}
    for sid, labels in zip(df["subprojectId"], df["labels"], strict=True):
        assert labels == truth[sid]
        assert isinstance(labels, dict)


def test_empty_account_has_the_columns(client: sn.SubprojectsClient) -> None:
    df = client.frame()
    assert list(df.columns) == BASE
    assert len(df) == 0
    assert isinstance(df["updateTime"].dtype, pd.DatetimeTZDtype)
    assert df["deleted"].dtype == bool
    assert list(client.frame(labels="dict").columns) == [*BASE, "labels"]


def test_frame_is_built_from_raw_pages(seeded: Sandbox) -> None:
    """One request per page of 1000 (here: one), no per-subproject calls."""
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    seeded.reset_stats()
    client.frame(show_deleted=True)
    assert seeded.stats["operations"] == {"list": 1}


def test_frame_pages_through_everything(seeded: Sandbox, seeded_client) -> None:
    df = frames.subprojects_frame(seeded_client, show_deleted=True, page_size=7)
    assert len(df) == len(seeded.subprojects())
    assert df["subprojectId"].is_unique


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"labels": "wide"}, "labels"), ({"show_deleted": "maybe"}, "show_deleted")],
)
def test_bad_arguments_rejected_before_any_request(
    sandbox: Sandbox, client: sn.SubprojectsClient, kwargs, field
) -> None:
    sandbox.reset_stats()
    with pytest.raises(sn.ValidationError) as info:
        client.frame(**kwargs)
    assert info.value.field == field
    assert sandbox.stats["requests"] == 0


def test_unknown_fields_and_odd_records_do_not_break_the_frame() -> None:
    records = [
        {
            "subprojectId": "A",
            "displayName": "x",
            "parentProjectId": "p",
            "createTime": "2024-01-02T03:04:05Z",
            "updateTime": "2024-01-02T03:04:05.123Z",
            "deleted": False,
            "labels": {"k": "v"},
            "newField": {"nested": 1},
        },
        {"subprojectId": "B", "displayName": "y", "labels": None},
    ]
    df = frames.records_frame(records)
    assert list(df.columns) == [*BASE, "label.k"]
    assert df.loc[1, "updateTime"] is pd.NaT
    assert df.loc[0, "updateTime"] == pd.Timestamp("2024-01-02T03:04:05.123Z")
    assert df.loc[1, "label.k"] is pd.NA
    assert df["deleted"].tolist() == [False, False]


def test_label_summary_counts_per_key_and_value(seeded: Sandbox, seeded_client) -> None:
    df = seeded_client.frame()
    summary = sn.label_summary(df)
    assert list(summary.columns) == ["key", "value", "count", "share"]
    live = [r for r in seeded.subprojects() if not r["deleted"]]
    expected: dict[tuple[str, str], int] = {}
    for r in live:
        for k, v in r["labels"].items():
            expected[(k, v)] = expected.get((k, v), 0) + 1
    got = {(k, v): c for k, v, c in summary[["key", "value", "count"]].itertuples(index=False)}
    assert got == expected
    assert summary["share"].tolist() == pytest.approx([c / len(live) for c in summary["count"]])
    # sorted by key, then most frequent first
    assert summary["key"].tolist() == sorted(summary["key"].tolist())
    tier = summary[summary["key"] == "tier"]["count"].tolist()
    assert tier == sorted(tier, reverse=True)


def test_label_coverage(seeded: Sandbox, seeded_client) -> None:
    df = seeded_client.frame()
    coverage = sn.label_coverage(df)
    assert list(coverage.columns) == ["key", "count", "share", "values"]
    live = [r for r in seeded.subprojects() if not r["deleted"]]
    for key, count, share, values in coverage.itertuples(index=False):
        having = [r["labels"][key] for r in live if key in r["labels"]]
        assert count == len(having)
        assert share == pytest.approx(len(having) / len(live))
        assert values == len(set(having))
    assert coverage.set_index("key").loc["region", "share"] == 1.0
    assert coverage.set_index("key").loc["cost-center", "share"] < 0.5


def test_summaries_work_on_every_frame_shape(seeded_client, tmp_path) -> None:
    columns = seeded_client.frame(show_deleted=True)
    as_dicts = seeded_client.frame(show_deleted=True, labels="dict")
    expected = sn.label_summary(columns)
    pd.testing.assert_frame_equal(sn.label_summary(as_dicts), expected)
    pd.testing.assert_frame_equal(sn.label_coverage(as_dicts), sn.label_coverage(columns))
    # filtered and after a CSV round trip
    path = tmp_path / "f.csv"
    columns.to_csv(path, index=False)
    back = pd.read_csv(path)
    pd.testing.assert_frame_equal(sn.label_summary(back), expected)
    gold = columns[columns["label.tier"] == "enterprise"]
    coverage = sn.label_coverage(gold).set_index("key")
    assert coverage.loc["tier", "share"] == 1.0 and coverage.loc["tier", "values"] == 1
    # a labels column that went through CSV holds text, not dicts: still understood
    as_dicts.to_csv(path, index=False)
    pd.testing.assert_frame_equal(sn.label_summary(pd.read_csv(path)), expected)
    as_json = as_dicts.assign(labels=as_dicts["labels"].map(json.dumps))
    pd.testing.assert_frame_equal(sn.label_coverage(as_json), sn.label_coverage(columns))


def test_summaries_of_an_empty_frame_and_bad_input(client) -> None:
    empty = client.frame()
    assert sn.label_summary(empty).empty
    assert list(sn.label_coverage(empty).columns) == ["key", "count", "share", "values"]
    with pytest.raises(sn.ValidationError, match="DataFrame"):
        sn.label_summary([{"a": 1}])


def test_lazy_exports_do_not_import_pandas_at_package_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sinch_notebook as sn; assert 'pandas' not in sys.modules; sn.Plan; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_a_frame_built_page_by_page_is_the_frame_of_all_records(seeded: Sandbox) -> None:
    """Pages whose label keys differ (a key only on a later page, a page with no labels): the
    joined columns are those of one frame of every record, NA where a page lacks a key."""
    records = seeded.subprojects()
    records[3] = {**records[3], "labels": {"only-on-page-1": "x"}}
    records[200] = {**records[200], "labels": {"zz-late": "y"}, "updateTime": "not a time"}
    pages = [records[:7], [{**r, "labels": {}} for r in records[7:40]], records[40:]]
    records = [r for page in pages for r in page]
    for mode in ("columns", "dict"):
        builder = frames.FrameBuilder(mode)
        for page in pages:
            builder.add(page)
        pd.testing.assert_frame_equal(builder.frame(), frames.records_frame(records, mode))
    whole = frames.records_frame(records)
    assert whole["label.contract"][7:40].isna().all()
    assert whole["label.only-on-page-1"].notna().sum() == 1
    assert whole.loc[200, "label.zz-late"] == "y" and whole.loc[200, "updateTime"] is pd.NaT


def test_a_listing_error_reaches_the_frame_where_its_page_would_be(seeded: Sandbox) -> None:
    client = seeded.connect(retry=FAST_RETRY, activate=False)
    pages = client.iter_pages(show_deleted=True, page_size=50)

    def failing():
        yield next(pages)
        raise sn.UnexpectedResponse("page 2 is not a page", http_status=200)

    ahead = read_ahead(failing())
    assert len(next(ahead)) == 50
    with pytest.raises(sn.UnexpectedResponse, match="page 2 is not a page"):
        next(ahead)


def test_read_ahead_keeps_the_order_and_stops_with_its_caller() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def numbers():
        try:
            for n in range(1000):
                produced.append(n)
                yield n
        finally:
            closed.set()

    ahead = read_ahead(numbers(), depth=2)
    assert [next(ahead) for _ in range(5)] == [0, 1, 2, 3, 4]
    ahead.close()  # the caller stops early: the producer stops too, a few items ahead at most
    assert closed.wait(5)
    assert len(produced) <= 5 + 2 + 1
    assert list(read_ahead(iter(range(30)))) == list(range(30))
