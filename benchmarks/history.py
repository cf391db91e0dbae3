"""Account history at 100,000 subprojects: snapshots and diffs against the listing itself.

Baseline: `client.frame(show_deleted=True)`, the listing an analyst already pays for, against the
same sandbox (in its own process) in the same run. Each round alternates the baseline with:

- a first snapshot into an empty store (every record written),
- a second snapshot of the unchanged account (only a snapshot row is written),
- a diff of a stored snapshot against now (a fresh listing, compared, not stored);

then, after 1,000 label changes, a snapshot of the changed account and a diff of the two stored
snapshots (which reads only the versions that differ). Medians are compared.

Goals (exit 1 when missed): every snapshot and the diff against now <= 1.5x the listing. A
snapshot is a listing plus a comparison and a write, and the listing is most of it: writing
100,000 rows is a few hundred ms of SQLite, comparing them with the stored ones less. The diff
of two stored snapshots <= 0.2x: it must not read the account at all.

Also measured, with no HTTP (records written straight into a store): the size of a year of
daily snapshots of a 10,000-subproject account where 1% of the subprojects change every day
(renames and label edits), 10 are created and 5 deleted, against one snapshot's size.

    python benchmarks/history.py            # 100,000 subprojects, 3 rounds, a year (~2.5 min)
    python benchmarks/history.py --quick    # small smoke run, goals not enforced
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _sandbox import connect, sandbox_process, verdict

import sinch_notebook as sn
from sinch_notebook.sandbox.seed import demo_subprojects

GOAL_FIRST = 2.0
GOAL_SNAPSHOT = 1.5
GOAL_DIFF_NOW = 1.5
GOAL_DIFF_STORED = 0.2
CHANGES = 1_000


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def change_labels(client: sn.SubprojectsClient, count: int, tag: str) -> None:
    frame = client.frame().head(count).copy()
    frame["label.bench"] = tag
    result = client.plan(frame).apply(
        workers=16, progress=False, journal=False, allow_mass_update=True
    )
    if not result.ok or len(result) != count:
        raise SystemExit(f"FAIL: could not make the changes:\n{result}")


def measure_account(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    runs: dict[str, list[float]] = {
        name: []
        for name in (
            "listing",
            "first snapshot",
            "unchanged snapshot",
            "diff against now",
            "changed snapshot",
            "diff of two snapshots",
        )
    }
    with sandbox_process(args.subprojects) as settings:
        client = connect(settings)
        client.frame(show_deleted=True)  # warm up (imports, connections), not measured

        def listing() -> None:
            seconds, frame = timed(lambda: client.frame(show_deleted=True))
            runs["listing"].append(seconds)
            listed.append(len(frame))

        listed: list[int] = []
        store = sn.open_store(tmp / "unused.sqlite")
        for round_no in range(args.rounds):
            if round_no % 2 == 0:
                listing()
            store = sn.open_store(tmp / f"round-{round_no}.sqlite")
            seconds, first = timed(lambda store=store: sn.snapshot(client, store))
            runs["first snapshot"].append(seconds)
            seconds, second = timed(lambda store=store: sn.snapshot(client, store))
            runs["unchanged snapshot"].append(seconds)
            seconds, d = timed(lambda first=first: sn.diff(first, "now", client=client))
            runs["diff against now"].append(seconds)
            if round_no % 2 == 1:
                listing()
            if first.subprojects != listed[-1] or second.changed != 0 or len(d):
                raise SystemExit("FAIL: the snapshots do not match the listing")
            print(
                f"round {round_no + 1}: listing {runs['listing'][-1]:.3f} s, first snapshot "
                f"{seconds_of(runs, 'first snapshot')}, unchanged snapshot "
                f"{seconds_of(runs, 'unchanged snapshot')}, diff against now "
                f"{seconds_of(runs, 'diff against now')}",
                flush=True,
            )
        one_size = store.size()
        for round_no in range(args.change_rounds):
            change_labels(client, args.changes, f"round-{round_no}")
            seconds, changed = timed(lambda: sn.snapshot(client, store))
            runs["changed snapshot"].append(seconds)
            seconds, d = timed(
                lambda changed=changed: sn.diff(changed.previous, changed.id, store=store)
            )
            runs["diff of two snapshots"].append(seconds)
            if len(d) != args.changes or changed.changed != args.changes:
                raise SystemExit(f"FAIL: the diff found {len(d)} changes, not {args.changes}")
            listing()
            print(
                f"after {args.changes:,} label changes: snapshot "
                f"{seconds_of(runs, 'changed snapshot')}, diff of the two snapshots "
                f"{seconds_of(runs, 'diff of two snapshots')}, listing {runs['listing'][-1]:.3f} s",
                flush=True,
            )
        print(
            f"store: {one_size / 1e6:.1f} MB for two snapshots of {args.subprojects:,}; "
            f"{store.size() / 1e6:.1f} MB after {args.change_rounds} more with "
            f"{args.changes:,} changes each"
        )
    return {name: statistics.median(values) for name, values in runs.items()}


def seconds_of(runs: dict[str, list[float]], name: str) -> str:
    return f"{runs[name][-1]:.3f} s"


def simulate_year(days: int, subprojects: int, tmp: Path) -> tuple[int, int]:
    """Write `days` daily snapshots of a churning account; (one snapshot's size, final size)."""
    rng = random.Random(1)
    project = "year-project"
    records = {r["subprojectId"]: r for r in demo_subprojects(subprojects, project, seed=3)}
    store = sn.open_store(tmp / "year.sqlite")
    start = datetime(2026, 1, 1, 6, tzinfo=timezone.utc)
    one = 0
    for day in range(days):
        moment = start + timedelta(days=day)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        if day:
            live = [sid for sid, r in records.items() if not r["deleted"]]
            for sid in rng.sample(live, max(1, len(records) // 100)):
                record = dict(records[sid], updateTime=stamp, labels=dict(records[sid]["labels"]))
                if rng.random() < 0.2:
                    record["displayName"] = record["displayName"] + " (renamed)"
                else:
                    record["labels"]["tier"] = rng.choice(["starter", "business", "enterprise"])
                records[sid] = record
            for sid in rng.sample(live, 5):
                records[sid] = dict(records[sid], deleted=True, updateTime=stamp)
            for record in demo_subprojects(10, project, seed=day + 100):
                records[record["subprojectId"]] = dict(
                    record, createTime=stamp, updateTime=stamp, deleted=False
                )
        store.add_snapshot(project, records.values(), moment)
        if day == 0:
            one = store.size()
    if store.check():
        raise SystemExit(f"FAIL: the simulated store is inconsistent: {store.check()}")
    return one, store.size()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--change-rounds", type=int, default=3)
    parser.add_argument("--changes", type=int, default=CHANGES)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--year-subprojects", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce goals")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds, args.change_rounds, args.changes = 2_000, 2, 1, 50
        args.days, args.year_subprojects = 20, 1_000

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        medians = measure_account(args, tmp)
        started = time.perf_counter()
        one, year = simulate_year(args.days, args.year_subprojects, tmp)
        print(
            f"{args.days} daily snapshots of {args.year_subprojects:,} subprojects (1% changed a "
            f"day, 10 created, 5 deleted): {year / 1e6:.1f} MB; one snapshot {one / 1e6:.2f} MB, "
            f"so full copies would take ~{one * args.days / 1e6:,.0f} MB "
            f"(written in {time.perf_counter() - started:.0f} s)"
        )

    base = medians["listing"]
    goals = {
        "first snapshot": GOAL_FIRST,
        "unchanged snapshot": GOAL_SNAPSHOT,
        "changed snapshot": GOAL_SNAPSHOT,
        "diff against now": GOAL_DIFF_NOW,
        "diff of two snapshots": GOAL_DIFF_STORED,
    }
    print(f"median listing (client.frame(show_deleted=True)): {base:.3f} s")
    missed = []
    for name, goal in goals.items():
        ratio = medians[name] / base
        print(f"ratio {name}/listing = {ratio:.2f}x (goal <= {goal}x)")
        if ratio > goal:
            missed.append(name)
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
