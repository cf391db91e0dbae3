"""What 20 creates of unknown outcome cost in a 50,000-subproject project (every create's answer
lost to a 504 after the backend committed).

Each such create must be looked for before it may be sent again. Looking for one costs a full
listing (the API has no filter), so one listing per create would cost 20 listings. Goal: the
apply's look-ups, all together, cost at most 3 listings' worth of requests, with one listing of
the same project as the baseline measured in the same run (its requests and its time).

The sandbox runs in this process (its fault injection is a Python call), so times include the
server's share; the goal is stated in requests, which are exact.

    python benchmarks/reconcile_cost.py            # 50,000 subprojects, 20 creates (~30 s)
    python benchmarks/reconcile_cost.py --quick    # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd
from _sandbox import verdict

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox

GOAL = 3.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=50_000)
    parser.add_argument("--creates", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.creates = 2_500, 5

    grace = 0.5  # the late commits below land at once; a short grace keeps the run short
    policy = sn.RetryPolicy(retries=4, base=0.01, cap=0.05, commit_grace=grace)
    with Sandbox(subprojects=args.subprojects, seed=1, retry_after=0) as sb:
        client = sb.connect(activate=False, retry=policy)
        sb.reset_stats()
        started = time.perf_counter()
        client.frame(show_deleted=True)
        listing_time = time.perf_counter() - started
        listing_requests = sb.stats["operations"]["list"]

        new = pd.DataFrame([{"displayName": f"Unknown {i}"} for i in range(args.creates)])
        plan = client.plan(new)
        sb.inject(504, method="POST", path_contains="/subprojects", commit=True, times=args.creates)
        sb.reset_stats()
        started = time.perf_counter()
        result = plan.apply(progress=False, journal=False)
        apply_time = time.perf_counter() - started
        lookups = sb.stats["operations"].get("list", 0)
        creates_sent = sb.stats["operations"].get("create", 0)
        made = [r for r in sb.subprojects() if r["displayName"].startswith("Unknown ")]
    if not result.ok or len(made) != args.creates or creates_sent != args.creates:
        print(f"FAIL: not exactly once: {len(made)} made, {creates_sent} sent\n{result}")
        return 1

    ratio = lookups / listing_requests
    print(f"{args.subprojects} subprojects, {args.creates} creates, every answer lost (504)")
    print(f"baseline: one listing = {listing_requests} requests, {listing_time:.2f} s")
    print(
        f"apply: {lookups} listing requests for the look-ups ({apply_time:.2f} s, "
        f"{grace:g} s of it the commit grace); one listing per create would be "
        f"{args.creates * listing_requests}"
    )
    print(f"ratio look-ups/listing = {ratio:.1f}x (goal <= {GOAL:.0f}x)")
    return verdict(["look-ups/listing"] if ratio > GOAL else [], args.quick)


if __name__ == "__main__":
    sys.exit(main())
