"""What a plan file costs: saving and loading a 10,000-change plan, and the stale check before a
saved plan is applied, in a 50,000-subproject project.

The sandbox runs in its own process (`_sandbox.py`). The stale check is one listing of the
project plus a comparison in memory; the goal is that it takes at most 1.5x one plain listing
(`client.records()`, the baseline, measured in the same run), so re-checking a whole plan before
sending costs about what reading the account costs.
Saving and loading are reported with the file's size, against writing the same document as
plain JSON to a file (`json.dumps`, write, fsync) and reading it back (`json.loads`) as the
baselines (goal: each at most 5x, for the checksum, the checks and building the Plan).

    python benchmarks/plan_file.py            # 50,000 subprojects, 10,000 changes (~1 min)
    python benchmarks/plan_file.py --quick    # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _sandbox import connect, sandbox_process, verdict

import sinch_notebook as sn

GOAL_CHECK = 1.5
GOAL_FILE = 5.0


def best(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.changes = 2_000, 400

    with (
        sandbox_process(args.subprojects, seed=1) as env,
        tempfile.TemporaryDirectory() as tmp,
    ):
        client = connect(env)
        frame = client.frame()
        frame = frame[~frame["deleted"]].head(args.changes).copy()
        frame["label.bench"] = "planned"
        plan = client.plan(frame)
        path = Path(tmp) / "change.json"

        save = best(lambda: plan.save(path))
        size = path.stat().st_size
        load = best(lambda: sn.load_plan(path, client=client))
        text = path.read_text()
        document = json.loads(text)
        plain = Path(tmp) / "plain.json"
        write = best(lambda: _write(plain, json.dumps(document, ensure_ascii=False)))
        read = best(lambda: json.loads(plain.read_text(encoding="utf-8")))

        loaded = sn.load_plan(path, client=client)
        listing = best(lambda: client.records(show_deleted=True))
        check = best(loaded.check_fresh)

    print(f"{args.subprojects} subprojects, a plan of {len(plan)} changes, {size / 1e6:.1f} MB")
    print(f"baselines: plain JSON write {write:.3f} s, read {read:.3f} s")
    print(f"save {save:.3f} s: {save / write:.1f}x; load {load:.3f} s: {load / read:.1f}x")
    ratio = check / listing
    print(f"stale check {check:.2f} s vs one listing {listing:.2f} s: {ratio:.2f}x")
    print(f"goals: check <= {GOAL_CHECK}x listing, save and load <= {GOAL_FILE}x plain JSON")
    missed = []
    if ratio > GOAL_CHECK:
        missed.append("stale check/listing")
    if save / write > GOAL_FILE:
        missed.append("save/plain write")
    if load / read > GOAL_FILE:
        missed.append("load/plain read")
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
