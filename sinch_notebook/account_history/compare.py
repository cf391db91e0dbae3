"""`sn.diff(a, b)`: what changed between two snapshots (or a snapshot and now), and the way back.

    d = sn.diff(3)            # snapshot 3 against a fresh listing
    d.frame                   # one row per change: change, subprojectId, displayName, field, ...
    d.revert()                # a Plan back to snapshot 3, reviewed and applied like any plan

`a` and `b` are each a Snapshot, a snapshot id, a time (a datetime or an ISO 8601 string: the
latest snapshot at or before it; a time without zone is UTC), "latest" or "now".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..client import SubprojectsClient
from ..errors import ValidationError
from ..models import parse_time
from .changes import KINDS, ChangeRow, changes_between, count_kinds, labels_of
from .rows import Row, to_record
from .store import HistoryStore, SnapshotInfo, open_store
from .timeline import ClientArg, Snapshot, given_client, listing

if TYPE_CHECKING:
    import pandas as pd

    from ..bulk import Plan

DIFF_COLUMNS = ["change", "subprojectId", "displayName", "field", "before", "after"]
UNDELETE = "a delete cannot be undone: the API has no undelete"
Ref = Snapshot | int | str | datetime


class Diff:
    """The changes between snapshot `a` and snapshot `b`, one row per change.

    `frame` is a DataFrame of them, `summary()` counts them per kind, `only(ids)` keeps some
    subprojects, `revert()` plans the way back to `a`. Displays as a table in notebooks and as
    text in a terminal.
    """

    def __init__(
        self,
        a: Snapshot,
        b: Snapshot,
        before: Mapping[str, dict[str, Any]],
        after: Mapping[str, dict[str, Any]],
        client: ClientArg | None = None,
    ) -> None:
        self.a = a
        self.b = b
        self.client = client
        self._before = dict(before)
        self._after = dict(after)
        self.rows: list[ChangeRow] = []
        for sid in sorted(self._before.keys() | self._after.keys()):
            self.rows.extend(changes_between(self._before.get(sid), self._after.get(sid)))
        self._changed = {row.subproject_id for row in self.rows}

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def subprojects(self) -> list[str]:
        """The ids of the subprojects with at least one change."""
        return sorted(self._changed)

    def summary(self) -> dict[str, int]:
        """Changes per kind: created, deleted, renamed, label added/removed/changed."""
        return count_kinds(self.rows)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per change: change, subprojectId, displayName, field, before, after."""
        import pandas as pd

        data = [
            [r.change, r.subproject_id, r.display_name, r.field, r.before, r.after]
            for r in self.rows
        ]
        frame = pd.DataFrame(data, columns=DIFF_COLUMNS)
        for name in DIFF_COLUMNS:
            frame[name] = frame[name].astype("string")
        return frame

    def record(self, subproject_id: str, side: str = "b") -> dict[str, Any] | None:
        """A changed subproject as it was in `a` or in `b` (None: not there)."""
        return (self._before if side == "a" else self._after).get(subproject_id)

    def only(self, subprojects: str | Iterable[str]) -> Diff:
        """The same diff restricted to these subproject ids (the others' changes dropped)."""
        ids = [subprojects] if isinstance(subprojects, str) else list(subprojects)
        for value in ids:
            if not isinstance(value, str):
                raise ValidationError(
                    "subprojects", f"must be subproject ids (strings), got {value!r}"
                )
        keep = set(ids)
        return Diff(
            self.a,
            self.b,
            {k: v for k, v in self._before.items() if k in keep},
            {k: v for k, v in self._after.items() if k in keep},
            self.client,
        )

    # -- the way back ------------------------------------------------------------------------

    def revert(self, force: bool = False) -> Plan:
        """A Plan that puts names and labels back as they were in `a`.

        Subprojects created since `a` are deleted; deletes since `a` cannot be undone (the API
        has no undelete) and are listed in `plan.invalid`. It is an ordinary plan (review it,
        then `apply()`; more than 10 deletes need `allow_mass_delete=True`), made by the usual
        planner from a frame that carries each subproject's `updateTime` as of `b`: whatever
        changed on the server after `b` is a conflict, not overwritten, unless `force=True`.
        """
        from ..bulk import Invalid, Plan, make_plan

        client = self._revert_client()
        rows: list[dict[str, Any]] = []
        cannot: list[Invalid] = []
        for sid in self.subprojects:
            old, new = self._before.get(sid), self._after.get(sid)
            if new is None or new.get("deleted") is True:
                if old is not None and old.get("deleted") is not True:
                    name = (new or old).get("displayName")
                    cannot.append(Invalid(UNDELETE, None, sid, name, "delete"))
                continue
            base = {"subprojectId": sid, "updateTime": new.get("updateTime")}
            if old is None:  # created since a
                rows.append({**base, "displayName": new.get("displayName"), "delete": True})
            elif old.get("deleted") is not True:
                rows.append(
                    {**base, "displayName": old.get("displayName"), "labels": labels_of(old)}
                )
        if not rows:
            return Plan(client, invalid=cannot, origin="revert")
        import pandas as pd

        frame = pd.DataFrame(rows, columns=["subprojectId", "displayName", "labels", "updateTime"])
        frame["delete"] = [bool(row.get("delete")) for row in rows]
        frame["labels"] = [row.get("labels") for row in rows]
        planned = make_plan(client, frame, force=force)
        exact = {sid: old for sid, old in self._before.items() if old is not None}
        return Plan(
            client,
            _all_exactly(planned.changes, exact),
            conflicts=_all_exactly(planned.conflicts, exact),
            invalid=[*planned.invalid, *cannot],
            unchanged=planned.unchanged,
            ignored_columns=planned.ignored_columns,
            origin="revert",
            live_size=planned.live_size,  # a revert is held to the mass-update rule too
            refused=planned.refused,  # the guard rails (a protected subproject created since a)
        )

    def _revert_client(self) -> SubprojectsClient:
        if self.client is None:
            raise ValidationError(
                "client",
                "the diff was made on no connection: give it one (diff.client = client) to revert",
            )
        client = given_client(self.client)  # a function: the connection it picks now
        if client.project_id != self.a.project:
            raise ValidationError(
                "client",
                f"is connected to project {client.project_id!r}, but the diff is of project "
                f"{self.a.project!r}",
            )
        return client

    # -- display -----------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        from .render import diff_html

        return diff_html(self)

    def __str__(self) -> str:
        from .render import diff_text

        return diff_text(self)

    __repr__ = __str__


