"""Listing 100,000 subprojects into a DataFrame: client.frame() vs plain requests + json_normalize.

Goal: client.frame() takes at most 1.25x the baseline (plain `requests` paging with a bearer
token, then `pandas.json_normalize`) against the same sandbox in the same run. The two are
alternated and repeated; medians are compared. Exits 1 when the goal is missed.

    python benchmarks/frame_listing.py             # 100,000 subprojects, 5 rounds
    python benchmarks/frame_listing.py --quick     # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pandas as pd
import requests
from _sandbox import connect, sandbox_process, verdict

GOAL = 1.25


def baseline_frame(settings: dict[str, str], session: requests.Session, token: str) -> pd.DataFrame:
    url = f"{settings['SINCH_API_URL']}/v1/projects/{settings['SINCH_PROJECT_ID']}/subprojects"
    params: dict[str, object] = {"pageSize": 1000, "showDeleted": "true"}
    items: list[dict] = []
    while True:
        response = session.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        body = response.json()
        items.extend(body.get("subprojects") or [])
        token_next = body.get("nextPageToken")
        if not token_next:
            break
        params["pageToken"] = token_next
    return pd.json_normalize(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds = 2_000, 2

    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    with sandbox_process(args.subprojects) as settings:
        session = requests.Session()
        token = session.post(
            settings["SINCH_AUTH_URL"],
            data={"grant_type": "client_credentials"},
            auth=(settings["SINCH_KEY_ID"], settings["SINCH_KEY_SECRET"]),
        ).json()["access_token"]
        client = connect(settings)
        runs: dict[str, list[float]] = {"baseline": [], "frame": []}
        shapes = {}
        candidates = {
            "baseline": lambda: baseline_frame(settings, session, token),
            "frame": lambda: client.frame(show_deleted=True),
        }
        for round_no in range(args.rounds):
            order = ["baseline", "frame"] if round_no % 2 == 0 else ["frame", "baseline"]
            for name in order:
                started = time.perf_counter()
                df = candidates[name]()
                runs[name].append(time.perf_counter() - started)
                shapes[name] = df.shape
            print(
                f"round {round_no + 1}: baseline {runs['baseline'][-1]:.3f} s, "
                f"client.frame() {runs['frame'][-1]:.3f} s",
                flush=True,
            )
    base, ours = statistics.median(runs["baseline"]), statistics.median(runs["frame"])
    ratio = ours / base
    print(f"rows: baseline {shapes['baseline']}, client.frame() {shapes['frame']}")
    print(
        f"median: baseline {base:.3f} s, client.frame() {ours:.3f} s; "
        f"ratio frame/baseline = {ratio:.2f}x (goal <= {GOAL}x)"
    )
    if shapes["baseline"][0] != shapes["frame"][0]:
        print("FAIL: the two frames have different row counts")
        return 1
    return verdict(["frame/baseline"] if ratio > GOAL else [], args.quick)


if __name__ == "__main__":
    sys.exit(main())
