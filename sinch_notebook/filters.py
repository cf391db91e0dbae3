"""The one filter of subprojects, shared by `%sinch list` and the panel's Browse tab.

Rules (the same in every face):
- `text` matches part of the display name or of the subprojectId, ignoring case;
- `label_key` keeps subprojects that have that label (the key compared ignoring case);
- `label_value` matches part of that label's value, ignoring case (with no key: of any value);
- `labels` (KEY -> VALUE pairs, as `%sinch list --label` gives them) must all match by the
  same two rules; a pair with an empty value only asks for the label to be there;
- `ids`, when given, keeps only those subprojectIds (the panel's "violations only": the
  subprojects the compliance report names);
- deleted subprojects are kept only with `show_deleted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import Subproject


def fold(text: Any) -> str:
    """How every filter compares text: stripped, case-insensitive."""
    return str(text or "").strip().casefold()


def _label_matches(labels: Mapping[str, str], key: str, value: str) -> bool:
    """`key` (folded; empty = any key) present, its value containing `value` (folded)."""
    for have_key, have_value in labels.items():
        if key and fold(have_key) != key:
            continue
        if not value or value in fold(have_value):
            return True
    return False


@dataclass(frozen=True)
class SubprojectFilter:
    """What to keep; every field empty keeps every live subproject."""

    text: str = ""
    label_key: str = ""
    label_value: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    show_deleted: bool = False
    ids: frozenset[str] | None = None

    def matches(self, item: Subproject | Mapping[str, Any]) -> bool:
        if isinstance(item, Subproject):
            name, sid, labels, deleted = (
                item.display_name,
                item.subproject_id,
                item.labels,
                item.deleted,
            )
        else:
            raw = item.get("labels")
            name, sid = item.get("displayName"), item.get("subprojectId")
            labels, deleted = (raw if isinstance(raw, dict) else {}), item.get("deleted") is True
        if deleted and not self.show_deleted:
            return False
        if self.ids is not None and sid not in self.ids:
            return False
        text = fold(self.text)
        if text and text not in fold(name) and text not in fold(sid):
            return False
        key, value = fold(self.label_key), fold(self.label_value)
        if (key or value) and not _label_matches(labels, key, value):
            return False
        return all(_label_matches(labels, fold(k), fold(v)) for k, v in self.labels.items())

    def describe(self) -> str:
        """What the filter keeps, in words ('' when it keeps every live subproject): a listing
        that matched nothing still says what it looked for."""
        parts = []
        if self.text.strip():
            parts.append(f'name or id containing "{self.text.strip()}"')
        if self.label_key.strip() or self.label_value.strip():
            parts.append(_label_words(self.label_key.strip() or "any", self.label_value.strip()))
        parts.extend(_label_words(k, str(v)) for k, v in self.labels.items())
        if self.ids is not None:
            parts.append(f"{len(self.ids):,} chosen ids")
        if self.show_deleted:
            parts.append("deleted included")
        return ", ".join(parts)


def _label_words(key: str, value: str) -> str:
    return f'label {key} containing "{value}"' if value else f"label {key}"
