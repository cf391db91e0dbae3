"""A Plan: the difference between an edited DataFrame and the server, reviewed before applying.

Rules (see README "DataFrames and bulk edits"):
- a row without `subprojectId` creates; a row whose displayName or labels differ from the
  server updates (only what changed is sent; when labels change the full new map is sent);
  a row with a truthy `delete` cell deletes;
- rows absent from the frame are left alone: nothing is deleted by omission;
- `label.<key>` cells set the label, NA/None/"" removes it, and a key with no column keeps its
  server value; a `labels` column of dicts is the full new set instead;
- a row whose `updateTime` differs from the server's is a conflict (not applied unless
  `force=True`); rows breaking a rule are invalid, listed with the reason, and never sent;
- deleting or renaming a protected subproject, or a change that breaks the label policy, is
  refused (`plan.refused`) unless allowed: the guard rails are `../guards.py`.
Cell coercion and equivalence are in ../cells.py.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..display import changed_on_server
from ..errors import ValidationError
from ..frames.cells import (
    CellError,
    is_missing,
    resolve,
    to_label_map,
    to_text,
    to_timestamp,
    truthy,
)
from ..models import (
    NAME_LIMIT,
    rfc3339,
    same_version,
    validate_display_name,
    validate_label_key,
    validate_labels,
)
from ..public import forwarded
from .change import LABEL_PREFIX, Change, Invalid, change_toward, create_change

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from ..guards import Refused
    from ..guards.policy import Policy
    from .apply import ProgressArg
    from .render import Hints
    from .result import ApplyResult

OPERATIONS = ("create", "update", "delete")
PLAN_COLUMNS = [
    "operation",
    "subprojectId",
    "displayName",
    "field",
    "before",
    "after",
    "reason",
    "row",
]


def _now() -> str:
    return rfc3339(datetime.now(timezone.utc), "milliseconds") or ""


@dataclass
class PlanSource:
    """Where a plan comes from and goes: the project and API URL it was made for (a saved or
    loaded plan applies only on a connection to the same), when and by whom, and its file."""

    project_id: str | None = None
    api_url: str | None = None
    api_version: str | None = None
    made_at: str = field(default_factory=_now)
    made_by: str | None = None
    file: Path | None = None  # the plan file it was saved to or loaded from
    loaded: bool = False  # made by sn.load_plan: re-checked against the server before apply
    edited: bool = False  # read from a file changed after it was saved: shown, never applied

    @classmethod
    def of(cls, client: SubprojectsClient | None) -> PlanSource:
        """The source of a plan made now on `client` (nothing known without one)."""
        if client is None:
            return cls()
        endpoints = client.endpoints
        return cls(client.project_id, endpoints.api_url, endpoints.api_version)


@dataclass(frozen=True)
class GuardRails:
    """The guard rails a plan is held to from when it is made to when it is applied
    (`../guards`): the protection label's key and the label policy (None: no policy)."""

    protect_label: str
    policy: Policy | None

    @classmethod
    def of(cls, client: SubprojectsClient | None, policy: Policy | None = None) -> GuardRails:
        """The client's guard rails (else the settings'); `policy` None means the active one."""
        from ..guards import protect_label
        from ..guards.policy import active_policy

        return cls(protect_label(client), policy if policy is not None else active_policy(client))

    def check(
        self, changes: list[Change], allow_protected: bool, allow_policy_violations: bool
    ) -> tuple[list[Change], list[Refused]]:
        """The changes these rails let through, and those they refuse."""
        from ..guards import guard

        return guard(
            changes,
            key=self.protect_label,
            policy=self.policy,
            allow_protected=allow_protected,
            allow_policy_violations=allow_policy_violations,
        )


@dataclass
class ProjectSize:
    """How many subprojects the server had when the plan was made, if known: all of them, and
    those not deleted (the base of the mass-update rule)."""

    server: int | None = None
    live: int | None = None

    @classmethod
    def count(cls, records: Mapping[str, Mapping[str, Any]]) -> ProjectSize:
        """The size of a listing (deleted included)."""
        live = sum(1 for record in records.values() if not record.get("deleted"))
        return cls(len(records), live)


