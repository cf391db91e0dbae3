"""Listing 100,000 subprojects into a DataFrame: client.frame() vs the transfer+parse limit and vs
plain requests + json_normalize.

Two baselines against the same sandbox (in its own process) in the same run, alternated with
`client.frame(show_deleted=True)` round by round (the order rotates), medians compared:

- the limit: the same pages fetched with plain `requests` (bearer token, `pageSize=1000`) and
  parsed with `json.loads`, nothing else: no frame, no checks. `client.frame()` cannot beat it
  by much; goal <= 1.1x (it checks every item, bounds every body and builds the frame);
- naive: the same paging, then `pandas.json_normalize` of every item; goal <= 0.6x.

Exits 1 when a goal is missed.

    python benchmarks/frame_listing.py             # 100,000 subprojects, 5 rounds
    python benchmarks/frame_listing.py --quick     # small smoke run, goal not enforced
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import pandas as pd
import requests
from _sandbox import connect, sandbox_process, verdict

GOAL_LIMIT = 1.1
GOAL_NAIVE = 0.6


def raw_items(settings: dict[str, str], session: requests.Session, token: str) -> list[dict]:
    """Every page fetched and parsed with `json.loads`: the transfer+parse limit."""
    url = f"{settings['SINCH_API_URL']}/v1/projects/{settings['SINCH_PROJECT_ID']}/subprojects"
    params: dict[str, object] = {"pageSize": 1000, "showDeleted": "true"}
    items: list[dict] = []
    while True:
        response = session.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        body = json.loads(response.content)
        items.extend(body.get("subprojects") or [])
        token_next = body.get("nextPageToken")
        if not token_next:
            break
        params["pageToken"] = token_next
    return items


def naive_frame(settings: dict[str, str], session: requests.Session, token: str) -> pd.DataFrame:
    return pd.json_normalize(raw_items(settings, session, token))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce the goal")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds = 2_000, 3

    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    with sandbox_process(args.subprojects) as settings:
        session = requests.Session()
        token = session.post(
            settings["SINCH_AUTH_URL"],
            data={"grant_type": "client_credentials"},
            auth=(settings["SINCH_KEY_ID"], settings["SINCH_KEY_SECRET"]),
        ).json()["access_token"]
        client = connect(settings)
        candidates = {
            "limit": lambda: raw_items(settings, session, token),
            "naive": lambda: naive_frame(settings, session, token),
            "frame": lambda: client.frame(show_deleted=True),
        }
        runs: dict[str, list[float]] = {name: [] for name in candidates}
        rows = {}
        names = list(candidates)
        for round_no in range(args.rounds):
            order = names[round_no % 3 :] + names[: round_no % 3]
            for name in order:
                started = time.perf_counter()
                result = candidates[name]()
                runs[name].append(time.perf_counter() - started)
                rows[name] = len(result)
                del result
            print(
                f"round {round_no + 1}: "
                + ", ".join(f"{name} {runs[name][-1]:.3f} s" for name in names),
                flush=True,
            )
    medians = {name: statistics.median(times) for name, times in runs.items()}
    limit = medians["frame"] / medians["limit"]
    naive = medians["frame"] / medians["naive"]
    print(f"rows: {rows}")
    print("median: " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in medians.items()))
    print(f"ratio frame/limit = {limit:.2f}x (goal <= {GOAL_LIMIT}x)")
    print(f"ratio frame/naive = {naive:.2f}x (goal <= {GOAL_NAIVE}x)")
    if len(set(rows.values())) != 1:
        print("FAIL: the three listings have different row counts")
        return 1
    missed = [
        name for name, bad in (("limit", limit > GOAL_LIMIT), ("naive", naive > GOAL_NAIVE)) if bad
    ]
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
