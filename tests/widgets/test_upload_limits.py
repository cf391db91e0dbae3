"""Uploads are bounded (issue 25, item 7): the Bulk tab (and the app, which serves the same
panel) refuses an upload beyond a limit in one sentence naming it, and plans nothing. The zip
bomb is a small generated .xlsx whose one sheet unpacks to 108 MB of 1.25 million rows."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from sinch_notebook import files
from sinch_notebook.files import excel_bytes

from .helpers import plain, send_file

ROW = '<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'


def zip_bomb(rows: int) -> bytes:
    """A real workbook of this package whose sheet holds `rows` identical rows: a few hundred
    KB that unpack to tens of MB."""
    base = excel_bytes(pd.DataFrame({"subprojectId": ["a"], "displayName": ["x"]}))
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, rest = data.decode().split("<sheetData>", 1)
                tail = rest.split("</sheetData>", 1)[1]
                first = rest.split("</row>", 1)[0] + "</row>"
                data = f"{head}<sheetData>{first}{ROW * rows}</sheetData>{tail}".encode()
            bomb.writestr(item.filename, data)
    return out.getvalue()


@pytest.fixture
def bulk(bulk_panel):
    panel, namespace = bulk_panel
    return panel, panel.bulk_form, namespace


def upload(panel, form, name: str, content: bytes) -> str:
    send_file(form.upload_frame, name, content)
    assert panel.wait()
    return plain(form.picker_status.value)


def test_a_zip_bomb_is_refused_from_the_zip_directory_before_it_is_parsed(
    bulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel, form, namespace = bulk
    content = zip_bomb(1_250_000)
    assert len(content) < 500_000

    def never(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(files, "read_excel", never)
    status = upload(panel, form, "bomb.xlsx", content)
    assert (
        "bomb.xlsx: a part of a workbook may unpack to at most 96 MiB, and "
        "xl/worksheets/sheet1.xml unpacks to 103.7 MiB; nothing was planned"
    ) in status
    assert form.plan is None and "uploaded_df" not in namespace


def test_too_many_rows_are_refused_with_the_limit(bulk, monkeypatch: pytest.MonkeyPatch) -> None:
    panel, form, namespace = bulk
    monkeypatch.setattr(files, "MAX_UPLOAD_ROWS", 50)
    frame = pd.DataFrame({"displayName": [f"n{i}" for i in range(51)]})
    for name, content in (("many.csv", files.csv_bytes(frame)), ("many.xlsx", excel_bytes(frame))):
        status = upload(panel, form, name, content)
        assert f"{name}: an upload may have at most 50 rows; nothing was planned" in status
        assert form.plan is None and "uploaded_df" not in namespace
    status = upload(panel, form, "ok.csv", files.csv_bytes(frame.head(50)))
    assert "50 rows loaded as uploaded_df" in status


def test_an_oversized_upload_is_refused_by_its_bytes(bulk, monkeypatch: pytest.MonkeyPatch) -> None:
    panel, form, namespace = bulk
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 1024)
    content = files.csv_bytes(pd.DataFrame({"displayName": ["x" * 100] * 20}))
    status = upload(panel, form, "big.csv", content)
    assert "big.csv: an upload may be at most 1 KiB, and this one is 2 KiB" in status
    assert form.plan is None and "uploaded_df" not in namespace
