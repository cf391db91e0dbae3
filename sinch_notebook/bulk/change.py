"""A `Change` (one API call a plan will make) and the one builder of a Change from a record.

Every update or delete that takes a subproject from what the server holds to what is wanted is
built by `change_toward`: the plan (an edited frame), `ApplyResult.undo` (back to before an
apply) and `Diff.revert` (back to a snapshot) only say what they want.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..models import LABEL_PREFIX

__all__ = ["LABEL_PREFIX", "Change", "Invalid", "change_toward", "create_change"]


@dataclass(frozen=True)
class Change:
    """One API call the plan will make.

    `fields` maps what changes ("displayName", "label.<key>", "deleted") to (before, after);
    None means absent. `send_name` / `send_labels` are exactly what is sent (labels: the full
    new map). `before_*` and `base_update_time` are the server's state when planned (for undo
    and conflict display). `conflict` says why the row conflicts (set also when forced).
    `reconcile_since` marks a create that may already have happened: apply looks for it first,
    once `RetryPolicy.commit_grace` has passed since `unknown_at` (epoch seconds of the attempt
    whose outcome is unknown). `forced` skips the last-moment check for changes made on the
    server since the plan (a plan made with `force=True`: the frame wins). `overrides` names
    the guard rails this change was explicitly allowed past ("protected", "policy": see
    `guards.py`), so the journal, the saved plan and every review record it.
    """

    op: str
    subproject_id: str | None
    display_name: str
    fields: dict[str, tuple[str | None, str | None]]
    key: str
    row: Any = None
    send_name: str | None = None
    send_labels: dict[str, str] | None = None
    before_name: str | None = None
    before_labels: dict[str, str] | None = None
    base_update_time: str | None = None
    conflict: str | None = None
    reconcile_since: str | None = None
    unknown_at: float | None = None
    forced: bool = False
    overrides: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """What an update sends: `displayName` and/or `labels` (the full new map)."""
        body: dict[str, Any] = {}
        if self.send_name is not None:
            body["displayName"] = self.send_name
        if self.send_labels is not None:
            body["labels"] = self.send_labels
        return body

    def to_json(self) -> dict[str, Any]:
        """The change as a journal line holds it (`from_json` reads it back)."""
        # by hand rather than dataclasses.asdict, whose deep copies made a 10,000-change plan
        # file (and a journal's first line) take seconds
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["fields"] = {k: list(v) for k, v in self.fields.items()}
        data["row"] = jsonable_row(self.row)
        for name in ("send_labels", "before_labels"):
            if data[name] is not None:
                data[name] = dict(data[name])
        if self.overrides:  # only on a change a guard rail was overridden for (guards.py)
            data["overrides"] = list(self.overrides)
        else:
            del data["overrides"]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        values = dict(data)
        values["fields"] = {k: (v[0], v[1]) for k, v in (values.get("fields") or {}).items()}
        # Only shown, never sent: a journal may leave them out (journal_check.py says what must
        # be there).
        values.setdefault("subproject_id", None)
        values.setdefault("display_name", values.get("send_name") or "")
        values["overrides"] = tuple(str(o) for o in values.get("overrides") or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class Invalid:
    """A row that breaks a rule: listed with the reason, never sent."""

    reason: str
    row: Any = None
    subproject_id: str | None = None
    display_name: str | None = None
    op: str | None = None


def jsonable_row(row: Any) -> Any:
    """An index label as something JSON can hold (numpy scalars unwrapped, others as text)."""
    if hasattr(row, "item"):
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            row = row.item()
    if row is None or isinstance(row, (str, int, float, bool)):
        return row
    return str(row)


def create_change(*, row: Any, key: str, name: str, labels: Mapping[str, str]) -> Change:
    """The create of a subproject named `name` with exactly `labels` (already checked): what it
    shows (each field from nothing) and what it sends, from the same two values."""
    sent = dict(labels)
    fields: dict[str, tuple[str | None, str | None]] = {"displayName": (None, name)}
    fields.update({f"{LABEL_PREFIX}{k}": (None, v) for k, v in sorted(sent.items())})
    return Change(
        op="create",
        subproject_id=None,
        display_name=name,
        fields=fields,
        key=key,
        row=row,
        send_name=name,
        send_labels=sent,
    )


def change_toward(
    record: Mapping[str, Any],
    *,
    name: str | None = None,
    labels: Mapping[str, str] | None = None,
    delete: bool = False,
    row: Any = None,
    conflict: str | None = None,
) -> Change | None:
    """The update (or, with `delete`, the delete) that takes the subproject the server holds
    as `record` to the display `name` and the full set of `labels` wanted (None: keep as is).

    None when nothing would change. The Change carries the record's name, labels and
    `updateTime` as its "before", for undo and for the last-moment check.
    """
    sid = str(record.get("subprojectId") or "")
    current_name = str(record.get("displayName") or "")
    current_labels = {str(k): str(v) for k, v in (record.get("labels") or {}).items()}
    fields: dict[str, tuple[str | None, str | None]] = {}
    send_name: str | None = None
    send_labels: dict[str, str] | None = None
    if delete:
        if record.get("deleted"):
            return None
        op = "delete"
        fields["deleted"] = ("false", "true")
    else:
        op = "update"
        if name is not None and name != current_name:
            send_name = name
            fields["displayName"] = (current_name, name)
        if labels is not None and dict(labels) != current_labels:
            send_labels = dict(labels)
            for key in sorted(current_labels.keys() | send_labels.keys()):
                if current_labels.get(key) != send_labels.get(key):
                    fields[f"{LABEL_PREFIX}{key}"] = (current_labels.get(key), send_labels.get(key))
    if not fields:
        return None
    return Change(
        op=op,
        subproject_id=sid,
        display_name=send_name if send_name is not None else current_name,
        fields=fields,
        key=f"{op}:{sid}",
        row=row,
        send_name=send_name,
        send_labels=send_labels,
        before_name=current_name,
        before_labels=current_labels,
        base_update_time=record.get("updateTime"),
        conflict=conflict,
    )