class Once:
    """A plan applies once, whichever path applies it: the first `claim` wins, atomically
    (two threads applying the same plan cannot both send it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.claimed = False

    def claim(self) -> bool:
        """Claim it; False when it was claimed already."""
        with self._lock:
            if self.claimed:
                return False
            self.claimed = True
            return True


def _python_hints() -> Hints:
    from .render import PYTHON_HINTS

    return PYTHON_HINTS


class Plan:
    """Changes to apply, plus the conflicts and invalid rows that will not be applied.

    `len(plan)` is the number of changes to apply; `plan.summary()` counts per operation;
    `plan.frame` is the plan as a DataFrame; `plan.apply()` sends it (once).

    Besides its rows (changes, conflicts, invalid, refused) it holds a few parts, each with one
    job: `source` (where it comes from and goes), `guard_rails` (the rules it is held to),
    `size` (the project's when planned) and the apply-once claim; the attributes named after
    their fields (`plan.file`, `plan.policy`, `plan.live_size`, ...) read them.
    """

    def __init__(
        self,
        client: SubprojectsClient | None,
        changes: Iterable[Change] = (),
        *,
        conflicts: Iterable[Change] = (),
        invalid: Iterable[Invalid] = (),
        unchanged: int = 0,
        ignored_columns: Iterable[str] = (),
        origin: str = "frame",
        journal_path: Path | None = None,
        server_size: int | None = None,
        live_size: int | None = None,
        refused: Iterable[Refused] = (),
        allow_protected: bool = False,
        allow_policy_violations: bool = False,
        policy: Policy | None = None,
    ) -> None:
        self.client = client
        # The guard rails (guards.py), for every plan however it was made: changes they hold
        # back are `refused`; `policy` None means the active one (guards.policy.active_policy).
        self.refused: list[Refused] = list(refused)
        allow = (allow_protected, allow_policy_violations)
        self._guard(list(changes), list(conflicts), *allow, policy)
        self.invalid: list[Invalid] = list(invalid)
        self.unchanged = unchanged
        self.ignored_columns = list(ignored_columns)
        self.origin = origin
        # Set on plans derived from an apply (result.failed, result.remaining) and by resume:
        # applying continues that journal, under its lock, skipping what it says is done.
        self.journal_path = journal_path
        self.size = ProjectSize(server_size, live_size)
        # Where and when it was made; a saved or loaded plan carries it in its file
        # (`planfile.py`).
        self.source = PlanSource.of(client)
        self.hints: Hints | None = None  # next steps in a face's words (None: Python's)
        self._once = Once()
        keys = Counter(c.key for c in self.changes)
        if any(n > 1 for n in keys.values()):
            raise ValidationError("changes", "each change needs a distinct key")

    project_id = forwarded("source.project_id", "The project the plan was made for.", settable=True)
    api_url = forwarded("source.api_url", "The API URL the plan was made for.", settable=True)
    api_version = forwarded(
        "source.api_version", "The API version the plan was made for.", settable=True
    )
    made_at = forwarded("source.made_at", "When the plan was made (RFC 3339).", settable=True)
    made_by = forwarded("source.made_by", "Who made the plan, when known.", settable=True)
    file = forwarded(
        "source.file", "The plan file it was saved to or loaded from, if any.", settable=True
    )
    loaded = forwarded("source.loaded", "Whether sn.load_plan made it.", settable=True)
    edited = forwarded(
        "source.edited", "Whether its file was changed after it was saved.", settable=True
    )

    protect_label = forwarded(
        "guard_rails.protect_label", "The protection label's key the plan is held to."
    )
    policy = forwarded("guard_rails.policy", "The label policy the plan is held to (or None).")
    server_size = forwarded(
        "size.server", "Subprojects on the server when planned, if known.", settable=True
    )
    live_size = forwarded(
        "size.live", "Of them, those not deleted (the mass-update rule's base).", settable=True
    )

    def _guard(
        self,
        changes: list[Change],
        conflicts: list[Change],
        allow_protected: bool,
        allow_policy_violations: bool,
        policy: Policy | None,
    ) -> None:
        self.guard_rails = GuardRails.of(self.client, policy)
        conflict_keys = {c.key for c in conflicts}
        kept, refused = self.guard_rails.check(
            changes + conflicts, allow_protected, allow_policy_violations
        )
        self.changes: list[Change] = [c for c in kept if c.key not in conflict_keys]
        self.conflicts: list[Change] = [c for c in kept if c.key in conflict_keys]
        self.refused.extend(refused)

    def release(self, allow_protected: bool = False, allow_policy_violations: bool = False) -> None:
        """Let the refused changes these overrides cover into the plan (each marked with its
        override, which the journal records); the apply calls it with its own arguments."""
        from ..guards import POLICY, PROTECTED, UNPROTECT

        if not (allow_protected or allow_policy_violations) or not self.refused:
            return
        if self._once.claimed:
            return
        held = [r for r in self.refused if r.rule != UNPROTECT]
        allowed = {PROTECTED: allow_protected, POLICY: allow_policy_violations}

        def marked(item: Refused) -> Change:
            """The change with the override it is released by, recorded on it."""
            change = item.change
            if not allowed.get(item.rule) or item.rule in change.overrides:
                return change
            return replace(change, overrides=(*change.overrides, item.rule))

        kept, still = self.guard_rails.check(
            [marked(r) for r in held], allow_protected, allow_policy_violations
        )
        conflict_keys = {r.change.key for r in held if r.change.conflict and not r.change.forced}
        self.changes.extend(c for c in kept if c.key not in conflict_keys)
        self.conflicts.extend(c for c in kept if c.key in conflict_keys)
        self.refused = [r for r in self.refused if r.rule == UNPROTECT] + still

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self):
        return iter(self.changes)

    def summary(self) -> dict[str, int]:
        """Counts per operation: create, update, delete, conflict, invalid, and "refused" when
        the guard rails hold changes back (a policy violation counts as invalid)."""
        from ..guards import POLICY

        counts = Counter(c.op for c in self.changes)
        result = {op: counts.get(op, 0) for op in OPERATIONS}
        result["conflict"] = len(self.conflicts)
        policy = sum(1 for r in self.refused if r.rule == POLICY)
        result["invalid"] = len(self.invalid) + policy
        if len(self.refused) > policy:
            result["refused"] = len(self.refused) - policy
        return result

    @property
    def deletes(self) -> int:
        """How many subprojects the plan deletes."""
        return sum(1 for c in self.changes if c.op == "delete")

    @property
    def updates(self) -> int:
        """How many subprojects the plan updates (the mass-update rule counts them)."""
        return sum(1 for c in self.changes if c.op == "update")

    def raise_if_unsafe(
        self, allow_mass_delete: bool = False, allow_mass_update: bool = False
    ) -> None:
        """The plan's safety rules, written once for every face: more than
        MASS_DELETE_THRESHOLD deletes, or updates of more than MASS_UPDATE_SHARE of the live
        subprojects (in a project of MASS_UPDATE_MIN_PROJECT or more), need permission."""
        from .errors import MassDeleteRefused, MassUpdateRefused

        for name, value in (
            ("allow_mass_delete", allow_mass_delete),
            ("allow_mass_update", allow_mass_update),
        ):
            if not isinstance(value, bool):
                raise ValidationError(name, f"must be True or False, got {value!r}")
        hints = self.hints  # the face's words for the remedy (None: Python's)
        if self.needs_mass_delete_permission and not allow_mass_delete:
            raise MassDeleteRefused(self.deletes, hints.mass_delete if hints else None)
        if self.needs_mass_update_permission and not allow_mass_update:
            raise MassUpdateRefused(
                self.updates, self.live_size or 0, hints.mass_update if hints else None
            )

    def count_live(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        """The project's size from a listing (deleted included) made now: the base of the
        mass-update rule when the plan's own count cannot be trusted (a file, a journal)."""
        self.size = ProjectSize.count(records)

    @property
    def needs_mass_delete_permission(self) -> bool:
        """Whether applying needs `allow_mass_delete=True` (more than the threshold deletes)."""
        from .errors import MASS_DELETE_THRESHOLD

        return self.deletes > MASS_DELETE_THRESHOLD

    @property
    def needs_mass_update_permission(self) -> bool:
        """More than MASS_UPDATE_SHARE of a project of MASS_UPDATE_MIN_PROJECT or more live
        subprojects is updated (unknown when the plan does not know the project's size)."""
        from ..confirm import MASS_UPDATE_MIN_PROJECT, MASS_UPDATE_SHARE

        live = self.live_size
        if live is None or live < MASS_UPDATE_MIN_PROJECT:
            return False
        return self.updates > MASS_UPDATE_SHARE * live

    @classmethod
    def of_creates(
        cls,
        client: SubprojectsClient | None,
        items: Iterable[tuple[Any, str, Mapping[str, str]]],
        *,
        origin: str = "creates",
    ) -> Plan:
        """A plan that creates each `(row, display name, labels)`; rules checked first."""
        changes = []
        for row, name, labels in items:
            checked_name = validate_display_name(name)
            checked = validate_labels(labels)
            changes.append(
                create_change(row=row, key=f"create:{row}", name=checked_name, labels=checked)
            )
        return cls(client, changes, origin=origin)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per changed field (operation, subprojectId, displayName, field, before, ...)."""
        from .render import plan_rows

        rows = plan_rows(self)
        frame = pd.DataFrame(rows, columns=PLAN_COLUMNS)
        for name in PLAN_COLUMNS[:-1]:
            frame[name] = frame[name].astype("string")
        return frame

    def apply(
        self,
        workers: int = 8,
        progress: ProgressArg = True,
        journal: Any = None,
        allow_mass_delete: bool = False,
        allow_mass_update: bool = False,
        allow_protected: bool = False,
        allow_policy_violations: bool = False,
    ) -> ApplyResult:
        """Send the changes concurrently and return an ApplyResult (a plan applies once).

        - `workers`: at most this many requests at once (1..64); halved on 429 and grown back
          as calls succeed.
        - `progress`: True for a tqdm.auto bar (a widget in notebooks, text in a terminal)
          with live ok/failed/retrying counts; False for none; or a callable
          `progress(done, total, counts)` called in the calling thread as changes complete,
          where `counts` is a dict with "ok", "failed", "retrying", "pending" and "workers"
          (the current concurrency); at most 10 calls a second, the first and the last always.
          Returning False (or raising KeyboardInterrupt) stops the apply as Ctrl-C does, which
          lets a widget offer a Stop button; other exceptions are logged and the callback is
          dropped.
        - `journal`: None for `.sinch/journal-<time>.jsonl` under the working directory, a path
          (must not exist yet), or False for none. Each change's outcome is appended as it
          completes; `sn.resume(path)` applies what is not done.
        - `allow_mass_delete`: needed when the plan deletes more than 10 subprojects.
        - `allow_mass_update`: needed when it updates more than 30% of the project's live
          subprojects (in a project of 10 or more).
        - `allow_protected` / `allow_policy_violations`: send the refused changes too (deletes
          and renames of protected subprojects / changes that break the label policy); each
          is journaled with its override.

        A saved or loaded plan (`plan.file`) applies once wherever it is applied: it is first
        checked against the server as it is now (`sn.StalePlan` when anything it touches
        moved), and journals next to its file by default (`change.json` ->
        `change.journal.jsonl`); a second apply is `sn.PlanAlreadyApplied`.

        Ctrl-C stops sending: in-flight requests finish, the journal stays consistent and the
        result so far is returned (`result.interrupted`, unsent changes "skipped").
        """
        from .apply import ApplyOptions, apply_plan

        if self.file is not None:
            from .saved import apply_saved as send  # checked against the server first
        else:
            send = apply_plan
        allowed = (allow_mass_delete, allow_mass_update, allow_protected, allow_policy_violations)
        return send(self, ApplyOptions(workers, progress, journal, *allowed))

    # -- plans that travel (planfile.py: the format; saved.py: applying a saved plan) ----------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the plan as a versioned, checksummed JSON file (never a credential or token);
        `sn.load_plan(path)` reviews and applies it later, elsewhere. Returns the path."""
        from .planfile import save_plan

        return save_plan(self, path)

    def to_json(self) -> str:
        """The plan file's text (what `save` writes)."""
        from .planfile import plan_json

        return plan_json(self)

    def to_markdown(self) -> str:
        """The review as Markdown (a table per changed field), for a ticket or a pull request."""
        from .markdown import plan_markdown

        return plan_markdown(self, self.hints or _python_hints())

    def check_fresh(self) -> None:
        """Raise `sn.StalePlan` (nothing sent) when a target moved on the server since the plan
        was made, or a subproject to create now exists with the same name and labels
        (`sn.PlanAlreadyApplied` when its plan file was applied already)."""
        from .saved import check_fresh

        check_fresh(self)

    def replan(self, client: SubprojectsClient | None = None) -> Plan:
        """A new plan from the same intent (each change's new values, its deletes and creates)
        against the server as it is now, for a new review."""
        from .saved import replan

        return replan(self, client)

    def mark_applied(self) -> None:
        """Record that the plan is being applied; `PlanAlreadyApplied` when it already was (a
        plan applies once, whichever path applies it)."""
        from .errors import PlanAlreadyApplied

        if not self._once.claim():
            raise PlanAlreadyApplied(
                "this plan was already applied; applying it again could duplicate its creates. "
                "Use result.failed / result.remaining, sn.resume(journal) or plan again"
            )

    @property
    def applied(self) -> bool:
        """Whether `apply()` was called (a plan applies once)."""
        return self._once.claimed

    @property
    def readiness(self) -> str:
        """What the plan is ready for, decided here for every face to word: "applied" (it was,
        and applies once), "held" (nothing to apply, but conflicts, invalid or refused rows
        held back), "empty" (nothing to apply, nothing held) or "ready"."""
        if self._once.claimed:
            return "applied"
        if self.changes:
            return "ready"
        return "held" if self.conflicts or self.invalid or self.refused else "empty"

    def _repr_html_(self) -> str:
        from .render import PYTHON_HINTS, plan_html

        return plan_html(self, self.hints or PYTHON_HINTS)

    def __str__(self) -> str:
        from .render import PYTHON_HINTS, plan_text

        return plan_text(self, self.hints or PYTHON_HINTS)

    __repr__ = __str__


# -- building a plan from an edited frame -----------------------------------------------------


@dataclass
class _Columns:
    """Which columns of the edited frame mean what."""

    ids: str | None = None
    name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # key -> column
    label_dicts: str | None = None
    delete: str | None = None
    deleted: str | None = None
    update_time: str | None = None
    ignored: list[str] = field(default_factory=list)


_KNOWN = {
    "subprojectId": "ids",
    "displayName": "name",
    "labels": "label_dicts",
    "delete": "delete",
    "deleted": "deleted",
    "updateTime": "update_time",
}
_READ_ONLY = {"parentProjectId", "createTime"}


def _read_columns(edited: Any) -> _Columns:
    """Frame-level checks, before any request: the frame's shape must make sense."""
    if not isinstance(edited, pd.DataFrame):
        raise ValidationError(
            "edited",
            f"must be a pandas DataFrame (from client.frame()), got {type(edited).__name__}",
        )
    if isinstance(edited.columns, pd.MultiIndex):
        raise ValidationError("edited", "must have flat column names, not a MultiIndex")
    names = list(edited.columns)
    dupes = sorted({str(n) for n, count in Counter(names).items() if count > 1})
    if dupes:
        raise ValidationError("columns", f"each column must appear once; duplicated: {dupes}")
    cols = _Columns()
    for name in names:
        if not isinstance(name, str):
            cols.ignored.append(str(name))
        elif name in _KNOWN:
            setattr(cols, _KNOWN[name], name)
        elif name.startswith(LABEL_PREFIX):
            try:
                key = validate_label_key(name[len(LABEL_PREFIX) :], name)
            except ValidationError as err:
                raise ValidationError(name, f"a label key {err.rule}") from None
            cols.labels[key] = name
        elif name not in _READ_ONLY:
            cols.ignored.append(name)
    if cols.ids is None and cols.name is None:
        raise ValidationError(
            "edited",
            "needs a subprojectId column (to update or delete) or a displayName column (to create)",
        )
    if cols.labels and cols.label_dicts is not None:
        raise ValidationError(
            "labels", "give either a labels column of dicts or label.<key> columns, not both"
        )
    return cols


def _row_name(row: Any) -> str:
    return str(row) if isinstance(row, (int, str)) else repr(row)


class _Differ:
    """Walks the edited frame row by row and sorts each row into a change, conflict or invalid."""

    def __init__(
        self,
        edited: pd.DataFrame,
        cols: _Columns,
        server: dict[str, dict[str, Any]],
        force: bool,
    ) -> None:
        self.cols = cols
        self.server = server
        self.force = force
        self.rows = list(edited.index)

        def values(column: str | None) -> list[Any] | None:
            return None if column is None else edited[column].tolist()

        self.ids = values(cols.ids)
        self.names = values(cols.name)
        self.delete = values(cols.delete)
        self.deleted = values(cols.deleted)
        self.times = values(cols.update_time)
        self.label_dicts = values(cols.label_dicts)
        self.labels = {key: edited[col].tolist() for key, col in sorted(cols.labels.items())}
        self.changes: list[Change] = []
        self.conflicts: list[Change] = []
        self.invalid: list[Invalid] = []
        self.unchanged = 0

    def run(self) -> None:
        ids = self._normalized_ids()
        seen = Counter(sid for sid in ids if isinstance(sid, str))
        where: dict[str, list[str]] = {}
        for i, sid in enumerate(ids):
            if isinstance(sid, str) and seen[sid] > 1:
                where.setdefault(sid, []).append(_row_name(self.rows[i]))
        for i, sid in enumerate(ids):
            if isinstance(sid, CellError):
                self._invalid(i, None, f"subprojectId: {sid}")
            elif sid is None:
                self._create(i)
            elif seen[sid] > 1:
                rows = ", ".join(where[sid])
                self._invalid(i, sid, f"subprojectId appears {seen[sid]} times (rows {rows})")
            elif sid not in self.server:
                self._invalid(i, sid, "unknown subprojectId: no such subproject in this project")
            else:
                self._existing(i, sid, self.server[sid])

    def _normalized_ids(self) -> list[str | CellError | None]:
        if self.ids is None:
            return [None] * len(self.rows)
        out: list[str | CellError | None] = []
        for value in self.ids:
            try:
                out.append(to_text(value))
            except CellError as err:
                out.append(err)
        return out

    def _invalid(
        self, i: int, sid: str | None, reason: str, name: str | None = None, op: str | None = None
    ) -> None:
        if name is None and self.names is not None:
            try:
                name = to_text(self.names[i])
            except CellError:
                name = None
        if name is None and sid in self.server:
            name = self.server[sid].get("displayName")
        self.invalid.append(Invalid(reason, self.rows[i], sid, name, op))

    def _cell(self, column: list[Any] | None, i: int) -> Any:
        return None if column is None else column[i]

    # -- one row -----------------------------------------------------------------------------

    def _existing(self, i: int, sid: str, record: dict[str, Any]) -> None:
        problems: list[str] = []
        server_name = str(record.get("displayName") or "")
        raw_labels = record.get("labels")
        server_labels = {str(k): str(v) for k, v in (raw_labels or {}).items()}
        server_deleted = bool(record.get("deleted", False))
        delete = self._flag(self.delete, i, "delete", problems)
        self._check_deleted_column(i, server_deleted, problems)
        fields: dict[str, tuple[str | None, str | None]] = {}
        send_name: str | None = None
        send_labels: dict[str, str] | None = None
        if delete:
            if not server_deleted:
                fields["deleted"] = ("false", "true")
        else:
            send_name = self._name_change(i, server_name, fields, problems)
            send_labels = self._label_change(i, server_labels, fields, problems)
            if fields and server_deleted:
                problems.append(self._deleted_reason(i, record))
        if problems:
            self._invalid(i, sid, "; ".join(problems), op="delete" if delete else "update")
            return
        if not fields:
            self.unchanged += 1
            return
        op = "delete" if delete else "update"
        conflict = self._conflict(i, record, problems)
        if problems:
            self._invalid(i, sid, "; ".join(problems), op=op)
            return
        change = change_toward(
            {**record, "subprojectId": sid},
            name=send_name,
            labels=send_labels,
            delete=delete,
            row=self.rows[i],
            conflict=conflict,
        )
        if change is None:
            self.unchanged += 1
            return
        if conflict is not None and not self.force:
            self.conflicts.append(change)
        else:
            self.changes.append(replace(change, forced=self.force))

    def _create(self, i: int) -> None:
        problems: list[str] = []
        if self._flag(self.delete, i, "delete", problems):
            problems.append("delete is set on a row without subprojectId (nothing to delete)")
        deleted = self._cell(self.deleted, i)
        try:
            if truthy(deleted):
                problems.append("deleted: is read-only; a new row cannot be deleted")
        except CellError as err:
            problems.append(f"deleted: {err}")
        name: str | None = None
        try:
            name = to_text(self._cell(self.names, i))
        except CellError as err:
            problems.append(f"displayName: {err}")
        else:
            if name is None:
                problems.append("displayName: is required to create a subproject")
            else:
                try:
                    validate_display_name(name)
                except ValidationError as err:
                    problems.append(str(err))
        fields: dict[str, tuple[str | None, str | None]] = {}
        if name is not None:
            fields["displayName"] = (None, name)
        labels = self._label_change(i, {}, fields, problems)
        if problems:
            self._invalid(i, None, "; ".join(problems), name=name, op="create")
            return
        assert name is not None  # a create without a name is invalid (above)
        self.changes.append(
            create_change(row=self.rows[i], key=f"create:{i}", name=name, labels=labels or {})
        )

    # -- parts of a row ----------------------------------------------------------------------

    def _flag(self, column: list[Any] | None, i: int, name: str, problems: list[str]) -> bool:
        return _parsed(truthy, self._cell(column, i), problems, name) or False

    def _check_deleted_column(self, i: int, server_deleted: bool, problems: list[str]) -> None:
        value = self._cell(self.deleted, i)
        if is_missing(value):
            return
        wanted = _parsed(truthy, value, problems, "deleted")
        if wanted is None or wanted == server_deleted:
            return
        if server_deleted:
            problems.append(self._deleted_reason(i, self.server_record(i)))
        else:
            problems.append(
                "deleted: is read-only (use a `delete` column to delete; there is no undelete)"
            )

    def server_record(self, i: int) -> dict[str, Any]:
        sid = to_text(self.ids[i]) if self.ids is not None else None
        return self.server.get(sid or "", {})

    def _deleted_reason(self, i: int, record: dict[str, Any]) -> str:
        """Why a row cannot change a subproject that is deleted on the server."""
        try:
            seen = to_timestamp(self._cell(self.times, i))
        except CellError:
            seen = None
        if seen is not None and not same_version(seen, record.get("updateTime")):
            return "deleted on the server since this frame was read (there is no undelete)"
        return "the subproject is deleted (there is no undelete)"

    def _name_change(
        self,
        i: int,
        server_name: str,
        fields: dict[str, tuple[str | None, str | None]],
        problems: list[str],
    ) -> str | None:
        if self.names is None:
            return None
        cell = self.names[i]
        new = _new_value(cell, server_name, "displayName", problems)
        if new is _SAME:
            return None
        if new is None:
            problems.append(f"displayName: is required ({NAME_LIMIT}), got an empty value")
            return None
        if _parsed(validate_display_name, new, problems) is None:
            return None
        fields["displayName"] = (server_name, new)
        return new

    def _label_change(
        self,
        i: int,
        server_labels: dict[str, str],
        fields: dict[str, tuple[str | None, str | None]],
        problems: list[str],
    ) -> dict[str, str] | None:
        """The full new label map when any label changes (None when none does)."""
        new_labels = dict(server_labels)
        changed_any = False
        if self.label_dicts is not None:
            wanted = _parsed(to_label_map, self.label_dicts[i], problems, "labels")
            if wanted is None:
                return None
            cells: dict[str, Any] = {}
            for key, value in wanted.items():
                if not isinstance(key, str):
                    problems.append(f"labels: key {key!r} must be a string")
                    return None
                cells[key] = value
            for key in server_labels:
                cells.setdefault(key, None)
        else:
            cells = {key: column[i] for key, column in self.labels.items()}
        for key in sorted(cells):
            cell = cells[key]
            before = server_labels.get(key)
            new = _new_value(cell, before, f"{LABEL_PREFIX}{key}", problems)
            if new is _SAME:
                continue
            changed_any = True
            fields[f"{LABEL_PREFIX}{key}"] = (before, new)
            if new is None:
                new_labels.pop(key, None)
            else:
                new_labels[key] = new
        if not changed_any:
            return None
        return _parsed(validate_labels, new_labels, problems)

    def _conflict(self, i: int, record: dict[str, Any], problems: list[str]) -> str | None:
        if self.times is None:
            return None
        seen = _parsed(to_timestamp, self.times[i], problems, "updateTime")
        if seen is None:
            return None
        if same_version(seen, record.get("updateTime")):
            return None
        return changed_on_server(record.get("updateTime"), seen, "this frame was read")


def _parsed(parse: Callable[[Any], Any], value: Any, problems: list[str], field: str = "") -> Any:
    """`parse(value)`, or None when the value breaks a rule: then `problems` says which (after
    "field: " when the rule's words do not name the field themselves)."""
    try:
        return parse(value)
    except (CellError, ValidationError) as err:
        problems.append(f"{field}: {err}" if field else str(err))
        return None


_SAME: Any = object()  # a cell that leaves its value as the server has it


def _new_value(cell: Any, before: str | None, field: str, problems: list[str]) -> Any:
    """What `cell` sets `field` to (None: removed), or `_SAME`; a cell that breaks a rule is a
    problem (and changes nothing)."""
    if type(cell) is str and cell == before:
        return _SAME
    try:
        changed, new = resolve(cell, before)
    except CellError as err:
        problems.append(f"{field}: {err}")
        return _SAME
    return new if changed else _SAME


def make_plan(
    client: SubprojectsClient,
    edited: pd.DataFrame,
    *,
    force: bool = False,
    server: dict[str, dict[str, Any]] | None = None,
    allow_protected: bool = False,
    allow_policy_violations: bool = False,
) -> Plan:
    """Compare `edited` with the server and return the Plan (nothing is sent).

    `force=True` applies conflicting rows anyway (the frame wins). Frame-level problems raise
    `sn.ValidationError` before any request; row-level ones are listed in `plan.invalid`.
    Deleting or renaming a protected subproject, and changes that break the label policy, are
    refused (`plan.refused`) unless `allow_protected=True` / `allow_policy_violations=True`
    (which the plan records on each change it lets through).
    `server` is a listing already read (`client.records()`), to plan again without reading the
    account again; apply's last-moment check still catches anything changed since.
    """
    if not isinstance(force, bool):
        raise ValidationError("force", f"must be True or False, got {force!r}")
    cols = _read_columns(edited)
    if server is None:
        server = client.records()
    differ = _Differ(edited, cols, server, force)
    differ.run()
    return Plan(
        client,
        differ.changes,
        conflicts=differ.conflicts,
        invalid=differ.invalid,
        unchanged=differ.unchanged,
        ignored_columns=cols.ignored,
        server_size=len(server),
        live_size=sum(1 for record in server.values() if not record.get("deleted")),
        allow_protected=allow_protected,
        allow_policy_violations=allow_policy_violations,
    )


def replan_rows(
    plan: Plan,
    edited: pd.DataFrame,
    rows: Iterable[Any],
    server: dict[str, dict[str, Any]],
    *,
    force: bool = False,
) -> Plan | None:
    """`plan` with only `rows` (index labels of `edited`) planned again against `server`.

    Why: one edited cell of a 10,000-row frame should not cost a plan of every row. Only rows
    whose outcome depends on nothing but themselves qualify: a known `subprojectId` appearing
    once, not invalid before (a duplicate id or a frame-level problem is judged across rows).
    Returns None when a full plan is needed instead (`make_plan(..., server=server)`).
    """
    wanted = list(rows)
    if not wanted or any(i.row in wanted for i in plan.invalid):
        return None
    cols = _read_columns(edited)
    if cols.ids is None or list(cols.ignored) != list(plan.ignored_columns):
        return None
    if not edited.index.is_unique or any(row not in edited.index for row in wanted):
        return None
    ids = {row: _id_text(value) for row, value in edited[cols.ids].items()}
    seen = Counter(ids.values())
    for row in wanted:
        sid = ids[row]
        if sid is None or sid not in server or seen[sid] != 1:
            return None
    again = make_plan(plan.client, edited.loc[wanted], force=force, server=server)

    def kept(items: Iterable[Any]) -> list[Any]:
        return [item for item in items if item.row not in wanted]

    def kept_refused() -> list[Refused]:
        return [r for r in plan.refused if r.change.row not in wanted]

    before = {c.row for c in plan.changes} | {c.row for c in plan.conflicts}
    before |= {r.change.row for r in plan.refused}
    was_unchanged = sum(1 for row in wanted if row not in before)
    return Plan(
        plan.client,
        kept(plan.changes) + again.changes,
        conflicts=kept(plan.conflicts) + again.conflicts,
        invalid=list(plan.invalid) + again.invalid,
        unchanged=plan.unchanged - was_unchanged + again.unchanged,
        ignored_columns=plan.ignored_columns,
        server_size=len(server),
        live_size=again.live_size,
        refused=kept_refused() + again.refused,
    )


def _id_text(value: Any) -> str | None:
    """A `subprojectId` cell as the plan reads it (None: empty or unreadable)."""
    try:
        return to_text(value)
    except CellError:
        return None
