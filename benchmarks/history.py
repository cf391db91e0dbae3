"""Account history at 100,000 subprojects: snapshots and diffs against the listing itself.

Baseline: `client.frame(show_deleted=True)`, the listing an analyst already pays for, against the
same sandbox (in its own process) in the same run. Each round alternates the baseline with:

- a first snapshot into an empty store (every record written),
- a second snapshot of the unchanged account (only a snapshot row is written),
- a diff of a stored snapshot against now (a fresh listing, compared, not stored);

then, after 1,000 label changes, a snapshot of the changed account and a diff of the two stored
snapshots (which reads only the versions that differ). Medians are compared.

The same run measures both engines, SQLite and PostgreSQL (`--postgres URL`, else a throwaway
cluster when PostgreSQL is installed; without one only SQLite is measured).

Goals (exit 1 when missed): every SQLite snapshot and the diff against now <= 1.5x the listing; in
PostgreSQL a first snapshot <= 2x SQLite's, an unchanged one <= 1.3x the listing and a diff
against now <= 1.5x it. A
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
GOAL_PG_FIRST = 2.0  # a first snapshot into PostgreSQL, against one into SQLite
GOAL_PG_UNCHANGED = 1.3  # an unchanged snapshot into PostgreSQL, against the listing
GOAL_PG_DIFF = 1.5  # a diff against now of a snapshot in PostgreSQL, against the listing
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


class Stores:
    """Fresh, empty stores of each engine measured: SQLite files, and PostgreSQL databases of
    one server (`--postgres URL`, a superuser's; else a throwaway cluster, as the tests start)."""

    def __init__(self, tmp: Path, postgres: str | None) -> None:
        self.tmp = tmp
        self.admin_url = postgres
        self.cluster: Any = None
        self.made = 0

    def engines(self) -> list[str]:
        if self.admin_url is None:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.pg_cluster import Cluster, bindir

            binaries = bindir()
            if binaries is None:
                print("postgresql: not measured (no server: give --postgres URL)")
                return ["sqlite"]
            self.cluster = Cluster(binaries).start()
            self.admin_url = self.cluster.url()
        return ["sqlite", "postgresql"]

    def new(self, engine: str) -> sn.HistoryStore:
        self.made += 1
        if engine == "sqlite":
            return sn.open_store(self.tmp / f"store-{self.made}.sqlite")
        import psycopg

        name = f"sinch_bench_{self.made}"
        assert self.admin_url is not None
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        return sn.open_store(self.admin_url.rsplit("/", 1)[0] + f"/{name}")

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def measure_account(args: argparse.Namespace, stores: Stores) -> dict[str, float]:
    """Medians by "engine: what" (and "listing")."""
    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    engines = stores.engines()
    names = (
        "first snapshot",
        "unchanged snapshot",
        "diff against now",
        "changed snapshot",
        "diff of two snapshots",
    )
    runs: dict[str, list[float]] = {"listing": []}
    runs |= {f"{engine}: {name}": [] for engine in engines for name in names}
    with sandbox_process(args.subprojects) as settings:
        client = connect(settings)
        client.frame(show_deleted=True)  # warm up (imports, connections), not measured

        def listing() -> None:
            seconds, frame = timed(lambda: client.frame(show_deleted=True))
            runs["listing"].append(seconds)
            listed.append(len(frame))

        listed: list[int] = []
        last: dict[str, sn.HistoryStore] = {}
        for round_no in range(args.rounds):
            if round_no % 2 == 0:
                listing()
            for engine in engines:
                store = last[engine] = stores.new(engine)
                store.ensure()  # an existing, empty store: what cron finds after the first day
                seconds, first = timed(lambda store=store: sn.snapshot(client, store))
                runs[f"{engine}: first snapshot"].append(seconds)
                seconds, second = timed(lambda store=store: sn.snapshot(client, store))
                runs[f"{engine}: unchanged snapshot"].append(seconds)
                seconds, d = timed(lambda first=first: sn.diff(first, "now", client=client))
                runs[f"{engine}: diff against now"].append(seconds)
                if first.subprojects != listed[-1] or second.changed != 0 or len(d):
                    raise SystemExit("FAIL: the snapshots do not match the listing")
            if round_no % 2 == 1:
                listing()
            print(
                f"round {round_no + 1}: listing {runs['listing'][-1]:.3f} s; "
                + "; ".join(
                    f"{engine}: first snapshot {seconds_of(runs, f'{engine}: first snapshot')}, "
                    f"unchanged {seconds_of(runs, f'{engine}: unchanged snapshot')}, diff "
                    f"against now {seconds_of(runs, f'{engine}: diff against now')}"
                    for engine in engines
                ),
                flush=True,
            )
        sizes = {engine: last[engine].size() for engine in engines}
        for round_no in range(args.change_rounds):
            change_labels(client, args.changes, f"round-{round_no}")
            for engine in engines:
                store = last[engine]
                seconds, changed = timed(lambda store=store: sn.snapshot(client, store))
                runs[f"{engine}: changed snapshot"].append(seconds)
                seconds, d = timed(
                    lambda changed=changed, store=store: sn.diff(
                        changed.previous, changed.id, store=store
                    )
                )
                runs[f"{engine}: diff of two snapshots"].append(seconds)
                if len(d) != args.changes or changed.changed != args.changes:
                    raise SystemExit(f"FAIL: the diff found {len(d)} changes, not {args.changes}")
            listing()
            print(
                f"after {args.changes:,} label changes: listing {runs['listing'][-1]:.3f} s; "
                + "; ".join(
                    f"{engine}: snapshot {seconds_of(runs, f'{engine}: changed snapshot')}, "
                    f"diff of the two {seconds_of(runs, f'{engine}: diff of two snapshots')}"
                    for engine in engines
                ),
                flush=True,
            )
        for engine in engines:
            print(
                f"{engine} store: {sizes[engine] / 1e6:.1f} MB for two snapshots of "
                f"{args.subprojects:,}; {last[engine].size() / 1e6:.1f} MB after "
                f"{args.change_rounds} more with {args.changes:,} changes each"
            )
    return {name: statistics.median(values) for name, values in runs.items() if values}


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
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server to measure (a superuser's URL: it creates databases); "
        "default: a throwaway cluster when PostgreSQL is installed",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce goals")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds, args.change_rounds, args.changes = 2_000, 2, 1, 50
        args.days, args.year_subprojects = 20, 1_000

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        stores = Stores(tmp, args.postgres)
        try:
            medians = measure_account(args, stores)
        finally:
            stores.close()
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
        "sqlite: first snapshot": GOAL_FIRST,
        "sqlite: unchanged snapshot": GOAL_SNAPSHOT,
        "sqlite: changed snapshot": GOAL_SNAPSHOT,
        "sqlite: diff against now": GOAL_DIFF_NOW,
        "sqlite: diff of two snapshots": GOAL_DIFF_STORED,
        "postgresql: unchanged snapshot": GOAL_PG_UNCHANGED,
        "postgresql: diff against now": GOAL_PG_DIFF,
        "postgresql: diff of two snapshots": GOAL_DIFF_STORED,
    }
    print(f"median listing (client.frame(show_deleted=True)): {base:.3f} s")
    missed = []
    for name, goal in goals.items():
        if name not in medians:
            continue
        ratio = medians[name] / base
        print(f"ratio {name}/listing = {ratio:.2f}x (goal <= {goal}x)")
        if ratio > goal:
            missed.append(name)
    if "postgresql: first snapshot" in medians:
        ratio = medians["postgresql: first snapshot"] / medians["sqlite: first snapshot"]
        print(
            f"ratio postgresql first snapshot/sqlite first snapshot = {ratio:.2f}x "
            f"(goal <= {GOAL_PG_FIRST}x)"
        )
        if ratio > GOAL_PG_FIRST:
            missed.append("postgresql: first snapshot")
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
