"""Turning what pandas hands us (one cell at a time) into the strings the API stores, or NA.

A frame that went through filtering, `concat`, `to_csv`/`read_csv` or an analyst's hands holds
ints, floats, bools, NaN/None/pd.NA, numpy scalars, categories and padded strings where the
server holds plain strings. Two rules keep such a frame from planning spurious changes:

Coercion (what a changed cell sends):
- missing: None, NaN, pd.NA, NaT, and text that is empty after stripping;
- text: surrounding whitespace stripped ("  gold " -> "gold"); inner whitespace is content;
- bool -> "true" / "false"; integers -> "3"; floats with an integral value -> "3" (an integer
  column with gaps is float in pandas), other floats -> shortest form ("0.25");
- datetimes -> ISO 8601; numpy scalars and categories as the value they hold.

Equivalence (when a cell counts as unchanged): a cell equals the server's string when it is
what pandas would have made of that string. So "007" stays "007" after `read_csv` turned it into
7, "True" stays "True" after it became a bool, "1.50" stays "1.50", and " Acme " equals "Acme".
`read_csv` also turns strings such as "NA", "null" or "None" into NaN; a NaN cell is therefore
taken as unchanged when the server's value is one of those strings (to remove such a label in a
frame read from CSV, set the cell to "" or pd.NA rather than NaN).
"""

from __future__ import annotations

import ast
import json
import math
import numbers
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..models import parse_bool

# The strings pandas.read_csv reads as NaN by default (pandas.io.parsers' STR_NA_VALUES).
CSV_NA_STRINGS = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)
CSV_TRUE = frozenset({"True", "TRUE", "true"})
CSV_FALSE = frozenset({"False", "FALSE", "false"})


class CellError(ValueError):
    """A cell that cannot be turned into what its column needs; the message is the rule."""


def is_missing(value: Any) -> bool:
    """None, NaN, pd.NA and NaT (not empty strings: see `to_text`)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.floating):
        return bool(np.isnan(value))
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return False


def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def to_text(value: Any) -> str | None:
    """The string a cell stands for, or None when it is missing (see the module docstring)."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        if number.is_integer():
            return str(int(number))
        return repr(number) if isinstance(value, float) else str(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, dict, np.ndarray)):
        raise CellError(f"must be a single value, got a {type(value).__name__}")
    if isinstance(value, bytes):
        raise CellError("must be text, got bytes")
    return str(value).strip() or None


def same(value: Any, server: str | None) -> bool:
    """True when `value` (a cell) stands for the server's string `server` (None: absent)."""
    if server is None:
        return to_text(value) is None
    text = server.strip()
    if is_missing(value):
        return _is_nan(value) and text in CSV_NA_STRINGS
    if isinstance(value, str):
        return value.strip() == text
    if isinstance(value, (bool, np.bool_)):
        return text in (CSV_TRUE if value else CSV_FALSE)
    if isinstance(value, (numbers.Number, Decimal)) and "_" not in text:
        if isinstance(value, (int, np.integer)):
            try:
                return int(text) == int(value)
            except ValueError:
                pass
        try:
            return float(text) == float(value)
        except (ValueError, OverflowError, TypeError):
            pass
    if isinstance(value, (datetime, np.datetime64)):
        try:
            return bool(pd.Timestamp(text) == pd.Timestamp(value))
        except (ValueError, TypeError):
            pass
    try:
        return to_text(value) == text
    except CellError:
        return False


def resolve(value: Any, server: str | None) -> tuple[bool, str | None]:
    """(changed, new value) for a cell against the server's value; new None means remove."""
    if same(value, server):
        return False, server
    new = to_text(value)
    return new != server, new


def truthy(value: Any) -> bool:
    """A `delete` (or `deleted`) cell as a bool by the package's one rule (`parse_bool`);
    a missing or empty cell is False. Numbers other than 0 and 1 are refused, not true."""
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return False
    if isinstance(value, Decimal):
        value = float(value)
    try:
        return parse_bool(value, "cell")
    except ValidationError as err:
        raise CellError(err.rule) from None


def to_timestamp(value: Any) -> pd.Timestamp | None:
    """A time cell (string, datetime, numpy or pandas) as a tz-aware UTC Timestamp."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            stamp = pd.Timestamp(value.strip())
        except (ValueError, TypeError):
            raise CellError(f"is not a timestamp: {value[:40]!r}") from None
    elif isinstance(value, (datetime, np.datetime64)):
        stamp = pd.Timestamp(value)
    else:
        raise CellError(f"is not a timestamp: {value!r}")
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is None:
        return stamp.tz_localize(timezone.utc)
    return stamp.tz_convert(timezone.utc)


def to_label_map(value: Any) -> dict[str, Any] | None:
    """A `labels` cell as a dict (None when missing); accepts the text a CSV round trip makes."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, dict):
                return parsed
        raise CellError("must be a dict of label key to value, e.g. {'tier': 'gold'}")
    if is_missing(value):
        return None
    raise CellError(f"must be a dict of label key to value, got {type(value).__name__}")
