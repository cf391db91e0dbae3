"""The account as code at 100,000 subprojects: dump, load and diff against one listing.

Goals, each against a plain listing of the same account (`client.iter_pages(show_deleted=True)`
into a list) measured in the same run, alternated, medians compared:
- `sn.dump(path)` (listing + the file written) <= 2x a listing;
- `sn.desired(path)` (the file read and checked) <= 1x a listing;
- `sn.desired(path).diff()` of the account against its own dump (the file read, the account
  listed, the plan made) <= 2x a listing.
The clock stops when the call returns: the file is on disk, the diff is ready to show.

    python benchmarks/account_as_code.py            # 100,000 subprojects, 5 rounds
    python benchmarks/account_as_code.py --quick    # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _sandbox import connect, sandbox_process, verdict

import sinch_notebook as sn

GOALS = {"dump": 2.0, "load": 1.0, "diff": 2.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds = 2_000, 2

    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    with tempfile.TemporaryDirectory() as folder, sandbox_process(args.subprojects) as settings:
        os.environ["SINCH_HISTORY"] = str(Path(folder) / "history.sqlite")  # none: no drift
        client = connect(settings)
        path = Path(folder) / "subprojects.yaml"
        sn.dump(path, client)
        runs: dict[str, list[float]] = {"listing": [], "dump": [], "load": [], "diff": []}
        outcome: dict[str, object] = {}
        candidates = {
            "listing": lambda: [r for page in client.iter_pages(show_deleted=True) for r in page],
            "dump": lambda: sn.dump(path, client),
            "load": lambda: sn.desired(path),
            "diff": lambda: sn.desired(path).diff(client),
        }
        for round_no in range(args.rounds):
            order = list(candidates) if round_no % 2 == 0 else list(reversed(candidates))
            for name in order:
                started = time.perf_counter()
                outcome[name] = candidates[name]()
                runs[name].append(time.perf_counter() - started)
            print(
                f"round {round_no + 1}: "
                + ", ".join(f"{name} {runs[name][-1]:.3f} s" for name in candidates),
                flush=True,
            )
    medians = {name: statistics.median(times) for name, times in runs.items()}
    listed = len(outcome["listing"])  # type: ignore[arg-type]
    diff = outcome["diff"]
    print(f"subprojects: {listed:,}; file {path.name}; the diff: {diff.summary_line}")  # type: ignore[union-attr]
    missed = []
    for name, goal in GOALS.items():
        ratio = medians[name] / medians["listing"]
        print(
            f"median: listing {medians['listing']:.3f} s, {name} {medians[name]:.3f} s; "
            f"ratio {name}/listing = {ratio:.2f}x (goal <= {goal}x)"
        )
        if ratio > goal:
            missed.append(f"{name}/listing")
    if not diff.in_sync:  # type: ignore[union-attr]
        print("FAIL: the account differs from its own dump")
        return 1
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
