"""Subprojects as a pandas DataFrame, and the label summaries an analyst reaches for next.

Frame shape (the public interface): `subprojectId`, `displayName`, `parentProjectId` (string dtype),
`createTime`, `updateTime` (tz-aware UTC), `deleted` (bool), then one `label.<key>` column per
label key, sorted (string dtype, NA where the subproject has no such label). With
`labels="dict"` a single `labels` column of dicts replaces the `label.*` columns.

The frame is built column by column straight from the API's raw page dicts: no per-row
Python objects, so 100,000 subprojects cost little more than fetching them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ValidationError
from .models import LABEL_PREFIX, parse_bool

if TYPE_CHECKING:
    from .client import SubprojectsClient

TEXT_COLUMNS = ["subprojectId", "displayName", "parentProjectId"]
TIME_COLUMNS = ["createTime", "updateTime"]
BASE_COLUMNS = [*TEXT_COLUMNS, *TIME_COLUMNS, "deleted"]
LABEL_MODES = ("columns", "dict")


def subprojects_frame(
    client: SubprojectsClient,
    show_deleted: bool = False,
    labels: str = "columns",
    page_size: int = 1000,
) -> pd.DataFrame:
    """Every subproject of the client's project as a DataFrame (see the module docstring)."""
    _check_labels_mode(labels)
    show_deleted = parse_bool(show_deleted, "show_deleted")
    records: list[dict[str, Any]] = []
    for page in client.iter_pages(show_deleted=show_deleted, page_size=page_size):
        records.extend(page)
    return records_frame(records, labels=labels)


def _check_labels_mode(labels: Any) -> None:
    if labels not in LABEL_MODES:
        raise ValidationError("labels", f'must be "columns" or "dict", got {labels!r}')


def _times(values: list[Any]) -> pd.Series:
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    return parsed.dt.as_unit("us")


def _text(values: list[Any]) -> pd.Series:
    """A string-dtype column; None becomes NA, anything else unexpected becomes its text."""
    return pd.Series(values, dtype="string")


def records_frame(records: list[Mapping[str, Any]], labels: str = "columns") -> pd.DataFrame:
    """A frame from raw API subproject dicts (as `client.iter_pages()` yields them)."""
    _check_labels_mode(labels)
    columns: dict[str, Any] = {}
    for name in TEXT_COLUMNS:
        columns[name] = _text([r.get(name) for r in records])
    for name in TIME_COLUMNS:
        columns[name] = _times([r.get(name) for r in records])
    columns["deleted"] = pd.Series([r.get("deleted") is True for r in records], dtype=bool)
    maps = [r.get("labels") if isinstance(r.get("labels"), dict) else {} for r in records]
    if labels == "dict":
        columns["labels"] = pd.Series([dict(m) for m in maps], dtype=object)
    else:
        keys = sorted(set().union(*maps)) if maps else []
        for key in keys:
            columns[LABEL_PREFIX + str(key)] = _text([m.get(key) for m in maps])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


# -- summaries -------------------------------------------------------------------------------


def _label_series(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Each label key's values as text (None = absent), from `label.*` columns or a `labels`
    column of dicts (or of their text, as a CSV round trip leaves them)."""
    from .cells import CellError, to_label_map, to_text

    def text(value: Any) -> str | None:
        try:
            return to_text(value)
        except CellError:
            return None

    if not isinstance(df, pd.DataFrame):
        raise ValidationError("df", f"must be a DataFrame from client.frame(), got {type(df)}")
    out: dict[str, pd.Series] = {}
    for column in df.columns:
        if isinstance(column, str) and column.startswith(LABEL_PREFIX):
            values = [text(v) for v in df[column].tolist()]
            out[column[len(LABEL_PREFIX) :]] = pd.Series(values, index=df.index, dtype=object)
    if "labels" in df.columns and not out:
        maps = []
        for cell in df["labels"].tolist():
            try:
                maps.append(to_label_map(cell) or {})
            except CellError:
                maps.append({})
        keys = sorted({str(k) for m in maps for k in m})
        for key in keys:
            values = [text(m.get(key)) for m in maps]
            out[key] = pd.Series(values, index=df.index, dtype=object)
    return dict(sorted(out.items()))


def label_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Counts per label key and value: columns key, value, count, share (of all rows).

    Sorted by key, then by count (largest first). Works on any frame from `client.frame()`
    (either label layout), filtered or not.
    """
    rows: list[tuple[str, str, int]] = []
    for key, series in _label_series(df).items():
        counts = series.dropna().value_counts()
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        rows.extend((key, value, int(count)) for value, count in ordered)
    total = len(df)
    frame = pd.DataFrame(rows, columns=["key", "value", "count"])
    frame["key"] = frame["key"].astype("string")
    frame["value"] = frame["value"].astype("string")
    frame["count"] = frame["count"].astype("int64")
    frame["share"] = (frame["count"] / total) if total else 0.0
    frame["share"] = frame["share"].astype("float64")
    return frame


def label_coverage(df: pd.DataFrame) -> pd.DataFrame:
    """Per label key: how many rows have it, their share of all rows, and distinct values.

    Columns key, count, share, values; sorted by key. Useful to spot sparse or messy keys.
    """
    rows: list[tuple[str, int, int]] = []
    for key, series in _label_series(df).items():
        present = series.dropna()
        rows.append((key, len(present), present.nunique()))
    total = len(df)
    frame = pd.DataFrame(rows, columns=["key", "count", "values"])
    frame["key"] = frame["key"].astype("string")
    frame["count"] = frame["count"].astype("int64")
    frame["share"] = (frame["count"] / total) if total else 0.0
    frame["share"] = frame["share"].astype("float64")
    frame["values"] = frame["values"].astype("int64")
    return frame[["key", "count", "share", "values"]]


def label_columns(df: pd.DataFrame) -> list[str]:
    """The frame's `label.<key>` column names, in order."""
    return [c for c in df.columns if isinstance(c, str) and c.startswith(LABEL_PREFIX)]
