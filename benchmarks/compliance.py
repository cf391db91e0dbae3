"""Checking 100,000 subprojects against a label policy vs listing them.

Goal: the check (`guards.compliance.compliance_frame`: every rule of the policy over every
record, the violations as a DataFrame, the summary) takes at most 0.5x the listing it reads
(`client.records(show_deleted=False)`, what `sn.compliance()` lists) against the same sandbox in
the same run; so `sn.compliance()` costs at most 1.5x a listing. Alternated and repeated,
medians compared. Exits 1 when the goal is missed.

    python benchmarks/compliance.py             # 100,000 subprojects, 5 rounds
    python benchmarks/compliance.py --quick     # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _sandbox import connect, sandbox_process, verdict

from sinch_notebook.guards.compliance import compliance, compliance_frame
from sinch_notebook.guards.policy import parse_policy

GOAL = 0.5
# The example policy, on the demo account's labels: required keys, a list of values, a
# pattern of values and the shape of every key (a tenth or so of the demo breaks it).
POLICY = """\
required: [tier, region, industry]
allowed:
  tier: [starter, business, enterprise]
  region: {pattern: "^((eu|us)-[a-z]+|apac|latam)$"}
keys: {pattern: "^[a-z0-9-]+$"}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds = 2_000, 2
    policy = parse_policy(POLICY, "policy.yaml")

    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    with sandbox_process(args.subprojects) as settings:
        client = connect(settings)
        listing: list[float] = []
        check: list[float] = []
        whole: list[float] = []
        report = None
        for round_no in range(args.rounds):
            started = time.perf_counter()
            records = client.records(show_deleted=False)
            listing.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = compliance_frame(policy, records.values())
            check.append(time.perf_counter() - started)
            started = time.perf_counter()
            compliance(policy, client)
            whole.append(time.perf_counter() - started)
            print(
                f"round {round_no + 1}: listing {listing[-1]:.3f} s, check {check[-1]:.3f} s, "
                f"sn.compliance() {whole[-1]:.3f} s",
                flush=True,
            )
    summary = report.attrs["summary"] if report is not None else {}
    base, ours, end = (statistics.median(x) for x in (listing, check, whole))
    ratio = ours / base
    print(
        f"checked {summary.get('checked', 0):,} subprojects, {summary.get('violating', 0):,} "
        f"violate the policy ({summary.get('violations', 0):,} violations)"
    )
    print(
        f"median: listing {base:.3f} s, check {ours:.3f} s, sn.compliance() {end:.3f} s; "
        f"ratio check/listing = {ratio:.2f}x (goal <= {GOAL}x); "
        f"sn.compliance()/listing = {end / base:.2f}x"
    )
    return verdict(["check/listing"] if ratio > GOAL else [], args.quick)


if __name__ == "__main__":
    sys.exit(main())
