"""The plots an analyst asks for: the account's size over the snapshots, changes per day by kind.

matplotlib is imported only when a plot is drawn (it is a demo/test extra, not a dependency);
`changes_per_day` itself needs only pandas.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..display import short_time
from ..errors import ValidationError
from ..models import parse_time
from .changes import KINDS, ChangeRow, changes_between
from .store import HistoryStore, open_store
from .timeline import snapshots

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

COLOURS = {
    "created": "#1a7f37",
    "deleted": "#cf222e",
    "renamed": "#9a6700",
    "label added": "#6fdd8b",
    "label removed": "#ff8182",
    "label changed": "#d4a72c",
}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "the history plots need matplotlib: pip install matplotlib "
            "(or pip install 'sinch-notebook[demo]')"
        ) from None
    return plt


def _whole_numbers(axis: Any) -> None:
    """Ticks at whole numbers only (counts and snapshot numbers have no 0.5)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


MAX_DAY_TICKS = 12  # more days than this: every n-th day is named


def _snapshot_axis(ax: Axes, numbers: list[int], times: list[datetime]) -> None:
    """Snapshots by their number (1, 2, 3...), their times said once below: snapshots taken
    seconds apart read as well as a daily series, where a time axis shows "19.32 19.34"."""
    _whole_numbers(ax.xaxis)
    if numbers:
        ax.set_xlim(numbers[0] - 0.5, numbers[-1] + 0.5)
    if times:
        first, last = short_time(times[0]), short_time(times[-1])
        span = first if first == last else f"{first} to {last}"
        ax.set_xlabel(f"snapshot ({span})")


def _day_axis(ax: Axes, days: list[str]) -> None:
    """One slot per day, named by its date: a day's bar stands on its own date, never spread
    over the neighbouring ones."""
    step = max(1, -(-len(days) // MAX_DAY_TICKS))
    positions = list(range(0, len(days), step))
    ax.set_xticks(positions, [days[i] for i in positions])
    ax.set_xlim(-0.75, max(len(days), 1) - 0.25)
    ax.set_xlabel("day (UTC)")


def _project(store: HistoryStore, project: str | None) -> str:
    if project is not None:
        return project
    projects = store.projects()
    if not projects:
        raise ValidationError("store", f"{store.where} has no snapshots yet")
    if len(projects) > 1:
        raise ValidationError(
            "project", f"{store.where} holds several projects ({', '.join(projects)}): pick one"
        )
    return projects[0]


def _dated_changes(store: HistoryStore, project: str) -> Iterator[tuple[datetime, ChangeRow]]:
    """Every change between consecutive snapshots, dated when it happened.

    A creation is dated by its createTime, anything else by the new version's updateTime (a
    delete moves it too); what has no such time gets the time of the snapshot that first shows
    it. Several edits to one subproject between two snapshots count once, as the diff does.
    """
    infos = store.snapshot_infos(project)
    if not infos:
        return
    times = {info.id: info.time for info in infos}
    baseline = infos[0].id
    previous: dict[str, Any] | None = None
    previous_sid = None
    previous_until: int | None = None

    def dated(rows: list[ChangeRow], record: dict[str, Any] | None, seen: int) -> Iterator:
        for row in rows:
            field = "createTime" if row.change == "created" else "updateTime"
            moment = parse_time((record or {}).get(field)) or times.get(seen)
            if moment is not None:
                yield moment, row

    def ended(record: dict[str, Any], until: int | None) -> Iterator:
        if until is not None:  # no longer listed at all from snapshot `until` on
            yield from dated(changes_between(record, None), None, until)

    for first, until, record in store.all_versions(project):
        sid = record["subprojectId"]
        if sid != previous_sid:
            if previous is not None:
                yield from ended(previous, previous_until)
            previous = None
        if previous is None:
            if first != baseline:
                yield from dated(changes_between(None, record), record, first)
        else:
            yield from dated(changes_between(previous, record), record, first)
        previous, previous_sid, previous_until = record, sid, until
    if previous is not None:
        yield from ended(previous, previous_until)


def changes_per_day(store: Any = None, project: str | None = None) -> pd.DataFrame:
    """Changes per UTC day (rows, every day from the first change to the last) and kind
    (columns: created, deleted, renamed, label added, label removed, label changed)."""
    import pandas as pd

    target = open_store(store)
    name = _project(target, project)
    counts: dict[pd.Timestamp, dict[str, int]] = {}
    for moment, row in _dated_changes(target, name):
        day = pd.Timestamp(moment).tz_convert("UTC").normalize()
        counts.setdefault(day, dict.fromkeys(KINDS, 0))[row.change] += 1
    frame = pd.DataFrame.from_dict(counts, orient="index", columns=list(KINDS))
    if len(frame):
        days = pd.date_range(frame.index.min(), frame.index.max(), freq="D")
        frame = frame.reindex(days, fill_value=0)
    frame = frame.astype("int64").sort_index()
    frame.index.name = "day"
    return frame


def plot_account_size(
    store: Any = None, project: str | None = None, ax: Axes | None = None
) -> Axes:
    """Live and deleted subprojects at each snapshot (by its number); returns the Axes."""
    plt = _pyplot()
    target = open_store(store)
    frame = snapshots(target, _project(target, project))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    numbers = list(range(1, len(frame) + 1))
    ax.plot(numbers, frame["live"], marker="o", color="#08519c", label="live")
    ax.plot(numbers, frame["deleted"], marker=".", color="#cf222e", label="deleted")
    ax.set(title="Account size over the snapshots", ylabel="subprojects")
    ax.set_ylim(bottom=0)
    _whole_numbers(ax.yaxis)
    ax.legend(frameon=False)
    _snapshot_axis(ax, numbers, [t.to_pydatetime() for t in frame["time"]])
    return ax


def plot_changes_per_day(
    store: Any = None, project: str | None = None, ax: Axes | None = None
) -> Axes:
    """Changes per day, stacked by kind, one bar on each day's date; returns the Axes."""
    plt = _pyplot()
    frame = changes_per_day(store, project)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    positions = list(range(len(frame)))
    bottom = [0] * len(frame)
    for kind in KINDS:
        values = frame[kind].tolist() if len(frame) else []
        if not any(values):
            continue
        ax.bar(positions, values, bottom=bottom, width=0.6, color=COLOURS[kind], label=kind)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    title = "Changes per day by kind (UTC)" if len(frame) else "Changes per day (none yet)"
    ax.set(title=title, ylabel="changes")
    if len(frame):
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    _whole_numbers(ax.yaxis)
    _day_axis(ax, [day.strftime("%Y-%m-%d") for day in frame.index])
    return ax
