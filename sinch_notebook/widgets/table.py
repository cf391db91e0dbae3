"""The Browse tab's subprojects as columns, so filtering, sorting and paging 100,000 of them in the
kernel takes milliseconds, not seconds.

Why columns: a list of `Subproject` records filtered with `SubprojectFilter.matches` and sorted
with `sorted()` costs a Python call per row per keystroke (2 s for one letter at 100,000), and the
records themselves take several times the memory of `client.frame()`. Here each field is one
array, label values are category codes per key (a row's label text is made when asked for),
the name filter folds each distinct name once and each id once, and each column's sort order is
computed once (on first use) and then reused by every filter. Cells are made only for the rows
a grid asks for (`cells_of`, through a view: view.py). The rules are the core's
(`filters.SubprojectFilter`, shared with `%sinch list`): the same text folding, the same "name
or id contains", the same label key/value matching; a unit test checks that `select` keeps
exactly what `matches` keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ..filters import SubprojectFilter, fold
from ..models import Subproject

NO_TIME = np.iinfo(np.int64).min  # a missing time sorts first ascending (as the epoch did)
SORT_COLUMNS = ("Name", "Labels", "Updated", "Created", "ID")
DELETED_MARK = " (deleted)"  # after the name of a deleted subproject, in the grid
TIME_CELL_LENGTH = len("2026-04-17 18:24 UTC")
WINDOW_LIMIT = 2_000  # rows: up to this many, cells are made from the codes row by row


def _times(values: list[Any]) -> np.ndarray:
    """RFC 3339 texts -> int64 nanoseconds since the epoch (NO_TIME when missing/unreadable)."""
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    out = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    out[parsed.isna().to_numpy()] = NO_TIME
    return out


def _time_cells(ns: np.ndarray) -> np.ndarray:
    """`2026-04-17 18:24 UTC` for every time (the one format of `display.short_time`)."""
    if not len(ns):
        return np.empty(0, dtype=object)
    text = np.datetime_as_string(ns.view("datetime64[ns]"), unit="m")
    cells = np.char.add(np.char.replace(text, "T", " "), " UTC").astype(object)
    cells[ns == NO_TIME] = ""
    return cells


def _time_of(ns: int) -> datetime | None:
    if ns == NO_TIME:
        return None
    seconds, rest = divmod(int(ns), 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.replace(microsecond=rest // 1000)


@dataclass
class _LabelColumn:
    """One label key: a category code per row (-1 = no such label) and the categories."""

    codes: np.ndarray
    values: list[str]
    folded: list[str]


class SubprojectTable:
    """Every loaded subproject (deleted included) as columns; row numbers are stable until
    `load`, and `upsert` replaces a row in place or appends one."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._sorting = threading.Lock()
        self.load([])

    # -- building -----------------------------------------------------------------------------

    def load(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace everything with `items` (the API's records, as `iter_pages` yields them).

        Each field is read from every record in one pass of its own (a comprehension, not a
        loop with a call per record), and each label key becomes a column of category codes.
        Records without an id are skipped, as `_fields` would.
        """
        rows = [item for item in items if item.get("subprojectId")]
        known = Subproject._KNOWN
        extras = {
            i: {k: v for k, v in item.items() if k not in known}
            for i, item in enumerate(rows)
            if not known.issuperset(item)
        }
        intern: dict[str, str] = {}
        parents = [item.get("parentProjectId") or "" for item in rows]
        maps = [item.get("labels") or {} for item in rows]
        with self._lock:
            self._build(
                _texts([item["subprojectId"] for item in rows]),
                _texts([item.get("displayName") or "" for item in rows]),
                [intern.setdefault(p, p) for p in _texts(parents)],
                [bool(item.get("deleted", False)) for item in rows],
                [item.get("createTime") for item in rows],
                [item.get("updateTime") for item in rows],
                extras,
            )
            self._build_labels([m if type(m) is dict else {} for m in maps])

    def _build(
        self,
        ids: list[str],
        names: list[str],
        parents: list[str],
        deleted: list[bool],
        created: list[Any],
        updated: list[Any],
        extras: dict[int, dict[str, Any]],
    ) -> None:
        n = len(ids)
        self.ids = np.array(ids, dtype=object) if n else np.empty(0, dtype=object)
        self.names = np.array(names, dtype=object) if n else np.empty(0, dtype=object)
        self.parents = np.array(parents, dtype=object) if n else np.empty(0, dtype=object)
        self.deleted = np.array(deleted, dtype=bool)
        self.created = _times(created) if n else np.empty(0, dtype=np.int64)
        self.updated = _times(updated) if n else np.empty(0, dtype=np.int64)
        self.extras = extras
        self._position: dict[str, int] | None = None  # id -> row, made when first needed
        # What the name filter searches: each distinct name folded once (names repeat), and
        # each id folded when first searched.
        codes, uniques = pd.factorize(self.names, use_na_sentinel=False)
        self._name_codes = codes.astype(np.int64, copy=False)
        self._name_code = {name: c for c, name in enumerate(uniques.tolist())}
        self._names_folded = [fold(name) for name in uniques.tolist()]
        self._ids_folded: list[str] | None = None
        self._lengths: dict[str, np.ndarray] | None = None
        self._orders: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._searched: tuple[str, np.ndarray] | None = None
        self._generation = getattr(self, "_generation", 0) + 1  # rows changed: orders are old

    @property
    def position(self) -> dict[str, int]:
        """Row number by id (made on first use: Edit and upserts need it, a listing does not)."""
        with self._lock:
            if self._position is None:
                self._position = {sid: i for i, sid in enumerate(self.ids.tolist())}
            return self._position

    def _build_labels(self, maps: list[dict[Any, Any]]) -> None:
        """One column of category codes per label key (-1: the row has no such label); the
        rows' label text ("k=v, k=v") is made when first needed (see `label_cells`)."""
        self.labels: dict[str, _LabelColumn] = {}
        for key in sorted(set().union(*maps) if maps else ()):
            key = str(key)
            raw = [m.get(key) for m in maps]
            codes, uniques = pd.factorize(np.array(raw, dtype=object), use_na_sentinel=True)
            values = [v if type(v) is str else str(v) for v in uniques.tolist()]
            self.labels[key] = _LabelColumn(
                codes.astype(np.int32), values, [fold(v) for v in values]
            )
        self._label_cells: np.ndarray | None = None

    @property
    def label_cells(self) -> np.ndarray:
        """Each row's labels as the grid shows them (`display.labels_text`), made once per change
        of rows: per distinct combination of labels (there are far fewer than rows)."""
        with self._lock:
            if self._label_cells is None:
                self._label_cells = self._labels_text(np.arange(len(self)), distinct=True)
            return self._label_cells

    def _labels_text(self, rows: np.ndarray, *, distinct: bool = False) -> np.ndarray:
        """The label text of `rows`; `distinct`: worked out per distinct combination."""
        keys = sorted(self.labels)  # labels_text's order: by key
        if not keys or not len(rows):
            return np.full(len(rows), "", dtype=object)
        codes = np.stack([self.labels[k].codes[rows] for k in keys], axis=1)
        inverse = None
        radix = [len(self.labels[k].values) + 1 for k in keys]
        if distinct and float(np.prod(radix, dtype=float)) < 2**62:
            # each row's combination as one number (mixed radix), so finding the distinct
            # ones is a 1-D unique, then the numbers are turned back into codes
            number = np.zeros(len(rows), np.int64)
            for n, size in enumerate(radix):
                number = number * size + (codes[:, n] + 1)
            distinct_numbers, inverse = np.unique(number, return_inverse=True)
            codes = np.empty((len(distinct_numbers), len(keys)), np.int64)
            for n in range(len(keys) - 1, -1, -1):
                distinct_numbers, digit = np.divmod(distinct_numbers, radix[n])
                codes[:, n] = digit - 1
        elif distinct:
            codes, inverse = np.unique(codes, axis=0, return_inverse=True)
        columns = [self.labels[k].values for k in keys]
        texts = np.array(
            [
                ", ".join(
                    f"{key}={column[c]}"
                    for key, column, c in zip(keys, columns, combo, strict=True)
                    if c >= 0
                )
                for combo in codes.tolist()
            ],
            dtype=object,
        )
        return texts if inverse is None else texts[inverse.reshape(-1)]

    def upsert(self, subproject: Subproject) -> None:
        """Show one subproject created or changed here without reloading: its row is replaced
        in place (or appended), and only the caches that row can change are dropped."""
        item = subproject.to_dict()
        fields = _fields(item)
        if fields is None:
            return
        sid, name, parent, labels, create, update, gone = fields
        extra = dict(subproject.extra)
        with self._lock:
            i = self.position.get(sid)
            if i is None:
                i = len(self)
                self.position[sid] = i
                self.ids = np.append(self.ids, np.array([sid], dtype=object))
                self.names = np.append(self.names, np.array([name], dtype=object))
                self.parents = np.append(self.parents, np.array([parent], dtype=object))
                self.deleted = np.append(self.deleted, gone)
                self.created = np.append(self.created, np.int64(NO_TIME))
                self.updated = np.append(self.updated, np.int64(NO_TIME))
                self._name_codes = np.append(self._name_codes, np.int64(0))
                if self._ids_folded is not None:
                    self._ids_folded.append(fold(sid))
                for column in self.labels.values():
                    column.codes = np.append(column.codes, np.int32(-1))
            self.names[i], self.parents[i], self.deleted[i] = name, parent, gone
            self.created[i], self.updated[i] = _times([create, update])
            code = self._name_code.get(name)
            if code is None:
                code = self._name_code[name] = len(self._names_folded)
                self._names_folded.append(fold(name))
            self._name_codes[i] = code
            if extra:
                self.extras[i] = extra
            else:
                self.extras.pop(i, None)
            for column in self.labels.values():
                column.codes[i] = -1
            for key, value in labels.items():
                column = self.labels.get(key)
                if column is None:
                    column = self.labels[key] = _LabelColumn(
                        np.full(len(self), -1, np.int32), [], []
                    )
                if value not in column.values:
                    column.values.append(value)
                    column.folded.append(fold(value))
                column.codes[i] = column.values.index(value)
            self._lengths = None
            self._label_cells = None
            self._orders = {}
            self._searched = None
            self._generation += 1

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def record(self, i: int) -> Subproject:
        """Row `i` as a `Subproject` (what Edit, export and code get)."""
        i = int(i)
        labels = {
            key: column.values[column.codes[i]]
            for key, column in self.labels.items()
            if column.codes[i] >= 0
        }
        return Subproject(
            subproject_id=self.ids[i],
            display_name=self.names[i],
            parent_project_id=self.parents[i],
            labels=labels,
            create_time=_time_of(self.created[i]),
            update_time=_time_of(self.updated[i]),
            deleted=bool(self.deleted[i]),
            extra=dict(self.extras.get(i, {})),
        )

    def get(self, subproject_id: str) -> Subproject | None:
        """The row of `subproject_id` as a `Subproject` (None when it is not loaded)."""
        with self._lock:
            i = self.position.get(subproject_id)
            return None if i is None else self.record(i)

    def label_keys(self) -> list[str]:
        return sorted(self.labels)

    def live(self) -> int:
        return int(len(self) - self.deleted.sum())

    # -- filtering ----------------------------------------------------------------------------

    def select(self, wanted: SubprojectFilter) -> np.ndarray:
        """A mask of the rows `wanted.matches` keeps (the same rules, over whole columns)."""
        with self._lock:
            n = len(self)
            mask = np.ones(n, dtype=bool) if wanted.show_deleted else ~self.deleted
            if wanted.ids is not None:
                mask &= np.isin(self.ids, list(wanted.ids))
            text = fold(wanted.text)
            if text:
                mask &= self._contains(text)
            key, value = fold(wanted.label_key), fold(wanted.label_value)
            if key or value:
                mask &= self._label_mask(key, value)
            for k, v in wanted.labels.items():
                mask &= self._label_mask(fold(k), fold(v))
            return mask

    def _contains(self, text: str) -> np.ndarray:
        """Rows whose folded name or id contains `text`: names are searched once per distinct
        name (then spread to rows by their codes), ids row by row. Typing refines: when the
        text extends the previous search, only the ids that search found are looked at again."""
        named = np.fromiter((text in name for name in self._names_folded), bool)
        mask = named[self._name_codes] if len(named) else np.zeros(len(self), dtype=bool)
        if self._ids_folded is None:
            self._ids_folded = [fold(sid) for sid in self.ids.tolist()]
        ids = self._ids_folded
        previous = self._searched
        if previous is not None and previous[0] in text:
            hits = np.fromiter((i for i in previous[1].tolist() if text in ids[i]), np.int64)
        else:
            hits = np.fromiter((i for i, sid in enumerate(ids) if text in sid), np.int64)
        self._searched = (text, hits)
        mask[hits] = True
        return mask

    def _label_mask(self, key: str, value: str) -> np.ndarray:
        """Rows with a label whose folded key is `key` (any key when empty) and whose folded
        value contains `value` (any value when empty)."""
        mask = np.zeros(len(self), dtype=bool)
        for name, column in self.labels.items():
            if key and fold(name) != key:
                continue
            if value:
                codes = [c for c, text in enumerate(column.folded) if value in text]
                if codes:
                    mask |= np.isin(column.codes, codes)
            else:
                mask |= column.codes >= 0
        return mask

    # -- sorting and showing ------------------------------------------------------------------

    def order(self, column: str, descending: bool) -> np.ndarray:
        """Every row number in `column`'s order (stable: ties keep load order both ways).

        Worked out once per column, outside the lock (so a filter never waits for a sort being
        prepared in the background), and kept unless a row changed meanwhile.
        """
        key = f"{column} descending" if descending else column
        with self._lock:
            found = self._orders.get(key)
        if found is not None:
            return found[0]
        with self._sorting:  # one sort at a time: asked for twice (Browse and the background)
            with self._lock:  # it is worked out once, and the second asker takes it
                found = self._orders.get(key)
                known = self._orders.get(column)  # the ascending order: its ranks serve both
                generation = self._generation
            if found is not None:
                return found[0]
            ascending, rank = known if known is not None else self._sort(column)
            result = np.argsort(-rank, kind="stable") if descending else ascending
            with self._lock:
                if self._generation == generation:
                    self._orders[key] = (result, rank)
            return result

    def prepare_orders(self) -> None:
        """Work out every column's order now (Browse does it in the background after a load,
        so the first click on a header does not pay for it)."""
        for column in ("ID", "Updated", "Created", "Labels", "Name"):  # Name uses ID's ranks
            for descending in (False, True):
                self.order(column, descending)

    def _sort(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The ascending order and each row's rank (equal keys, equal rank), as `sorted()` with
        the column's key would order them: names ignoring case then by id, labels by their
        text, times oldest first (a missing time first), ids as text."""
        if column == "Name":
            names = _dense_rank(self.names, str.casefold)
            rank = np.empty(len(self), dtype=np.int64)
            order = np.lexsort((self._id_rank(), names))  # (name, id): unique
            rank[order] = np.arange(len(self))
            return order, rank
        if column == "ID":
            rank = self._id_rank()
        elif column == "Labels":
            rank = _dense_rank(self.label_cells)
        elif column in ("Updated", "Created"):
            rank = np.unique(
                self.updated if column == "Updated" else self.created, return_inverse=True
            )[1]
        else:
            raise ValueError(f"no column {column!r}; the columns are {', '.join(SORT_COLUMNS)}")
        return np.argsort(rank, kind="stable"), rank

    def _id_rank(self) -> np.ndarray:
        with self._lock:
            found = self._orders.get("ID")
        return found[1] if found is not None else _dense_rank(self.ids)

    def lengths_of(self, column: str) -> np.ndarray:
        """The length of every row's cell in `column` (worked out once per change of rows; a
        view indexes it to find its longest texts without reading them)."""
        with self._lock:
            found = self._lengths.get(column) if self._lengths is not None else None
            if found is not None:
                return found
            if column == "Name":
                found = np.fromiter(map(len, self.names), np.int64, len(self))
                found[self.deleted] += len(DELETED_MARK)
            elif column == "Labels":  # "k=v" per label, ", " between: from the codes
                found = np.zeros(len(self), np.int64)
                present = np.zeros(len(self), np.int64)
                for key, label in self.labels.items():
                    sizes = np.fromiter(map(len, label.values), np.int64, len(label.values))
                    has = label.codes >= 0
                    found[has] += len(key) + 1 + sizes[label.codes[has]]
                    present += has
                found += 2 * np.maximum(present - 1, 0)
            elif column == "ID":
                found = np.fromiter(map(len, self.ids), np.int64, len(self))
            elif column in ("Updated", "Created"):
                times = self.updated if column == "Updated" else self.created
                found = np.where(times == NO_TIME, 0, TIME_CELL_LENGTH).astype(np.int64)
            else:
                raise ValueError(f"no column {column!r}; the columns are {', '.join(SORT_COLUMNS)}")
            if self._lengths is None:
                self._lengths = {}
            self._lengths[column] = found
            return found

    def cells_of(self, rows: np.ndarray) -> list[list[str]]:
        """What the grid shows for `rows` (in that order), one list per row: Name, Labels,
        Updated, Created, ID. Made for these rows only: a grid asks for the rows on screen."""
        with self._lock:
            rows = np.asarray(rows, dtype=np.int64)
            names = self.names[rows].tolist()
            for n in np.flatnonzero(self.deleted[rows]).tolist():
                names[n] = f"{names[n]}{DELETED_MARK}"
            return [
                list(cells)
                for cells in zip(
                    names,
                    self._labels_text(rows).tolist()
                    if self._label_cells is None and len(rows) <= WINDOW_LIMIT
                    else self.label_cells[rows].tolist(),
                    _time_cells(self.updated[rows]).tolist(),
                    _time_cells(self.created[rows]).tolist(),
                    self.ids[rows].tolist(),
                    strict=True,
                )
            ]


def _dense_rank(values: Any, key: Callable[[str], Any] | None = None) -> np.ndarray:
    """Each value's rank among the distinct values in Python's order of `key(value)` (equal
    keys, equal rank): the distinct values are few for names and labels (a few thousand at
    100,000 rows), so `key` runs on those and the sort sorts those, not every row."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    keys = list(uniques) if key is None else [key(u) for u in uniques]
    if key is None:  # distinct values: their order is their rank
        by_value = sorted(range(len(keys)), key=keys.__getitem__)
        rank_of = np.empty(len(keys), dtype=np.int64)
        rank_of[by_value] = np.arange(len(keys))
    else:  # distinct values may share a key
        position = {k: r for r, k in enumerate(sorted(set(keys)))}
        rank_of = np.fromiter(map(position.__getitem__, keys), np.int64, len(keys))
    return rank_of[codes]


def _texts(values: list[Any]) -> list[str]:
    """`values` as text (the API sends text; anything else becomes its text, as `_fields`)."""
    if all(type(v) is str for v in values):
        return values
    return [v if type(v) is str else str(v) for v in values]


def _text_pairs(pairs: tuple[tuple[Any, Any], ...]) -> tuple[tuple[str, str], ...]:
    """One combination's labels as text (checked once per combination, not per row)."""
    if all(type(k) is str and type(v) is str for k, v in pairs):
        return pairs
    return tuple((str(k), str(v)) for k, v in pairs)


def _fields(
    item: Mapping[str, Any],
) -> tuple[str, str, str, dict[str, str], Any, Any, bool] | None:
    """The fields of one API record, as `Subproject.from_api` reads them (None: no id)."""
    sid = item.get("subprojectId")
    if not sid:
        return None
    labels = item.get("labels") or {}
    if not isinstance(labels, dict):
        labels = {}
    elif not all(type(k) is str and type(v) is str for k, v in labels.items()):
        labels = {str(k): str(v) for k, v in labels.items()}
    name = item.get("displayName") or ""
    parent = item.get("parentProjectId") or ""
    return (
        sid if type(sid) is str else str(sid),
        name if type(name) is str else str(name),
        parent if type(parent) is str else str(parent),
        labels,
        item.get("createTime"),
        item.get("updateTime"),
        bool(item.get("deleted", False)),
    )
