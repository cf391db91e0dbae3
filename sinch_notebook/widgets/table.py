"""The Browse tab's subprojects as columns, so filtering, sorting and paging 100,000 of them in the
kernel takes milliseconds, not seconds.

Why columns: a list of `Subproject` records filtered with `SubprojectFilter.matches` and sorted
with `sorted()` costs a Python call per row per keystroke (2 s for one letter at 100,000), and the
records themselves take several times the memory of `client.frame()`. Here each field is one
array, label values are category codes per key, the text the name filter searches is folded once
at load, and each column's sort order is computed once (on first use) and then reused by every
filter. The rules are the core's (`filters.SubprojectFilter`, shared with `%sinch list`): the
same text folding, the same "name or id contains", the same label key/value matching; a unit test
checks that `select` keeps exactly what `matches` keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ..display import labels_text
from ..filters import SubprojectFilter, fold
from ..models import Subproject

NO_TIME = np.iinfo(np.int64).min  # a missing time sorts first ascending (as the epoch did)
SORT_COLUMNS = ("Name", "Labels", "Updated", "Created", "ID")
_SEP = "\x00"  # between the folded name and id in the searched text (nobody types it)


def _times(values: list[Any]) -> np.ndarray:
    """RFC 3339 texts -> int64 nanoseconds since the epoch (NO_TIME when missing/unreadable)."""
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    out = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    out[parsed.isna().to_numpy()] = NO_TIME
    return out


def time_cells(ns: np.ndarray) -> np.ndarray:
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
        self.load([])

    @property
    def lock(self) -> threading.RLock:
        """Held while the columns change (`upsert`): readers of several columns take it."""
        return self._lock

    # -- building -----------------------------------------------------------------------------

    def load(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace everything with `items` (the API's records, as `iter_pages` yields them).

        One pass over the records keeps only what each row has of its own; rows with the same
        set of labels share one "combination" (at 100,000 customer subprojects there are a few
        thousand), whose label codes and text are worked out once.
        """
        ids: list[str] = []
        names: list[str] = []
        parents: list[str] = []
        deleted: list[bool] = []
        created: list[Any] = []
        updated: list[Any] = []
        combo_of: list[int] = []
        combos: dict[tuple[tuple[str, str], ...], int] = {}
        extras: dict[int, dict[str, Any]] = {}
        intern: dict[str, str] = {}
        known = Subproject._KNOWN
        for item in items:
            if not item.keys() <= known:
                extra = {k: v for k, v in item.items() if k not in known}
                if extra and item.get("subprojectId"):
                    extras[len(ids)] = extra
            fields = _fields(item)
            if fields is None:
                continue
            sid, name, parent, labels, create, update, gone = fields
            ids.append(sid)
            names.append(name)
            parent = intern.setdefault(parent, parent)
            parents.append(parent)
            pairs = tuple(labels.items())
            combo = combos.get(pairs)
            if combo is None:
                combo = combos[pairs] = len(combos)
            combo_of.append(combo)
            created.append(create)
            updated.append(update)
            deleted.append(gone)
        with self._lock:
            self._build(ids, names, parents, deleted, created, updated, extras)
            self._build_labels(list(combos), np.array(combo_of, dtype=np.int64))

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
        self.position = {sid: i for i, sid in enumerate(ids)}
        # The searched text: folded name and id, once (each keystroke only runs `in` over it).
        self.hay = [
            f"{a.strip().casefold()}{_SEP}{b.strip().casefold()}"
            for a, b in zip(names, ids, strict=True)
        ]
        self._display: np.ndarray | None = None
        self._lengths: dict[str, np.ndarray] | None = None
        self._orders: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._searched: tuple[str, np.ndarray] | None = None
        self._generation = getattr(self, "_generation", 0) + 1  # rows changed: orders are old

    def _build_labels(
        self, combos: list[tuple[tuple[str, str], ...]], combo_of: np.ndarray
    ) -> None:
        """Label columns (a code per row per key) and each row's label text, per combination."""
        self.labels: dict[str, _LabelColumn] = {}
        by_key: dict[str, np.ndarray] = {}
        codes: dict[str, dict[str, int]] = {}
        for c, pairs in enumerate(combos):
            for key, value in pairs:
                column = self.labels.get(key)
                if column is None:
                    column = self.labels[key] = _LabelColumn(np.empty(0, np.int32), [], [])
                    by_key[key] = np.full(len(combos), -1, np.int32)
                    codes[key] = {}
                code = codes[key].get(value)
                if code is None:
                    code = codes[key][value] = len(column.values)
                    column.values.append(value)
                    column.folded.append(fold(value))
                by_key[key][c] = code
        for key, column in self.labels.items():
            column.codes = by_key[key][combo_of]
        texts = np.array([labels_text(dict(pairs)) for pairs in combos] + [""], dtype=object)
        self.label_cells = texts[combo_of] if len(combo_of) else np.empty(0, dtype=object)

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
                self.label_cells = np.append(self.label_cells, np.array([""], dtype=object))
                self.hay.append("")
                for column in self.labels.values():
                    column.codes = np.append(column.codes, np.int32(-1))
            self.names[i], self.parents[i], self.deleted[i] = name, parent, gone
            self.created[i], self.updated[i] = _times([create, update])
            self.hay[i] = f"{fold(name)}{_SEP}{fold(sid)}"
            self.label_cells[i] = labels_text(labels)
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
            self._display = None
            self._lengths = None
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
        """Rows whose folded name or id contains `text`. Typing refines: when the text extends
        the previous search, only that search's hits are looked at again."""
        hits: np.ndarray
        previous = self._searched
        if _SEP in text:  # cannot be typed, but must not match across the name/id boundary
            hits = np.fromiter(
                (i for i, h in enumerate(self.hay) if any(text in p for p in h.split(_SEP))),
                dtype=np.int64,
            )
        elif previous is not None and previous[0] in text:
            hay = self.hay
            hits = np.fromiter((i for i in previous[1] if text in hay[i]), dtype=np.int64)
        else:
            hits = np.fromiter((i for i, h in enumerate(self.hay) if text in h), dtype=np.int64)
        self._searched = (text, hits)
        mask = np.zeros(len(self), dtype=bool)
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
            known = self._orders.get(column)  # the ascending order: its ranks serve both ways
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
            names = _dense_rank([name.casefold() for name in self.names])
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

    def lengths(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The length of each cell of `rows` in the columns that wrap (see `cells`)."""
        with self._lock:
            if self._display is None:
                self.cells(rows[:0])
            assert self._lengths is not None
            return {title: lengths[rows] for title, lengths in self._lengths.items()}

    def cells(self, rows: np.ndarray) -> pd.DataFrame:
        """What the grid shows for `rows` (in that order): Name, Labels, Updated, Created, ID.

        The cells of every row are made once (one 2-D array); a view takes its rows from it in
        one step, and the frame wraps that array without copying it again.
        """
        with self._lock:
            if self._display is None:
                names = self.names.copy()
                gone = self.deleted
                names[gone] = [f"{name} (deleted)" for name in self.names[gone]]
                columns = {
                    "Name": names,
                    "Labels": self.label_cells,
                    "Updated": time_cells(self.updated),
                    "Created": time_cells(self.created),
                    "ID": self.ids,
                }
                display = np.empty((len(self), len(SORT_COLUMNS)), dtype=object)
                for n, title in enumerate(SORT_COLUMNS):
                    display[:, n] = columns[title]
                self._display = display
                self._lengths = {
                    title: np.fromiter(map(len, columns[title]), np.int64, len(self))
                    for title in ("Name", "Labels", "Updated", "Created")
                }
            return pd.DataFrame(
                self._display[rows],
                columns=list(SORT_COLUMNS),
                index=pd.RangeIndex(len(rows)),
                dtype=object,  # text as it is: no per-column type inference
                copy=False,
            )


def _dense_rank(values: Any) -> np.ndarray:
    """Each value's rank among the distinct values in Python's order (equal values, equal rank):
    the distinct values are few for names and labels (a few thousand at 100,000 rows), so this
    sorts those, not every row."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    by_value = sorted(range(len(uniques)), key=list(uniques).__getitem__)
    rank_of = np.empty(len(uniques), dtype=np.int64)
    rank_of[by_value] = np.arange(len(uniques))
    return rank_of[codes]


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