def _all_exactly(changes: Iterable[Any], exact: Mapping[str, dict[str, Any]]) -> list[Any]:
    return [c for c in (_exactly(change, exact) for change in changes) if c is not None]


def _exactly(change: Any, exact: Mapping[str, dict[str, Any]]) -> Any:
    """The change with `a`'s name and labels exactly as stored.

    The planner reads cells the way pandas mangles them (it strips surrounding whitespace, for
    one); a revert must send back precisely what the API held.
    """
    old = exact.get(change.subproject_id or "")
    if change.op != "update" or old is None:
        return change
    from ..bulk.change import change_toward

    base = {
        "subprojectId": change.subproject_id,
        "displayName": change.before_name,
        "labels": change.before_labels,
        "updateTime": change.base_update_time,
    }
    exact_change = change_toward(
        base,
        name=str(old.get("displayName") or ""),
        labels=labels_of(old),
        row=change.row,
        conflict=change.conflict,
    )
    if exact_change is None:
        return None  # as `a` had it already: the planner only saw a mangled cell
    return dataclasses.replace(exact_change, forced=change.forced)


# -- naming snapshots --------------------------------------------------------------------------


def _records(rows: Mapping[str, Row], project: str) -> dict[str, dict[str, Any]]:
    return {sid: to_record(row, project) for sid, row in rows.items()}


def _by_id(store: HistoryStore, snapshot_id: int, name: str) -> Snapshot:
    info = store.snapshot_info(snapshot_id)
    if info is None:
        infos = store.snapshot_infos()
        held = f"it has {infos[0].id}..{infos[-1].id}" if infos else "it has none yet"
        raise ValidationError(name, f"no snapshot {snapshot_id} in {store.where} ({held})")
    return Snapshot.from_store(info, store)


def _project_of(store: HistoryStore, name: str) -> str:
    projects = store.projects()
    if not projects:
        raise ValidationError(name, f"there are no snapshots in {store.where} yet")
    if len(projects) > 1:
        raise ValidationError(
            name,
            f"{store.where} holds snapshots of several projects ({', '.join(projects)}): name a "
            "snapshot by its id, or connect to the project you mean",
        )
    return projects[0]


def _by_time(store: HistoryStore, moment: datetime, project: str, name: str) -> Snapshot:
    infos: list[SnapshotInfo] = store.snapshot_infos(project)
    earlier = [info for info in infos if info.time <= moment]
    if not earlier:
        first = f"; the first is at {infos[0].time.isoformat()}" if infos else ""
        raise ValidationError(
            name, f"no snapshot of project {project!r} at or before {moment.isoformat()}{first}"
        )
    return Snapshot.from_store(max(earlier, key=lambda info: (info.time, info.id)), store)


def needs_listing(a: Ref, b: Ref) -> bool:
    """Whether a diff of `a` and `b` lists the account now (one of them is "now"), so that a
    face knows whether it must hand `diff` a client."""
    return "now" in (_word(a), _word(b))


def _word(ref: Any) -> str | None:
    return ref.strip().lower() if isinstance(ref, str) else None


def _moment(ref: Any, name: str) -> datetime:
    moment = parse_time(ref.isoformat() if isinstance(ref, datetime) else ref)
    if moment is None:
        raise ValidationError(
            name,
            f"must be a snapshot, a snapshot id, a time (ISO 8601), 'latest' or 'now', got {ref!r}",
        )
    return moment


