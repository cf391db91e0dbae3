"""The Subproject resource and the input rules the API enforces, checked before sending.

Also the two small rules every part of the package shares: what counts as a boolean
(`parse_bool`) and when two `updateTime`s are the same version (`same_version`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import ValidationError

LABEL_PREFIX = "label."  # a frame's column for one label: label.<key> (one spelling everywhere)

MAX_NAME_LENGTH = 255
MAX_LABELS = 255
MAX_LABEL_LENGTH = 255
NAME_LIMIT = f"1..{MAX_NAME_LENGTH} characters"
LABEL_LIMIT = f"1..{MAX_LABEL_LENGTH} characters"
LABELS_RULE = f"at most {MAX_LABELS} labels are allowed"


def check_encodable(value: str, field_name: str) -> str:
    """Text the API can carry: UTF-8 cannot encode lone surrogates (from a broken paste or a
    decoding with errors="surrogateescape"), and they would fail at send or in the journal."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValidationError(
            field_name, f"must be valid text (a lone surrogate at position {err.start})"
        ) from None
    return value


def validate_display_name(value: Any, field_name: str = "displayName") -> str:
    """Return `value` if it is a valid displayName, else raise naming the rule it breaks."""
    if value is None:
        raise ValidationError(field_name, "is required")
    if not isinstance(value, str):
        raise ValidationError(field_name, f"must be a string, got {type(value).__name__}")
    check_encodable(value, field_name)
    if len(value) < 1:
        raise ValidationError(field_name, f"must be {NAME_LIMIT}, got an empty string")
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(field_name, f"must be {NAME_LIMIT}, got {len(value)}")
    return value


def validate_label_key(key: Any, field_name: str) -> str:
    """A label key: a string of 1..255 characters that UTF-8 can encode."""
    if not isinstance(key, str):
        raise ValidationError(field_name, "must be a string")
    check_encodable(key, field_name)
    if not 1 <= len(key) <= MAX_LABEL_LENGTH:
        raise ValidationError(field_name, f"must be {LABEL_LIMIT}, got {len(key)}")
    return key


def validate_labels(value: Any, field_name: str = "labels") -> dict[str, str]:
    """Return a plain dict copy of valid labels, else raise naming the offending key."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            field_name, f"must be a mapping of strings, got {type(value).__name__}"
        )
    if len(value) > MAX_LABELS:
        raise ValidationError(field_name, f"{LABELS_RULE}, got {len(value)}")
    labels: dict[str, str] = {}
    for key, val in value.items():
        shown = key[:40] if isinstance(key, str) else key
        validate_label_key(key, f"{field_name} key {shown!r}")
        where = f"{field_name}[{key!r}]"
        if not isinstance(val, str):
            raise ValidationError(where, f"must be a string, got {type(val).__name__}")
        check_encodable(val, where)
        if not 1 <= len(val) <= MAX_LABEL_LENGTH:
            raise ValidationError(where, f"must be {LABEL_LIMIT}, got {len(val)}")
        labels[key] = val
    return labels


TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "x", "on", "delete"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off"})
BOOL_RULE = "must be true or false (one of True/False, 1/0, true/false, yes/no, on/off, x)"


def check_int(value: Any, field_name: str, low: int, high: int | None = None) -> int:
    """The one integer-range rule of arguments: an int (not a bool) from `low` to `high`
    (no upper bound when None); else a `ValidationError` naming the field and the range."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if is_int and low <= value and (high is None or value <= high):
        return value
    wanted = f"from {low} to {high}" if high is not None else f"of at least {low}"
    raise ValidationError(field_name, f"must be an integer {wanted}, got {value!r}")


