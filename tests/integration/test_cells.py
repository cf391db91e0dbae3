"""What pandas users actually do to a frame must not plan spurious changes; coercion rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.frames import cells
from sinch_notebook.sandbox import Sandbox
from tests.conftest import FAST_RETRY

# -- the cell rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("gold", "gold"),
        ("  gold \t", "gold"),
        ("a  b", "a  b"),
        ("", None),
        ("   ", None),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        (pd.NaT, None),
        (np.float32("nan"), None),
        (np.datetime64("NaT"), None),
        (True, "true"),
        (False, "false"),
        (np.bool_(True), "true"),
        (3, "3"),
        (np.int64(-3), "-3"),
        (np.uint8(7), "7"),
        (3.0, "3"),
        (np.float64(3.0), "3"),
        (0.25, "0.25"),
        (0.1, "0.1"),
        (np.float32(0.1), "0.1"),
        (1e20, "100000000000000000000"),
        (float("inf"), "inf"),
        (Decimal("2.50"), "2.5"),
        (Decimal("4.0"), "4"),
        (np.str_(" x "), "x"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (pd.Timestamp("2024-05-01T10:00:00Z"), "2024-05-01T10:00:00+00:00"),
    ],
)
def test_to_text(cell, text) -> None:
    assert cells.to_text(cell) == text


@pytest.mark.parametrize("cell", [["a"], ("a",), {"a": 1}, {1}, np.array([1]), b"raw"])
def test_to_text_rejects_non_scalars(cell) -> None:
    with pytest.raises(cells.CellError):
        cells.to_text(cell)


@pytest.mark.parametrize(
    ("cell", "server", "same"),
    [
        ("gold", "gold", True),
        (" gold ", "gold", True),
        ("gold", " gold", True),
        ("Gold", "gold", False),
        (7, "007", True),  # read_csv made "007" into 7: unchanged
        (7, "7", True),
        (8, "007", False),
        (1.5, "1.50", True),
        (3.0, "3", True),
        (3, "3.0", True),
        (1000.0, "1e3", True),
        (1000, "1_000", False),
        (True, "True", True),
        (True, "true", True),
        (True, "TRUE", True),
        (True, "yes", False),
        (False, "false", True),
        (np.nan, "NA", True),  # read_csv made "NA" into NaN: unchanged
        (np.nan, "null", True),
        (np.nan, "gold", False),
        (None, "NA", False),  # None / pd.NA / "" are deliberate removals
        (pd.NA, "NA", False),
        ("", "NA", False),
        (None, None, True),
        (np.nan, None, True),
        ("x", None, False),
        (pd.Timestamp("2024-01-01"), "2024-01-01", True),
    ],
)
def test_same(cell, server, same) -> None:
    assert cells.same(cell, server) is same


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (True, True),
        ("yes", True),
        (" X ", True),
        ("1", True),
        (1, True),
        (1.0, True),
        (np.True_, True),
        (False, False),
        ("no", False),
        ("", False),
        (0, False),
        (None, False),
        (np.nan, False),
        (pd.NA, False),
    ],
)
def test_truthy(cell, expected) -> None:
    assert cells.truthy(cell) is expected


@pytest.mark.parametrize("cell", ["maybe", "deleted?", object(), 2, 2.0, -1, 0.5, np.int64(3)])
def test_truthy_rejects_other_values(cell) -> None:
    """Numbers other than 0 and 1 are refused rather than read as "delete": the destructive
    direction must never be a guess."""
    with pytest.raises(cells.CellError, match="must be true or false"):
        cells.truthy(cell)


def test_to_timestamp_accepts_text_datetimes_and_naive_utc() -> None:
    expected = pd.Timestamp("2024-03-01T12:00:00.123456Z")
    assert cells.to_timestamp("2024-03-01T12:00:00.123456Z") == expected
    assert cells.to_timestamp("2024-03-01 12:00:00.123456+00:00") == expected
    assert cells.to_timestamp("2024-03-01 13:00:00.123456+01:00") == expected
    assert cells.to_timestamp(dt.datetime(2024, 3, 1, 12, 0, 0, 123456)) == expected
    assert cells.to_timestamp(np.datetime64("2024-03-01T12:00:00.123456")) == expected
    assert cells.to_timestamp(None) is None and cells.to_timestamp(pd.NaT) is None
    with pytest.raises(cells.CellError):
        cells.to_timestamp("soon")


def test_to_label_map_reads_dicts_and_their_csv_text() -> None:
    assert cells.to_label_map({"a": "b"}) == {"a": "b"}
    assert cells.to_label_map('{"a": "b"}') == {"a": "b"}
    assert cells.to_label_map("{'a': 'b'}") == {"a": "b"}
    assert cells.to_label_map(np.nan) is None and cells.to_label_map("") is None
    with pytest.raises(cells.CellError):
        cells.to_label_map("a=b")
    with pytest.raises(cells.CellError):
        cells.to_label_map(3)


# -- whole frames against the sandbox ----------------------------------------------------------

ODD_LABELS = [
    {"zip": "007", "flag": "True", "n": "3", "ratio": "1.50", "region": "NA"},
    {"zip": "0123", "flag": "false", "n": "10", "ratio": "0.25", "region": "eu-west"},
    {"flag": "TRUE", "n": "-4", "region": "null"},
    {"zip": "99", "ratio": "1e3", "region": "None"},
    {},
]


@pytest.fixture(scope="module")
def odd() -> Iterator[tuple[Sandbox, sn.SubprojectsClient]]:
    """Labels that pandas' type inference loves to mangle, plus the demo account."""
    with Sandbox(subprojects=60, seed=5, retry_after=0) as sb:
        client = sb.connect(retry=FAST_RETRY, activate=False)
        for i, labels in enumerate(ODD_LABELS):
            client.create(f" padded name {i} " if i == 0 else f"odd {i}", labels)
        client.create("NA", {"k": "v"})  # a name read_csv turns into NaN
        client.create("2024", {"k": "v"})  # a name read_csv turns into an int
        yield sb, client


