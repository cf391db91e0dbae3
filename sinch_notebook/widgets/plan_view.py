"""Plans and results in the panel's words: what will change, what happened, what to click next.

The core renders plans for notebooks and terminals, with hints in code (`plan.apply()`); the
panel has buttons instead, so it shows the same data (`plan.frame`, `result.frame`) in its own
words. Every value is user data, so all of it is escaped; long tables are cut (the frames and
the export hold everything).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from ..bulk import MASS_DELETE_THRESHOLD
from ..bulk.render import COLOURS, Hints, plan_rows
from ..bulk.result import STATUSES
from ..confirm import MASS_UPDATE_SHARE
from ..display import html_table, td, tr
from ..redact import redact
from .common import amount

# The panel has buttons and options, not code: its words for the same steps.
PANEL_HINTS = Hints(
    mass_delete="tick “allow mass delete” to apply it",
    apply="Review it, then Apply.",
    retry_failed="“Retry failed” tries the {n} failed again.",
    resume="“Retry failed” applies what is not done.",
    remaining="“Retry failed” applies what is not done.",
    plan_frame="the export",
    result_frame="the export",
    mass_update="tick “allow mass update” to apply it",
    allow_protected="the panel does not send them (plan.apply(allow_protected=True) in code)",
    allow_policy="the panel does not send them (plan.apply(allow_policy_violations=True) in code)",
)

if TYPE_CHECKING:
    from ..bulk import ApplyResult, Plan

MAX_ROWS = 200


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or str(value) == "<NA>":
        return td("")
    return td(escape(redact(str(value))))


def _table(head: list[str], rows: list[list[Any]], tone: list[str]) -> str:
    body = [
        tr(map(_cell, values), colour)
        for colour, values in zip(tone, rows[:MAX_ROWS], strict=False)
    ]
    more = ""
    if len(rows) > MAX_ROWS:
        more = f"<div>… and {amount(len(rows) - MAX_ROWS, 'more row')} (export shows all)</div>"
    return html_table(head, body, "sn-table") + more


def plan_summary(plan: Plan) -> str:
    """`2 to create, 5 to update, 1 to delete` (only what is there), or `nothing to change`."""
    counts = plan.summary()
    parts = [f"{counts[op]:,} to {op}" for op in ("create", "update", "delete") if counts[op]]
    if counts["conflict"]:
        parts.append(amount(counts["conflict"], "conflict"))
    if counts["invalid"]:
        parts.append(f"{counts['invalid']:,} invalid")
    if counts.get("refused"):
        parts.append(f"{counts['refused']:,} refused")
    return ", ".join(parts) or "nothing to change"


def plan_html(plan: Plan) -> str:
    """The plan: a headline, one row per changed field, and what will not be applied."""
    head = f"<b>Plan:</b> {escape(plan_summary(plan))}"
    if plan.unchanged:
        head += f"; {amount(plan.unchanged, 'row')} unchanged"
    out = [f'<div class="sn-plan">{head}.']
    # The plan's rows in the panel's words (its hints name buttons, never code).
    values = [
        [r.operation, r.display_name, r.field, r.before, r.after, r.reason]
        for r in plan_rows(plan, PANEL_HINTS)
    ]
    if values:
        out.append(
            _table(
                ["change", "name", "field", "before", "after", "note"],
                values,
                [COLOURS.get(str(row[0]), "#000000") for row in values],
            )
        )
    notes = []
    if plan.conflicts:
        notes.append(
            f"{amount(len(plan.conflicts), 'row')} changed on the server since the frame was "
            "read: not applied (make the frame again to edit the new version)."
        )
    if plan.invalid:
        breaks = "breaks" if len(plan.invalid) == 1 else "break"
        notes.append(f"{amount(len(plan.invalid), 'row')} {breaks} a rule: not applied (see note).")
    if plan.refused:  # the guard rails (guards.py): protected subprojects, the label policy
        notes.append(
            f"{amount(len(plan.refused), 'row')} refused by the guard rails: not applied "
            "(see note; plan.apply(allow_protected=True) or allow_policy_violations=True in code)."
        )
    if plan.needs_mass_delete_permission:
        notes.append(
            f"Deletes {plan.deletes:,} subprojects, more than {MASS_DELETE_THRESHOLD} at once: "
            "tick “allow mass delete” to apply it."
        )
    if plan.needs_mass_update_permission:
        notes.append(
            f"Updates {plan.updates:,} of the project's {plan.live_size:,} live subprojects, "
            f"more than {MASS_UPDATE_SHARE:.0%}: tick “allow mass update” to apply it."
        )
    out.extend(f"<div>{escape(n)}</div>" for n in notes)
    out.append("</div>")
    return "".join(out)


def result_summary(result: ApplyResult) -> str:
    """`Applied 9 changes in 0.1 s: 7 ok, 2 failed`."""
    counts = result.counts
    sent = sum(1 for o in result.outcomes if o.status in ("ok", "failed", "unknown"))
    parts = [f"{counts[s]:,} {s}" for s in STATUSES if counts[s]]
    head = f"Applied {amount(sent, 'change')} in {result.elapsed:.1f} s"
    if parts:
        head += ": " + ", ".join(parts)
    if result.interrupted:
        head += " (stopped: the changes not sent are skipped)"
    elif result.stopped:
        head += f" (stopped: {redact(result.stopped)})"
    return head


def result_html(result: ApplyResult) -> str:
    """What happened, and each change that did not succeed with its reason."""
    colour = COLOURS["ok"] if result.ok else COLOURS["failed"]
    out = [
        f'<div class="sn-result"><div style="color:{colour};font-weight:600">'
        f"{escape(result_summary(result))}.</div>"
    ]
    frame = result.frame
    problems = frame[frame["status"] != "ok"]
    if len(problems):
        rows = problems[["status", "operation", "displayName", "http_status", "error"]]
        values = rows.astype(object).where(rows.notna(), None).values.tolist()
        out.append(
            _table(
                ["status", "change", "name", "HTTP", "why"],
                values,
                [COLOURS.get(str(row[0]), "#000000") for row in values],
            )
        )
    if result.failed.changes:
        out.append(
            f"<div>{escape(amount(len(result.failed), 'change'))} can be tried again: "
            "“Retry failed”.</div>"
        )
    out.append("</div>")
    return "".join(out)
