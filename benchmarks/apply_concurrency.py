"""Applying 1,000 updates against a sandbox with 50 ms latency: 16 workers vs 1.

Goal: plan.apply(workers=16) is at least 14x faster than plan.apply(workers=1), both measured
in full in the same run (journal on, as by default; no progress bar). The 16-worker run is
done twice, before and after the 1-worker run, and the median is used. Exits 1 when the goal
is missed.

    python benchmarks/apply_concurrency.py            # 1,000 updates, 50 ms latency (~1.5 min)
    python benchmarks/apply_concurrency.py --quick    # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _sandbox import connect, sandbox_process, verdict

import sinch_notebook as sn

GOAL = 14.0


def timed_apply(client: sn.SubprojectsClient, updates: int, workers: int, tag: str, tmp: Path):
    df = client.frame().head(updates).copy()
    df["label.bench"] = tag
    plan = client.plan(df)
    assert len(plan) == updates, plan.summary()
    started = time.perf_counter()
    result = plan.apply(
        workers=workers,
        progress=False,
        journal=tmp / f"{tag}.jsonl",
        allow_mass_update=True,  # relabelling many on purpose
    )
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"FAIL: the apply did not succeed:\n{result}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.updates, args.latency = 40, 0.01

    seed_count = int(args.updates * 1.2) + 10  # some seeded subprojects are deleted
    with (
        sandbox_process(seed_count, latency=args.latency) as settings,
        tempfile.TemporaryDirectory() as tmp,
    ):
        client = connect(settings)
        times16 = []
        print(f"{args.updates} updates, {args.latency * 1000:.0f} ms latency", flush=True)
        times16.append(timed_apply(client, args.updates, 16, "w16-a", Path(tmp)))
        print(f"16 workers: {times16[-1]:.2f} s", flush=True)
        time1 = timed_apply(client, args.updates, 1, "w1", Path(tmp))
        print(f" 1 worker:  {time1:.2f} s (measured in full)", flush=True)
        times16.append(timed_apply(client, args.updates, 16, "w16-b", Path(tmp)))
        print(f"16 workers: {times16[-1]:.2f} s", flush=True)
    time16 = statistics.median(times16)
    ratio = time1 / time16
    print(
        f"per change: 1 worker {time1 / args.updates * 1000:.1f} ms, "
        f"16 workers {time16 / args.updates * 1000:.1f} ms"
    )
    print(f"speed-up 16 workers vs 1 = {ratio:.1f}x (goal >= {GOAL:.0f}x)")
    return verdict(["speed-up"] if ratio < GOAL else [], args.quick)


if __name__ == "__main__":
    sys.exit(main())
