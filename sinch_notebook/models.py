"""The Subproject resource and the input rules the API enforces, checked before sending."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import ValidationError

MAX_NAME_LENGTH = 255
MAX_LABELS = 255
MAX_LABEL_LENGTH = 255


def validate_display_name(value: Any, field_name: str = "displayName") -> str:
    """Return `value` if it is a valid displayName, else raise naming the rule it breaks."""
    if value is None:
        raise ValidationError(field_name, "is required")
    if not isinstance(value, str):
        raise ValidationError(field_name, f"must be a string, got {type(value).__name__}")
    if len(value) < 1:
        raise ValidationError(field_name, "must be 1..255 characters, got an empty string")
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(field_name, f"must be 1..255 characters, got {len(value)}")
    return value


def validate_labels(value: Any, field_name: str = "labels") -> dict[str, str]:
    """Return a plain dict copy of valid labels, else raise naming the offending key."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            field_name, f"must be a mapping of strings, got {type(value).__name__}"
        )
    if len(value) > MAX_LABELS:
        raise ValidationError(field_name, f"at most 255 labels are allowed, got {len(value)}")
    labels: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str):
            raise ValidationError(f"{field_name} key {key!r}", "must be a string")
        if not 1 <= len(key) <= MAX_LABEL_LENGTH:
            raise ValidationError(
                f"{field_name} key {key[:40]!r}", f"must be 1..255 characters, got {len(key)}"
            )
        where = f"{field_name}[{key!r}]"
        if not isinstance(val, str):
            raise ValidationError(where, f"must be a string, got {type(val).__name__}")
        if not 1 <= len(val) <= MAX_LABEL_LENGTH:
            raise ValidationError(where, f"must be 1..255 characters, got {len(val)}")
        labels[key] = val
    return labels


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
            "createTime": format_time(self.create_time),
            "updateTime": format_time(self.update_time),
            "deleted": self.deleted,
        }

    @property
    def id(self) -> str:
        return self.subproject_id


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