def _fixed(ref: Any, store: HistoryStore, name: str) -> Snapshot | None:
    """A reference that names one snapshot by itself (a Snapshot or an id), else None."""
    if isinstance(ref, Snapshot):
        return ref
    if isinstance(ref, bool):
        raise ValidationError(name, f"must be a snapshot, an id, a time or 'now', got {ref!r}")
    if isinstance(ref, int):
        return _by_id(store, ref, name)
    if isinstance(ref, str) and ref.strip().isdigit():
        return _by_id(store, int(ref.strip()), name)
    if not isinstance(ref, (str, datetime)):
        raise ValidationError(
            name, f"must be a snapshot, an id, a time or 'now', got {type(ref).__name__}"
        )
    return None


def _looked_up(ref: Any, store: HistoryStore, project: str, name: str) -> Snapshot:
    """A time (the latest snapshot at or before it) or "latest", in one project."""
    if _word(ref) == "latest":
        infos = store.snapshot_infos(project)
        if not infos:
            raise ValidationError(name, f"there is no snapshot of project {project!r} yet")
        return Snapshot.from_store(infos[-1], store)
    return _by_time(store, _moment(ref, name), project, name)


def snapshot_at(ref: Ref = "latest", store: Any = None, project: str | None = None) -> Snapshot:
    """A stored snapshot: by id, by time (the latest at or before it) or "latest".

    `project` picks among the projects of a store that holds several. Its `.frame` is the
    account as it was then.
    """
    target = open_store(store)
    if _word(ref) == "now":
        raise ValidationError("ref", "'now' is not stored: use sn.snapshot() to take one")
    fixed = _fixed(ref, target, "ref")
    if fixed is not None:
        return fixed
    return _looked_up(ref, target, project or _project_of(target, "ref"), "ref")


def resolve_pair(
    a: Any, b: Any, store: HistoryStore, client: ClientArg | None
) -> tuple[Snapshot, Snapshot, ClientArg | None]:
    """Both references as snapshots. Ids and Snapshots fix the project, then the client does;
    times and "latest" are looked up in that project; "now" lists it."""
    refs = {"a": a, "b": b}
    found: dict[str, Snapshot] = {}
    for name, ref in refs.items():
        fixed = _fixed(ref, store, name)
        if fixed is not None:
            found[name] = fixed
        elif _word(ref) not in ("now", "latest"):
            _moment(ref, name)  # a bad time fails now, before anything is listed
    if needs_listing(a, b):
        client = given_client(client)
    projects = {snap.project for snap in found.values()}
    if len(projects) > 1:
        raise ValidationError(
            "b",
            f"{found['a'].name} is of project {found['a'].project!r} and {found['b'].name} "
            f"of {found['b'].project!r}: a diff compares one project",
        )
    fixing = client.project_id if isinstance(client, SubprojectsClient) else None
    project = next(iter(projects), None) or fixing
    for name, ref in refs.items():
        if name in found or _word(ref) == "now":
            continue
        project = project or _project_of(store, name)
        found[name] = _looked_up(ref, store, project, name)
    for name, ref in refs.items():
        if _word(ref) == "now":
            assert client is not None
            if project is not None and client.project_id != project:
                raise ValidationError(
                    "client",
                    f"is connected to project {client.project_id!r}, but the snapshot is of "
                    f"project {project!r}",
                )
            found[name] = listing(client)
    return found["a"], found["b"], client


def diff(a: Ref, b: Ref = "now", store: Any = None, client: ClientArg | None = None) -> Diff:
    """The changes from `a` to `b` (see the module docstring for what they may be).

    Snapshots are compared by their stored versions, so two snapshots of a large, mostly
    unchanged account compare without reading what they share. "now" lists the account with
    `client` (needed then: see `needs_listing`); it is compared, not stored. `client` may be a
    function that gives the client when it is needed (listing now, or reverting later).
    """
    if store is None:
        owner = next((r.store for r in (a, b) if isinstance(r, Snapshot) and r.store), None)
        target = owner or open_store(None)
    else:
        target = open_store(store)
    if client is not None and not callable(client):
        client = given_client(client)  # a wrong type fails now, before anything is read
    first, second, client = resolve_pair(a, b, target, client)
    if first.stored and second.stored and first.store == second.store:
        assert first.id is not None and second.id is not None and first.store is not None
        before, after = first.store.changed_rows(first.id, second.id)
    else:
        before, after = _differing(first.rows(), second.rows())
    with (first.store or second.store or target).reading():
        records = _records(before, first.project), _records(after, second.project)
    return Diff(first, second, *records, client)


def _differing(
    rows_a: Mapping[str, Row], rows_b: Mapping[str, Row]
) -> tuple[dict[str, Row], dict[str, Row]]:
    """The records whose stored form differs, on each side."""
    in_a: dict[str, Row] = {}
    in_b: dict[str, Row] = {}
    for sid, row in rows_a.items():
        other = rows_b.get(sid)
        if other != row:
            in_a[sid] = row
            if other is not None:
                in_b[sid] = other
    for sid, row in rows_b.items():
        if sid not in rows_a:
            in_b[sid] = row
    return in_a, in_b


__all__ = ["DIFF_COLUMNS", "KINDS", "Diff", "diff", "snapshot_at"]
