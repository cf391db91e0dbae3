"""Tab completion of `%sinch` lines in a real IPython shell, with the last listing holding
100,000 subprojects, against IPython's own completion of a Python name in the same shell.

Completion must never make anyone wait: the goal is that each `%sinch` completion (commands,
options, and the ids of a 100,000-row listing, with and without a prefix that needs a full
scan) takes at most as long as IPython completing the builtin prefix `pri` (the baseline,
measured in the same run: the median of 15 rounds each, alternated).

    python benchmarks/completion.py            # 100,000 listed ids (~10 s)
    python benchmarks/completion.py --quick    # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pandas as pd
from _sandbox import verdict
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from sinch_notebook.magic import recent

GOAL = 1.0
ROUNDS = 15


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else ROUNDS
    if args.quick:
        args.ids = 2_000

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_cell("%load_ext sinch_notebook")
    ids = [f"01J{i:023d}" for i in range(args.ids)]
    names = [f"Customer {i} Europe" for i in range(args.ids)]
    recent.remember(pd.DataFrame({"subprojectId": ids, "displayName": names}))
    last = ids[-1]
    cases = {
        "commands (%sinch l)": "%sinch l",
        "options (%sinch list --)": "%sinch list --",
        "ids, no prefix": "%sinch get ",
        "ids, the last one's prefix (a full scan)": f"%sinch get {last}",
    }
    baseline_text = "pri"

    def once(text: str) -> tuple[float, int]:
        started = time.perf_counter()
        with provisionalcompleter():
            found = list(shell.Completer.completions(text, len(text)))
        return time.perf_counter() - started, len(found)

    once(baseline_text)  # warm-up (jedi's first inference)
    times: dict[str, list[float]] = {name: [] for name in [*cases, "baseline"]}
    counts: dict[str, int] = {}
    for _ in range(rounds):
        times["baseline"].append(once(baseline_text)[0])
        for name, text in cases.items():
            seconds, counts[name] = once(text)
            times[name].append(seconds)
    if counts["ids, the last one's prefix (a full scan)"] != 1:
        print(f"FAIL: the full scan found {counts}")
        return 1
    base = statistics.median(times["baseline"])
    print(f"{args.ids:,} listed ids; baseline: IPython completing 'pri' {base * 1000:.1f} ms")
    missed = []
    for name in cases:
        took = statistics.median(times[name])
        ratio = took / base
        print(f"{name}: {took * 1000:.2f} ms, {counts[name]} offered, ratio {ratio:.3f}x")
        if ratio > GOAL:
            missed.append(name)
    worst = max(statistics.median(times[name]) for name in cases) / base
    print(f"ratio completion/baseline: worst {worst:.3f}x (goal <= {GOAL:.1f}x)")
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