@pytest.fixture
def odd_frame(odd) -> pd.DataFrame:
    return odd[1].frame()


def assert_no_change(client, edited: pd.DataFrame) -> None:
    plan = client.plan(edited)
    assert len(plan) == 0 and plan.invalid == [] and plan.conflicts == [], str(plan)


@pytest.mark.parametrize("labels", ["columns", "dict"])
def test_csv_round_trip_plans_no_change(odd, tmp_path, labels) -> None:
    _, client = odd
    df = client.frame(labels=labels, show_deleted=True)
    df.to_csv(tmp_path / "f.csv", index=False)
    back = pd.read_csv(tmp_path / "f.csv")
    assert back["label.zip"].dtype.kind == "f" if labels == "columns" else True
    assert_no_change(client, back)


def test_csv_round_trip_with_index_and_excel_style_options(odd, tmp_path) -> None:
    _, client = odd
    df = client.frame()
    df.to_csv(tmp_path / "f.csv")
    assert_no_change(client, pd.read_csv(tmp_path / "f.csv", index_col=0))
    df.to_csv(tmp_path / "g.csv", index=False, sep=";")
    assert_no_change(client, pd.read_csv(tmp_path / "g.csv", sep=";", dtype=str))
    assert_no_change(client, pd.read_csv(tmp_path / "g.csv", sep=";", keep_default_na=False))


