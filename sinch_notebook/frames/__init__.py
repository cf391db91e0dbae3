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

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..models import LABEL_PREFIX, parse_bool
from .read_ahead import read_ahead

if TYPE_CHECKING:
    from ..client import SubprojectsClient

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
    """Every subproject of the client's project as a DataFrame (see the module docstring).

    Each page is turned into columns while the next one is fetched (`read_ahead`), so building
    the frame costs little more than fetching and parsing the pages."""
    _check_labels_mode(labels)
    show_deleted = parse_bool(show_deleted, "show_deleted")
    builder = FrameBuilder(labels)
    for page in read_ahead(client.iter_pages(show_deleted=show_deleted, page_size=page_size)):
        builder.add(page)
    return builder.frame()


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


class FrameBuilder:
    """A frame made page by page: each page's records become short columns at once (numpy
    arrays, while the next page is on its way), and `frame()` only concatenates them."""

    def __init__(self, labels: str = "columns") -> None:
        _check_labels_mode(labels)
        self.labels = labels
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in BASE_COLUMNS}
        self._label_parts: dict[str, dict[int, np.ndarray]] = {}  # key: {page: values}
        self._dicts: list[dict[Any, Any]] = []
        self._sizes: list[int] = []

    def add(self, records: list[Mapping[str, Any]]) -> None:
        """Turn one page of raw API records into columns."""
        page = len(self._sizes)
        for name in TEXT_COLUMNS:
            self._parts[name].append(_text_values([r.get(name) for r in records]))
        for name in TIME_COLUMNS:
            self._parts[name].append(_utc_values([r.get(name) for r in records]))
        self._parts["deleted"].append(np.array([r.get("deleted") is True for r in records], bool))
        maps = [r.get("labels") if isinstance(r.get("labels"), dict) else {} for r in records]
        if self.labels == "dict":
            self._dicts.extend(dict(m) for m in maps)
        elif maps:
            for key in set().union(*maps):
                values = _text_values([m.get(key) for m in maps])
                self._label_parts.setdefault(key, {})[page] = values
        self._sizes.append(len(records))

    def frame(self) -> pd.DataFrame:
        """The frame of every page added, in order."""
        total = sum(self._sizes)
        columns: dict[str, Any] = {
            name: _string_series(_concatenated(self._parts[name], object)) for name in TEXT_COLUMNS
        }
        for name in TIME_COLUMNS:
            naive = _concatenated(self._parts[name], "datetime64[us]")
            columns[name] = pd.Series(naive).dt.tz_localize("UTC")
        columns["deleted"] = pd.Series(_concatenated(self._parts["deleted"], bool))
        if self.labels == "dict":
            columns["labels"] = pd.Series(self._dicts, dtype=object)
        else:
            for key in sorted(self._label_parts, key=str):
                have = self._label_parts[key]
                pieces = [
                    have[page] if page in have else np.full(size, pd.NA, dtype=object)
                    for page, size in enumerate(self._sizes)
                ]
                values = _concatenated(pieces, object)
                columns[LABEL_PREFIX + str(key)] = _string_series(values)
        return pd.DataFrame(columns, index=pd.RangeIndex(total), copy=False)


def _text_values(values: list[Any]) -> np.ndarray:
    """Texts as `_text` makes them (None: NA, anything else: its text), as an object array."""
    return np.asarray(pd.array(values, dtype="string"), dtype=object)


def _utc_values(values: list[Any]) -> np.ndarray:
    """RFC 3339 texts as naive UTC datetime64[us] (NaT where missing or unreadable)."""
    return _times(values).dt.tz_convert(None).to_numpy(dtype="datetime64[us]")


def _string_series(values: np.ndarray) -> pd.Series:
    """Texts and NAs made by `_text_values` as a string column (checked, not converted again)."""
    return pd.Series(pd.arrays.StringArray(values), copy=False)


def _concatenated(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def records_frame(records: list[Mapping[str, Any]], labels: str = "columns") -> pd.DataFrame:
    """A frame from raw API subproject dicts (as `client.iter_pages()` yields them)."""
    builder = FrameBuilder(labels)
    builder.add(records)
    return builder.frame()


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
