"""`sinch-notebook check POLICY`: the account against a label policy, in a terminal or a CI job.

Prints the compliance report (`guards/compliance.py`): its summary, then one row per violation,
as text, Markdown (`--markdown`, for a ticket) or CSV (`--csv`, cells neutralized for
spreadsheets). Exit 0 when every subproject complies, 2 when some break a rule and
`--exit-code` is given, 1 on any error (a malformed policy, no credentials, the API). Never
asks; credentials come from `--profile NAME` or `SINCH_*`, as for `apply` and `snapshot`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import SinchError

DESCRIPTION = (
    "Check every live subproject against the label policy in POLICY (YAML): print a summary "
    "(subprojects checked, how many break a rule, the coverage of each required key), then "
    "one row per violation. Exit 0 when all comply, 2 when some do not and --exit-code is "
    "given, 1 on any error. Never asks; credentials from --profile NAME or SINCH_*."
)
EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_VIOLATIONS = 2


def add_check_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        help="check every subproject against a label policy (exit 2 with --exit-code when "
        "some break it)",
        description=DESCRIPTION,
    )
    parser.add_argument("policy", metavar="POLICY", help="the policy file (YAML)")
    parser.add_argument(
        "--profile", metavar="NAME", help="a saved profile (default: SINCH_* or the default one)"
    )
    parser.add_argument(
        "--exit-code", action="store_true", help="exit 2 when a subproject breaks the policy"
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="the report as Markdown")
    form.add_argument("--csv", action="store_true", help="the violations as CSV")
    parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    from ..files import csv_bytes
    from ..guards.compliance import compliance, report_markdown, summary_text
    from ..guards.policy import load_policy
    from .profiles import connect_stored

    try:
        policy = load_policy(args.policy)  # a malformed policy fails before connecting
        report = compliance(policy, connect_stored(args.profile, "check"))
    except SinchError as err:
        print(f"sinch-notebook check: {err}", file=sys.stderr)
        return EXIT_ERROR
    if args.csv:
        sys.stdout.write(csv_bytes(report).decode("utf-8"))
    elif args.markdown:
        print(report_markdown(report), end="")
    else:
        print(summary_text(report))
        if len(report):
            print(report.to_string(index=False))
    violating = report.attrs["summary"]["violating"]
    return EXIT_VIOLATIONS if violating and args.exit_code else EXIT_CLEAN
