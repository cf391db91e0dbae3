"""Subproject records in the store's form: one `Row` per record, equal exactly when they are.

A listing of 100,000 records is turned into rows on every snapshot and every diff against now,
so this is written for speed: one JSON encoder, label sets encoded once, and the cyclic garbage
collector paused while the rows are made.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

_KNOWN = frozenset(
    {"subprojectId", "displayName", "parentProjectId", "labels", "createTime", "updateTime"}
    | {"deleted"}
)


class Row(NamedTuple):
    """A record as stored, in the column order of the store's versions.

    A tuple, so two states are equal exactly when their rows are, a row equals the plain tuple
    a database returns for the same columns, and 100,000 of them cost what plain tuples do.
    """

    subproject_id: str
    display_name: str
    labels: str  # JSON object, keys sorted
    create_time: Any
    update_time: Any
    deleted: int  # 0 or 1
    extra: Any  # JSON object of the fields not above (and a foreign parent), or None


# One encoder for every record: json.dumps with options builds a new one per call, which is
# most of the cost of preparing 100,000 records.
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode

# `Row(...)` goes through a Python-level __new__; tuple.__new__ makes the same row in less
# than half the time, which counts at 100,000 records per snapshot.
_new_row = tuple.__new__


def to_row(
    record: Mapping[str, Any], project: str, labels_cache: dict[tuple, str] | None = None
) -> Row | None:
    """A raw API record in its stored form (None for something without a subprojectId).

    `labels_cache` remembers the JSON of label sets seen before: many subprojects of an account
    share theirs, and encoding them is the largest part of this function's cost.
    """
    sid = record.get("subprojectId")
    if type(sid) is not str or not sid:
        return None
    get = record.get
    parent = get("parentProjectId")
    extra = None
    if not _KNOWN.issuperset(record) or (parent is not None and parent != project):
        fields = {k: record[k] for k in record.keys() - _KNOWN}
        if parent is not None and parent != project:
            fields["parentProjectId"] = parent
        extra = _dumps(fields)
    name = get("displayName")
    labels = get("labels")
    if not labels:
        labels_json = "{}"
    elif labels_cache is None or type(labels) is not dict:
        labels_json = _dumps(labels)
    else:
        key = tuple(labels.items())
        try:
            labels_json = labels_cache.get(key) or labels_cache.setdefault(key, _dumps(labels))
        except TypeError:  # a value that cannot be a key (not a string): no caching
            labels_json = _dumps(labels)
    return _new_row(
        Row,
        (
            sid,
            name if type(name) is str else "" if name is None else str(name),
            labels_json,
            get("createTime"),
            get("updateTime"),
            1 if get("deleted") is True else 0,
            extra,
        ),
    )


def prepare_rows(records: Iterable[Mapping[str, Any]], project: str) -> dict[str, Row]:
    """Records in stored form by subprojectId (a record listed twice counts once: the last)."""
    rows: dict[str, Row] = {}
    cache: dict[tuple, str] = {}
    for record in records:
        row = to_row(record, project, cache)
        if row is not None:
            rows[row.subproject_id] = row
    return rows


def by_id(found: Iterable[tuple]) -> dict[str, Row]:
    """Rows read from a store (plain tuples in `Row`'s column order) as `Row`s by
    subprojectId, made as `to_row` makes them (`Row._make` would double the cost of reading)."""
    new = _new_row
    return {values[0]: new(Row, values) for values in found}


class UnreadableRow(ValueError):
    """A stored row whose labels or extra fields are not a JSON object (a damaged store); the
    store turns it into one error naming its file (`HistoryStore.reading`)."""


def to_record(row: Row | tuple, project: str) -> dict[str, Any]:
    """A stored row back in the API's shape (the field order of a live response).

    Stored JSON is decoded only here, when a record is needed, so comparing stored rows never
    pays for it; text that does not decode (a damaged store) is an `UnreadableRow`.
    """
    sid, name, labels, create_time, update_time, deleted, extra = row
    try:
        record = {
            "subprojectId": sid,
            "displayName": name,
            "createTime": create_time,
            "updateTime": update_time,
            "deleted": bool(deleted),
            "labels": json.loads(labels),
            "parentProjectId": project,
        }
    except (TypeError, ValueError, RecursionError):
        raise _unreadable(sid, "labels", labels) from None
    if extra:
        try:
            record.update(json.loads(extra))
        except (TypeError, ValueError, RecursionError):
            raise _unreadable(sid, "extra fields", extra) from None
    return record


def _unreadable(sid: str, what: str, text: Any) -> UnreadableRow:
    return UnreadableRow(f"the stored {what} of subproject {sid} are not readable ({text!r:.60})")


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a listing is turned into rows.

    100,000 records make a few hundred thousand dicts and tuples, none in a cycle, yet each
    allocation burst makes the collector walk every live object of the kernel again: about a
    fifth of a snapshot's time. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
