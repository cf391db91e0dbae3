"""What changed in one subproject between two states: the kinds a diff reports, nothing else.

Only what a person edits counts: the name, the labels and the deleted flag. A PATCH that sent
the same values moves `updateTime` but changes nothing, so it is not a change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..models import LABEL_PREFIX

KINDS = ("created", "deleted", "renamed", "label added", "label removed", "label changed")


@dataclass(frozen=True)
class ChangeRow:
    """One change: `field` is "displayName" or "label.<key>" (None for created / deleted)."""

    change: str
    subproject_id: str
    display_name: str
    field: str | None = None
    before: str | None = None
    after: str | None = None


def labels_of(record: Mapping[str, Any]) -> dict[str, str]:
    labels = record.get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def changes_between(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[ChangeRow]:
    """The changes that turn `before` into `after` (either may be None: not there).

    A subproject that appears is "created" (and also "deleted" if it already is); one that was
    live and is no longer listed at all is "deleted"; a deleted one that disappears from the
    listing (purged) changed nothing anyone can act on, so it is not reported.
    """
    if before is None and after is None:
        return []
    record = after if after is not None else before
    assert record is not None
    sid = str(record.get("subprojectId") or "")
    name = str(record.get("displayName") or "")
    if before is None:
        assert after is not None
        rows = [ChangeRow("created", sid, name)]
        if after.get("deleted") is True:
            rows.append(ChangeRow("deleted", sid, name))
        return rows
    was_deleted = before.get("deleted") is True
    if after is None:
        return [] if was_deleted else [ChangeRow("deleted", sid, name)]
    rows = []
    old_name, new_name = str(before.get("displayName") or ""), name
    if old_name != new_name:
        rows.append(ChangeRow("renamed", sid, name, "displayName", old_name, new_name))
    old, new = labels_of(before), labels_of(after)
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        kind = "label added" if was is None else "label removed" if now is None else "label changed"
        rows.append(ChangeRow(kind, sid, name, LABEL_PREFIX + key, was, now))
    if not was_deleted and after.get("deleted") is True:
        rows.append(ChangeRow("deleted", sid, name))
    return rows


def describe(rows: list[ChangeRow]) -> str:
    """A short summary of one subproject's changes, for a history table."""
    parts = []
    for row in rows:
        if row.change in ("created", "deleted"):
            parts.append(row.change)
        elif row.change == "renamed":
            parts.append(f"renamed from {row.before!r}")
        elif row.change == "label added":
            parts.append(f"{row.field} added")
        elif row.change == "label removed":
            parts.append(f"{row.field} removed (was {row.before!r})")
        else:
            parts.append(f"{row.field} {row.before!r} -> {row.after!r}")
    return "; ".join(parts)


def count_kinds(rows: list[ChangeRow]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for row in rows:
        counts[row.change] += 1
    return counts
