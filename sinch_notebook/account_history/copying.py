"""Moving a history into another store (the command line's `history copy` calls this).

Every snapshot of the source is stored again in the target, oldest first, with its own time,
project, API URL and records, so the target's versions are built by the target's own rules
(only what changed adds a version) and its ids follow the same order. A snapshot the target
already holds (same project and time, to the microsecond) is skipped: running it again copies
nothing twice, and an interrupted copy continues where it stopped. Each snapshot is one
transaction of the target, so an interruption never leaves half of one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from .rows import paused_gc
from .store_base import HistoryStore, SnapshotInfo, SnapshotOutOfOrder, format_time


@dataclass(frozen=True)
class CopyResult:
    """What a copy did: snapshots stored in the target, and those it already held."""

    copied: int
    skipped: int

    def line(self, source: HistoryStore, target: HistoryStore) -> str:
        return f"copied {self.copied} snapshots from {source.where} to {target.where}" + (
            f" ({self.skipped} already there)" if self.skipped else ""
        )


def copy_store(
    source: HistoryStore,
    target: HistoryStore,
    progress: bool | Callable[[int, int], Any] = False,
) -> CopyResult:
    """Store every snapshot of `source` in `target` that it does not hold yet (see above).

    `progress`: True for a tqdm bar, or a callback (done, total) after each snapshot.
    """
    if source == target:
        raise ValidationError("to", f"is the store being copied ({source.where})")
    if not source.exists:
        raise ValidationError("from", f"{source.where} holds no history store")
    infos = source.snapshot_infos()
    target.ensure()
    held = {(info.project, format_time(info.time)) for info in target.snapshot_infos()}
    wanted = [i for i in infos if (i.project, format_time(i.time)) not in held]
    report = _progress(progress, len(wanted))
    copied = 0
    try:
        for info in wanted:
            _copy_one(source, target, info)
            copied += 1
            report(copied, len(wanted))
    finally:
        report(None, None)
    return CopyResult(copied, len(infos) - len(wanted))


def _copy_one(source: HistoryStore, target: HistoryStore, info: SnapshotInfo) -> None:
    with paused_gc(), source.reading():
        rows = source.rows(info.id)
        try:
            target.add_rows(info.project, rows, info.time, info.api_url, info.tag)
        except SnapshotOutOfOrder:
            raise ValidationError(
                "to",
                f"{target.where} already holds snapshots of project {info.project} newer than "
                f"snapshot {info.id} of {source.where} (at {format_time(info.time)}): copy "
                "into a store without them",
            ) from None


def _progress(progress: Any, total: int) -> Callable[[int | None, int | None], None]:
    if callable(progress) and not isinstance(progress, bool):

        def call(done: int | None, of: int | None) -> None:
            if done is not None:
                progress(done, of)

        return call
    if not progress:
        return lambda done, of: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="copying snapshots", unit="snapshot", dynamic_ncols=True)

    def update(done: int | None, of: int | None) -> None:
        if done is None:
            bar.close()
        else:
            bar.update(done - bar.n)

    return update
