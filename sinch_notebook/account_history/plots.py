"""The plots an analyst asks for: the account's size over the snapshots, changes per day by kind.

matplotlib is imported only when a plot is drawn (it is a demo/test extra, not a dependency);
`changes_per_day` itself needs only pandas.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

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


def _date_axis(ax: Axes) -> None:
    """Dates that read well whether the snapshots span seconds or years."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _project(store: HistoryStore, project: str | None) -> str:
    if project is not None:
        return project
    projects = store.projects()
    if not projects:
        raise ValidationError("store", f"{store.path} has no snapshots yet")
    if len(projects) > 1:
        raise ValidationError(
            "project", f"{store.path} holds several projects ({', '.join(projects)}): pick one"
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
    """Live and deleted subprojects at each snapshot; returns the matplotlib Axes."""
    plt = _pyplot()
    target = open_store(store)
    frame = snapshots(target, _project(target, project))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(frame["time"], frame["live"], marker="o", color="#08519c", label="live")
    ax.plot(frame["time"], frame["deleted"], marker=".", color="#cf222e", label="deleted")
    ax.set(title="Account size over the snapshots (UTC)", ylabel="subprojects")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    _date_axis(ax)
    return ax


def plot_changes_per_day(
    store: Any = None, project: str | None = None, ax: Axes | None = None
) -> Axes:
    """Changes per day, stacked by kind; returns the matplotlib Axes."""
    plt = _pyplot()
    frame = changes_per_day(store, project)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    import pandas as pd

    days = [day.tz_localize(None) for day in frame.index]  # each bar spans its own day
    bottom = [0] * len(frame)
    for kind in KINDS:
        values = frame[kind].tolist() if len(frame) else []
        if not any(values):
            continue
        ax.bar(
            days, values, bottom=bottom, width=0.8, align="edge", color=COLOURS[kind], label=kind
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    title = "Changes per day by kind (UTC)" if len(frame) else "Changes per day (none yet)"
    ax.set(title=title, ylabel="changes")
    if days:
        ax.set_xlim(days[0] - pd.Timedelta(days=1), days[-1] + pd.Timedelta(days=2))
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    _date_axis(ax)
    return ax
