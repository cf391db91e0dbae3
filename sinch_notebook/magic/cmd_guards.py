"""Guard-rail commands: `protect ID...` / `unprotect ID...` (reviewed plans that set or remove
the protection label) and `compliance` (the account against the label policy). The rules are
the core's (`guards/`: `rules.py`, `policy.py`, `compliance.py`); this only parses and shows."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import pandas as pd

from ..bulk import Plan
from ..bulk.protection import protection_plan
from ..cli.options import add_options, value
from ..guards.compliance import compliance, summary_text
from .command import Command
from .hints import magic_hints
from .parsing import add_output

if TYPE_CHECKING:
    from .context import Context


def _ids_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="+", help="subproject IDs")
    add_output(parser, "the plan")


def _protection(ctx: Context, args: argparse.Namespace, protect: bool) -> Plan:
    plan = protection_plan(ctx.client(), args.ids, protect=protect)
    plan.hints = magic_hints(plan=args.output)
    ctx.store(args.output, plan)
    return plan


def protect(ctx: Context, args: argparse.Namespace) -> Plan:
    return _protection(ctx, args, True)


def unprotect(ctx: Context, args: argparse.Namespace) -> Plan:
    return _protection(ctx, args, False)


PROTECT_EPILOG = """\
Shows the plan that sets the protection label (protected=true; the key is
%config Sinch.protect_label) on each subproject; apply it as any plan: %sinch protect ID -o p,
then %sinch apply p. Deleting or renaming a protected subproject is then refused everywhere
unless allowed (--allow-protected)."""


POLICY_FILE = value(
    "--policy", metavar="FILE", help="a policy file (default: %%config Sinch.policy)"
)
AT_SNAPSHOT = value(
    "--at",
    metavar="REF",
    help="check a stored snapshot (an id, a time or 'latest') instead of the account now",
)


def _compliance_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, POLICY_FILE, AT_SNAPSHOT)
    add_output(parser, "the report (a DataFrame)")


def compliance_(ctx: Context, args: argparse.Namespace) -> pd.DataFrame:
    at = int(args.at) if args.at and args.at.isdigit() else args.at
    client = ctx.client() if at is None else None
    report = compliance(args.policy, client, at=at)
    print(summary_text(report))
    ctx.store(args.output, report)
    return report


COMMANDS = [
    Command(
        "protect",
        "plan to protect subprojects (refuse their delete or rename)",
        _ids_arguments,
        protect,
        epilog=PROTECT_EPILOG,
    ),
    Command("unprotect", "plan to remove the protection label", _ids_arguments, unprotect),
    Command(
        "compliance",
        "the subprojects that break the label policy",
        _compliance_arguments,
        compliance_,
    ),
]