def parse_bool(value: Any, field_name: str) -> bool:
    """The one boolean rule: True/False, 1/0, or the documented words (any case), else an error.

    Other numbers (2, -1, 0.5) are refused rather than read as true: a `delete` cell must never
    delete by accident.
    """
    if isinstance(value, bool):
        return value
    if getattr(getattr(value, "dtype", None), "kind", None) == "b":  # a numpy bool
        return bool(value)
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
        if number in (0.0, 1.0):
            return number == 1.0
        raise ValidationError(field_name, f"{BOOL_RULE}, got {value!r}")
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValidationError(field_name, f"{BOOL_RULE}, got {value!r}")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as a tz-aware UTC datetime (None when absent or unparsable)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat wants 0, 3 or 6 fractional digits.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{(digits + '000000')[:6]}{rest}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


_OPTIONAL_TEXT = ("parentProjectId", "createTime", "updateTime")


def api_item_problem(data: Any) -> str | None:
    """What makes an API answer not a Subproject (None when it is one), in a few words.

    A subproject without an id would be planned as a new one (a duplicate), and one without a
    name cannot be shown or compared, so neither may enter a frame. Unknown fields are fine
    (the API may add some); known ones must have their documented types.
    """
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__} instead of a subproject"
    for name in ("subprojectId", "displayName"):
        value = data.get(name)
        if value is None:
            return f"without a {name}"
        if not isinstance(value, str):
            return f"{name} is a JSON {type(value).__name__}, not a string"
        if not value:
            return f"with an empty {name}"
    labels = data.get("labels")
    if labels is not None:
        if not isinstance(labels, dict):
            return f"labels is a JSON {type(labels).__name__}, not an object"
        for key, value in labels.items():
            if not isinstance(value, str):
                return f"label {key[:40]!r} is a JSON {type(value).__name__}, not a string"
    deleted = data.get("deleted")
    if deleted is not None and not isinstance(deleted, bool):
        return f"deleted is a JSON {type(deleted).__name__}, not a boolean"
    for name in _OPTIONAL_TEXT:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name} is a JSON {type(value).__name__}, not a string"
    return None


@dataclass(frozen=True)
class Subproject:
    """One subproject as the API returned it; unknown response fields are kept in `extra`."""

    subproject_id: str
    display_name: str
    parent_project_id: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    create_time: datetime | None = None
    update_time: datetime | None = None
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN = frozenset(
        {
            "subprojectId",
            "displayName",
            "parentProjectId",
            "labels",
            "createTime",
            "updateTime",
            "deleted",
        }
    )

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Subproject:
        labels = data.get("labels") or {}
        return cls(
            subproject_id=str(data.get("subprojectId") or ""),
            display_name=str(data.get("displayName") or ""),
            parent_project_id=str(data.get("parentProjectId") or ""),
            labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
            create_time=parse_time(data.get("createTime")),
            update_time=parse_time(data.get("updateTime")),
            deleted=bool(data.get("deleted", False)),
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )

    def to_dict(self) -> dict[str, Any]:
        """The API's camelCase shape, times as RFC 3339 strings."""
        return {
            "subprojectId": self.subproject_id,
            "displayName": self.display_name,
            "parentProjectId": self.parent_project_id,
            "labels": dict(self.labels),
            "createTime": rfc3339(self.create_time),
            "updateTime": rfc3339(self.update_time),
            "deleted": self.deleted,
        }

    @property
    def id(self) -> str:
        """The subprojectId (a short alias)."""
        return self.subproject_id


def same_version(seen: Any, current: Any) -> bool:
    """Whether two `updateTime`s (RFC 3339 text or datetimes) are the same version.

    The one rule for "changed since I read it": the plan, the apply's last-moment check, undo,
    the Edit tab and `client.edit` all compare this way. An unreadable time is never the same.
    """

    def as_time(value: Any) -> datetime | None:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return parse_time(value)

    a, b = as_time(seen), as_time(current)
    return a is not None and b is not None and a == b


def rfc3339(value: datetime | None, timespec: str = "auto") -> str | None:
    """The one machine time format: UTC, `Z`. `timespec` as `datetime.isoformat`'s:
    "microseconds" gives strings of one width, which sort in time order (snapshots, files)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")
