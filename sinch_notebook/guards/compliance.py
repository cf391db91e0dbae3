"""The compliance report: every subproject checked against a label policy (`guards/policy.py`).

    report = sn.compliance()                 # the active policy, the active connection, now
    report.attrs["summary"]                  # checked, violating, coverage of each required key
    sn.compliance(at="2026-11-01")           # as a stored snapshot had it (account history)

One row per violation (subprojectId, displayName, rule, key, value); the summary says how many
subprojects were checked, how many break a rule, and the share of them carrying each required
key. Deleted subprojects are not checked. The `%sinch compliance` command, the CLI's `check`
and the panel's "violations only" filter show this same report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..display import plural
from ..errors import ValidationError
from .policy import Policy, active_policy, load_policy

if TYPE_CHECKING:
    from ..client import SubprojectsClient

COLUMNS = ["subprojectId", "displayName", "rule", "key", "value"]

__all__ = [
    "COLUMNS",
    "compliance",
    "compliance_frame",
    "report_markdown",
    "summary_text",
    "violations_by_id",
]


def resolve_policy(policy: Any, client: Any = None) -> Policy:
    """`policy` (a Policy or a file's path), else the active one; refused when there is none."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, (str, os.PathLike)):
        return load_policy(policy)
    if policy is not None:
        raise ValidationError("policy", f"must be a Policy or a file's path, got {policy!r}")
    found = active_policy(client)
    if found is None:
        raise ValidationError(
            "policy",
            "no policy to check against: pass policy= (a YAML file or sn.policy(path)), or set "
            "%config Sinch.policy, SINCH_POLICY or a profile's policy field",
        )
    return found


def compliance(
    policy: Any = None,
    client: SubprojectsClient | None = None,
    at: Any = None,
    store: Any = None,
) -> pd.DataFrame:
    """Check every live subproject against `policy` (default: the active one) and return one
    row per violation, with `attrs["summary"]` (see `summary_text`).

    `at` reads a stored snapshot (an id, a time, "latest" or a `Snapshot`, from `store` or the
    default history store) instead of listing the account now.
    """
    if at is None:
        if client is None:
            raise ValidationError("client", "give the client whose account to check (or at=)")
        checked = resolve_policy(policy, client)
        records: Iterable[Mapping[str, Any]] = client.records(show_deleted=False).values()
    else:
        from ..account_history.compare import snapshot_at
        from ..account_history.timeline import Snapshot

        snap = at if isinstance(at, Snapshot) else snapshot_at(at, store=store)
        checked = resolve_policy(policy, client)
        records = (r for r in snap.records() if not r.get("deleted"))
    return compliance_frame(checked, records)


def compliance_frame(policy: Policy, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The report of `records` (API records) against `policy`: the one loop every face uses."""
    rows: list[tuple[Any, ...]] = []
    checked = violating = 0
    carrying = dict.fromkeys(policy.required, 0)
    for record in records:
        if record.get("deleted"):
            continue
        checked += 1
        labels = record.get("labels") or {}
        for key in carrying:
            if key in labels:
                carrying[key] += 1
        found = policy.violations(labels)
        if found:
            violating += 1
            sid, name = record.get("subprojectId"), record.get("displayName")
            rows.extend((sid, name, v.rule, v.key, v.value) for v in found)
    frame = pd.DataFrame(rows, columns=COLUMNS).astype("string")
    frame.attrs["summary"] = {
        "policy": policy.source,
        "checked": checked,
        "violating": violating,
        "violations": len(rows),
        "coverage": {key: (n / checked if checked else 1.0) for key, n in carrying.items()},
    }
    return frame


def summary_text(report: pd.DataFrame) -> str:
    """The summary in one line: "Checked 120 subprojects against policy.yaml: 7 violate it
    (9 violations). Coverage: tier 95%, region 100%."."""
    summary = report.attrs.get("summary") or {}
    checked = summary.get("checked", 0)
    violating = summary.get("violating", 0)
    text = f"Checked {plural(checked, 'subproject')} against {summary.get('policy', 'the policy')}"
    if violating:
        text += f": {violating} violate it ({plural(summary.get('violations', 0), 'violation')})."
    else:
        text += ": all comply."
    coverage = summary.get("coverage") or {}
    if coverage:
        text += " Coverage: " + ", ".join(f"{k} {v:.0%}" for k, v in coverage.items()) + "."
    return text


def report_markdown(report: pd.DataFrame) -> str:
    """The report as Markdown: the summary, then a table of the violations (escaped)."""
    from ..bulk.markdown import _md

    lines = [f"**{_md(summary_text(report))}**", ""]
    if len(report):
        lines.append("| " + " | ".join(COLUMNS) + " |")
        lines.append("|" + "---|" * len(COLUMNS))
        for row in report.itertuples(index=False):
            lines.append("| " + " | ".join(_md(None if pd.isna(v) else v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def violations_by_id(report: pd.DataFrame) -> dict[str, str]:
    """Each violating subproject's broken rules in words ("required: region; allowed: tier"),
    for a listing that shows them beside each row (the panel's Browse tab)."""
    out: dict[str, list[str]] = {}
    for sid, rule, key in zip(report["subprojectId"], report["rule"], report["key"], strict=True):
        out.setdefault(str(sid), []).append(f"{rule}: {key}")
    return {sid: "; ".join(rules) for sid, rules in out.items()}
