"""CSV and Excel files of a frame, made for people to open and for the package to read back.

Safe to open. A cell that starts with `=`, `+`, `-`, `@`, a tab or a CR is what a spreadsheet
runs as a formula ("CSV injection"). In CSV files such a text cell gets a leading `'`, as
OWASP recommends (and so does a text cell that already starts with `'`, so that the step is
undone exactly), and every field is quoted. In Excel files every text cell is a string cell,
never a formula, whatever it starts with; nothing needs undoing.

Uploads are bounded (`read_upload`, the Bulk tab's and the app's): at most MAX_UPLOAD_BYTES,
each part of a workbook at most MAX_SHEET_BYTES uncompressed (read from the zip's directory
before anything is parsed, so a zip bomb is refused unopened) and at most MAX_UPLOAD_ROWS rows
(reading stops there); beyond a limit, one sentence names it and nothing is planned.

Read back exactly. `read_csv` / `read_excel` give the frame that was written (the `'` taken
off again, the times as UTC datetimes with their microseconds), so an exported frame that
was not changed plans no change. Excel gets times as real date-times (UTC, said in the header)
for people, and the exact RFC 3339 text in a hidden column for the round trip: Excel's numbers
keep milliseconds at best, and `updateTime` comparisons need microseconds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ValidationError
from .local_files import MiB, size_text
from .models import rfc3339

UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what makes a cell a formula
ESCAPE = "'"
UTC_SUFFIX = " (UTC)"  # the Excel header of a time column: date-times in UTC
EXACT_SUFFIX = " (RFC 3339)"  # its hidden twin with the exact text
MAX_WIDTH = 60  # characters: wider columns wrap in Excel rather than push the rest away
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

Source = str | os.PathLike[str] | io.IOBase | bytes
# Uploads: far above the panel's own export of a large project (100,000 subprojects export to
# about 18 MiB of CSV, 12 MiB of .xlsx whose sheet unpacks to about 72 MiB).
MAX_UPLOAD_BYTES = 32 * MiB
MAX_SHEET_BYTES = 96 * MiB  # each part of a workbook, uncompressed
MAX_UPLOAD_ROWS = 100_000


def _is_time(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        column.dtype
    )


def _rfc3339(column: pd.Series) -> list[str | None]:
    utc = pd.to_datetime(column, utc=True)
    return [
        None if pd.isna(t) else rfc3339(t.to_pydatetime(warn=False), "microseconds") for t in utc
    ]


def neutralize(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs: a leading `'` when it could start a formula."""
    return ESCAPE + text if text.startswith((*UNSAFE_START, ESCAPE)) else text


def restore(text: str) -> str:
    """What `neutralize` was given."""
    return text[1:] if text.startswith(ESCAPE) else text


# -- CSV -----------------------------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV: times as RFC 3339 text, text cells neutralized, fields quoted."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if _is_time(column):
            out[name] = _rfc3339(column)
        elif not pd.api.types.is_numeric_dtype(column.dtype):
            out[name] = [neutralize(v) if isinstance(v, str) else v for v in column]
    out.columns = [neutralize(str(c)) for c in out.columns]
    return out.to_csv(index=False, quoting=csv.QUOTE_ALL).encode("utf-8")