def test_filtering_sorting_and_concat_plan_no_change(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame
    assert_no_change(client, df.sort_values("displayName", ascending=False))
    assert_no_change(client, df[df["label.region"] == "eu-west"])
    assert_no_change(client, df.sample(frac=1.0, random_state=1).reset_index(drop=True))
    halves = [df.iloc[: len(df) // 2], df.iloc[len(df) // 2 :]]
    assert_no_change(client, pd.concat(halves))
    assert_no_change(client, pd.concat(halves[::-1], ignore_index=True))
    assert_no_change(client, df.set_index("subprojectId").reset_index())
    assert_no_change(client, df[["subprojectId", "label.tier"]])


def test_dtype_conversions_plan_no_change(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame.copy()
    label_columns = [c for c in df.columns if c.startswith("label.")]
    as_object = df.astype({c: object for c in label_columns})
    assert_no_change(client, as_object)
    categorical = df.astype({c: "category" for c in label_columns})
    assert_no_change(client, categorical)
    assert_no_change(client, df.astype({c: str for c in label_columns}).replace("<NA>", np.nan))
    numeric = df.copy()
    numeric["label.n"] = pd.to_numeric(df["label.n"])  # float with NaN
    numeric["label.ratio"] = pd.to_numeric(df["label.ratio"])
    assert_no_change(client, numeric)
    ints = df.copy()
    ints["label.n"] = pd.to_numeric(df["label.n"]).astype("Int64")
    assert_no_change(client, ints)
    with_numpy = df.copy().astype({"label.n": object})
    with_numpy["label.n"] = [np.int64(v) if isinstance(v, str) else v for v in df["label.n"]]
    assert_no_change(client, with_numpy)
    pyarrowless = df.copy()
    pyarrowless["displayName"] = df["displayName"].astype(object)
    assert_no_change(client, pyarrowless)


def test_stray_whitespace_plans_no_change(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame.copy()
    df["displayName"] = "  " + df["displayName"] + "\t"
    df["label.tier"] = df["label.tier"].map(lambda v: v if v is pd.NA else f" {v} ")
    assert_no_change(client, df)


def test_whitespace_around_a_real_edit_is_stripped(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame.copy()
    df.loc[0, "displayName"] = "  New Name  "
    (change,) = client.plan(df).changes
    assert change.send_name == "New Name"


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (3, "3"),
        (3.0, "3"),
        (np.int64(42), "42"),
        (np.float64(2.5), "2.5"),
        (True, "true"),
        (np.False_, "false"),
        ("  spaced  ", "spaced"),
        (Decimal("1.10"), "1.1"),
    ],
)
def test_coercion_of_new_values(odd, odd_frame, value, sent) -> None:
    _, client = odd
    df = odd_frame.head(1).astype({"label.tier": object})
    df.at[0, "label.tier"] = value
    (change,) = client.plan(df).changes
    assert change.send_labels["tier"] == sent
    assert change.fields["label.tier"][1] == sent


def test_categorical_edit_and_new_category(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame.astype({"label.tier": "category"})
    df["label.tier"] = df["label.tier"].cat.add_categories(["platinum"])
    df.loc[1, "label.tier"] = "platinum"
    (change,) = client.plan(df).changes
    assert change.send_labels["tier"] == "platinum"


def test_nan_clears_a_normal_label_but_keeps_csv_na_strings(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame.copy()
    row = df.index[df["displayName"] == "odd 1"][0]
    df["label.region"] = df["label.region"].astype(object)
    df.at[row, "label.region"] = np.nan  # server: "eu-west" -> removed
    na_row = df.index[df["displayName"].str.strip() == "padded name 0"][0]
    df.at[na_row, "label.region"] = np.nan  # server: "NA" -> read_csv's NaN: unchanged
    plan = client.plan(df)
    (change,) = plan.changes
    assert change.fields == {"label.region": ("eu-west", None)}
    df.at[na_row, "label.region"] = pd.NA  # deliberate removal
    assert len(client.plan(df)) == 2


def test_numeric_edit_that_is_really_a_change(odd, odd_frame) -> None:
    _, client = odd
    df = odd_frame.copy()
    df["label.zip"] = pd.to_numeric(df["label.zip"])
    row = df.index[df["label.zip"] == 7][0]
    df.loc[row, "label.zip"] = 8
    (change,) = client.plan(df).changes
    assert change.fields["label.zip"] == ("007", "8")
