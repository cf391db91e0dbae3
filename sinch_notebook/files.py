"""CSV and Excel files of a frame, made for people to open and for the package to read back.

Safe to open. A cell that starts with `=`, `+`, `-`, `@`, a tab or a CR is what a spreadsheet
runs as a formula ("CSV injection"). In CSV files such a text cell gets a leading `'`, as
OWASP recommends (and so does a text cell that already starts with `'`, so that the step is
undone exactly), and every field is quoted. In Excel files every text cell is a string cell,
never a formula, whatever it starts with; nothing needs undoing.

Read back exactly. `read_csv` / `read_excel` give the frame that was written (the `'` taken
off again, the times as UTC datetimes with their microseconds), so an exported frame that
was not changed plans no change. Excel gets times as real date-times (UTC, said in the header)
for people, and the exact RFC 3339 text in a hidden column for the round trip: Excel's numbers
keep milliseconds at best, and `updateTime` comparisons need microseconds.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Hashable
from typing import Any

import pandas as pd

from .errors import ValidationError
from .models import rfc3339

UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what makes a cell a formula
ESCAPE = "'"
UTC_SUFFIX = " (UTC)"  # the Excel header of a time column: date-times in UTC
EXACT_SUFFIX = " (RFC 3339)"  # its hidden twin with the exact text
MAX_WIDTH = 60  # characters: wider columns wrap in Excel rather than push the rest away
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

Source = str | os.PathLike[str] | io.IOBase | bytes


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