def read_csv(source: Source, **options: Any) -> pd.DataFrame:
    """A CSV file written by this package (Browse, Bulk) as the frame that was written.

    `pd.read_csv(source, **options)`, then the `'` the writer put before text that could start
    a formula is taken off again. Times stay text, as `pd.read_csv` leaves them: the plan
    reads them as they are.
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    frame = pd.read_csv(source, **options)
    frame.columns = [restore(c) if isinstance(c, str) else c for c in frame.columns]
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column.dtype) and not _is_time(column):
            frame[name] = column.map(lambda v: restore(v) if isinstance(v, str) else v)
    return frame


# -- Excel ---------------------------------------------------------------------------------------


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise ValidationError(
            "Excel", "needs the openpyxl package: pip install openpyxl (or use CSV)"
        ) from None
    return openpyxl


def _cell_value(value: Any) -> Any:
    """A frame's cell as openpyxl takes it (NA empty, numpy scalars as Python's, others text)."""
    if value is None or isinstance(value, str | bool):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or a dict: not one missing value
        pass
    if isinstance(value, int | float):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def excel_bytes(frame: pd.DataFrame, sheet: str = "subprojects") -> bytes:
    """An .xlsx workbook of `frame` for people: a frozen header with an autofilter, columns as
    wide as their content, times as date-times (UTC), and no cell ever a formula."""
    openpyxl = _openpyxl()
    from openpyxl.utils import get_column_letter

    columns: list[tuple[str, list[Any], bool]] = []  # header, values, hidden
    exact: list[tuple[str, list[Any], bool]] = []
    for name in frame.columns:
        column = frame[name]
        if _is_time(column):
            utc = pd.to_datetime(column, utc=True)
            shown = [None if pd.isna(t) else t.tz_convert(None).to_pydatetime() for t in utc]
            columns.append((f"{name}{UTC_SUFFIX}", shown, False))
            exact.append((f"{name}{EXACT_SUFFIX}", _rfc3339(column), True))
        else:
            columns.append((str(name), [_cell_value(v) for v in column.tolist()], False))
    columns += exact

    book = openpyxl.Workbook()
    sheet_ = book.active
    sheet_.title = sheet[:31]
    for number, (header, values, hidden) in enumerate(columns, start=1):
        _put(sheet_.cell(row=1, column=number), header)
        sheet_.cell(row=1, column=number).font = openpyxl.styles.Font(bold=True)
        timed = header.endswith(UTC_SUFFIX)
        for row, value in enumerate(values, start=2):
            cell = sheet_.cell(row=row, column=number)
            _put(cell, value)
            if timed and value is not None:
                cell.number_format = TIME_FORMAT
        letter = get_column_letter(number)
        width = 19 if timed else max([len(str(v)) for v in values if v is not None] + [0])
        sheet_.column_dimensions[letter].width = min(max(width, len(header) + 3), MAX_WIDTH) + 2
        sheet_.column_dimensions[letter].hidden = hidden
    sheet_.freeze_panes = "A2"
    if columns:
        last = get_column_letter(len(columns))
        sheet_.auto_filter.ref = f"A1:{last}{max(len(frame), 1) + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put(cell: Any, value: Any) -> None:
    """Write a value; text is always a string cell (openpyxl makes `=...` a formula)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def read_excel(source: Source, **options: Any) -> pd.DataFrame:
    """An .xlsx file written by this package as the frame that was written: each time column
    back under its own name, from the exact hidden text, as UTC datetimes."""
    _openpyxl()
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    frame = pd.read_excel(source, **options)
    names: list[Hashable] = []
    for name in frame.columns:
        text = str(name)
        if text.endswith(EXACT_SUFFIX):
            continue
        if text.endswith(UTC_SUFFIX):
            base = text[: -len(UTC_SUFFIX)]
            twin = f"{base}{EXACT_SUFFIX}"
            if twin in frame.columns:
                frame[base] = pd.to_datetime(frame[twin], utc=True, format="ISO8601")
            else:
                frame[base] = pd.to_datetime(frame[name]).dt.tz_localize("UTC")
            names.append(base)
        else:
            names.append(name)
    return frame[names]


# -- uploads ---------------------------------------------------------------------------------


def _too_big(name: str, what: str) -> ValidationError:
    return ValidationError("file", f"{name}: {what}; nothing was planned")


def upload_too_large(name: str, size: int) -> ValidationError:
    """The refusal of an upload of `size` bytes, beyond MAX_UPLOAD_BYTES (also said by the
    panel's button, which refuses such a file before its bytes leave the page)."""
    return _too_big(
        name,
        f"an upload may be at most {size_text(MAX_UPLOAD_BYTES)}, and this one is "
        f"{size_text(size)}",
    )


def _check_workbook(name: str, data: bytes) -> None:
    """Each part's uncompressed size, from the zip's directory, before anything is parsed (a
    part that says less than it holds is cut there by zipfile, and fails its CRC)."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        raise ValidationError("file", f"{name} could not be read as xlsx: not a zip file") from None
    for part in parts:
        if part.file_size > MAX_SHEET_BYTES:
            raise _too_big(
                name,
                f"a part of a workbook may unpack to at most {size_text(MAX_SHEET_BYTES)}, and "
                f"{part.filename} unpacks to {size_text(part.file_size)}",
            )


def read_upload(name: str, content: bytes) -> pd.DataFrame:
    """An uploaded CSV or .xlsx file written by this package (Browse, Bulk) as the frame that
    was written, within the upload limits (module docstring): a file beyond one is refused in
    one sentence naming the limit, before it is parsed (or, for rows, once reading reaches
    it)."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    data = bytes(content)
    if suffix not in ("csv", "xlsx", "xlsm"):
        raise ValidationError("file", f"{name}: must be a .csv or .xlsx file (the panel's exports)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise upload_too_large(name, len(data))
    try:
        if suffix == "csv":
            frame = read_csv(data, nrows=MAX_UPLOAD_ROWS + 1)
        else:
            _check_workbook(name, data)
            frame = read_excel(data, nrows=MAX_UPLOAD_ROWS + 1)
    except ValidationError:
        raise
    except Exception as err:  # a broken file: say which and why, in one line
        raise ValidationError("file", f"{name} could not be read as {suffix}: {err}") from None
    if len(frame) > MAX_UPLOAD_ROWS:
        raise _too_big(name, f"an upload may have at most {MAX_UPLOAD_ROWS:,} rows")
    return frame


# -- Files -----------------------------------------------------------------------------------


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """`sn.to_csv(frame, path)`: the CSV file the panel downloads (`csv_bytes`), written
    atomically (a temporary file renamed over `path`); `sn.read_csv(path)` reads it back."""
    return _write(path, csv_bytes(frame))


def to_excel(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """`sn.to_excel(frame, path)`: the Excel file the panel downloads (`excel_bytes`), written
    atomically; `sn.read_excel(path)` reads it back. Unlike `frame.to_excel(path)`, it takes
    the frame's UTC time columns as they are (pandas refuses time zones in Excel)."""
    return _write(path, excel_bytes(frame))


def _write(path: str | os.PathLike[str], data: bytes) -> Path:
    target = Path(path)
    if target.is_dir():
        raise ValidationError("path", f"{target} is a folder; give a file path such as df.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target
