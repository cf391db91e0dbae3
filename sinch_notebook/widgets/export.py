"""CSV and Excel files of a frame (the Browse view, a plan, a result), as a download link.

The link is a `data:` URL in an HTML widget with a `download` name: it works in JupyterLab,
Notebook 7 and VS Code alike, needs no file next to the notebook and no server route. It is
made when asked for and replaced by the next one, so the file is in the widget state only while
its link is shown.

Both files read back to a frame that plans no change: times are written as RFC 3339 text
(Excel has no time zones, and its numbers would round the microseconds that `updateTime`
comparisons need), and every other cell as what it is.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone
from html import escape

import pandas as pd

from ..display import plural
from ..errors import ValidationError

KINDS = {
    "csv": ("text/csv", "CSV"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
}


def _text_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as RFC 3339 text (microseconds kept, `Z` for UTC)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            column.dtype
        ):
            utc = pd.to_datetime(column, utc=True)
            out[name] = [None if pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in utc]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def excel_bytes(frame: pd.DataFrame, sheet: str = "subprojects") -> bytes:
    """An .xlsx workbook of `frame`; needs openpyxl (a dependency of sinch-notebook)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ValidationError(
            "Excel", "needs the openpyxl package: pip install openpyxl (or use CSV)"
        ) from None
    buffer = io.BytesIO()
    _text_times(frame).to_excel(buffer, index=False, sheet_name=sheet[:31], engine="openpyxl")
    return buffer.getvalue()


def file_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    if kind == "csv":
        return csv_bytes(frame)
    if kind == "xlsx":
        return excel_bytes(frame)
    raise ValidationError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")


def file_name(stem: str, kind: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M")
    return f"{stem}-{stamp}.{kind}"


def download_link(frame: pd.DataFrame, stem: str, kind: str) -> str:
    """An HTML link that saves `frame` as a file (name like `stem-20260101-1200.csv`)."""
    data = file_bytes(frame, kind)
    mime, label = KINDS[kind]
    name = file_name(stem, kind)
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    rows = plural(len(frame), "row")
    return (
        f'<a class="sn-download" download="{escape(name, quote=True)}" href="{href}" '
        f'style="text-decoration:underline">Download {escape(name)}</a> '
        f'<span style="opacity:.7">({label}, {rows}, {_size(len(data))})</span>'
    )


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"
