"""Plans and results for people: coloured HTML tables in notebooks, plain text in a terminal.

Every value shown is user data (names, labels, server messages), so all of it is HTML-escaped.
Long plans are cut after MAX_ROWS rows; `plan.frame` / `result.frame` always hold everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, NamedTuple

from ..confirm import MASS_DELETE_THRESHOLD, MASS_UPDATE_SHARE
from ..display import cut, has_hidden, html_table, plural, td, tr, visible
from ..models import LABEL_PREFIX

if TYPE_CHECKING:
    from .plan import Change, Invalid, Plan
    from .result import ApplyResult, Outcome


@dataclass(frozen=True)
class Hints:
    """The next steps a plan or a result suggests, in the words of the face showing it."""

    mass_delete: str  # how to allow a mass delete
    apply: str  # how to apply the plan
    retry_failed: str  # "{n}": how many failed
    resume: str  # "{path}": the journal
    remaining: str
    force: str = ""  # how to apply a conflicting row anyway ("": the face has no such step)
    force_all: str = ""  # the same, said of all of them
    plan_frame: str = "the plan's .frame"  # where every row is
    result_frame: str = "the result's .frame"
    mass_update: str = "apply(allow_mass_update=True) is required"
    # how to send changes the guard rails refused (guards.py)
    allow_protected: str = "apply(allow_protected=True) sends them anyway"
    allow_policy: str = "apply(allow_policy_violations=True) sends them anyway"
    replan: str = "plan.replan() makes a new plan from the same intent, for a new review"


# Python: the variable a plan or result is in is unknown, so the hints name none.
PYTHON_HINTS = Hints(
    force="plan with force=True to apply it",
    force_all="plan with force=True to apply them anyway",
    mass_delete="apply(allow_mass_delete=True) is required",
    apply="Apply it with its .apply().",
    retry_failed="Its .failed.apply() re-applies the {n} failed.",
    resume="sn.resume({path!r}) applies what is not done.",
    remaining="Its .remaining.apply() applies what is not done.",
)
MAX_ROWS = 200
MAX_TEXT_ENTRIES = 60
MAX_VALUE = 120
COLOURS = {
    "create": "#1a7f37",
    "update": "#9a6700",
    "delete": "#cf222e",
    "conflict": "#bc4c00",
    "invalid": "#8250df",
    "refused": "#cf222e",
    "ok": "#1a7f37",
    "failed": "#cf222e",
    "unknown": "#bc4c00",
    "skipped": "#6e7781",
}
SYMBOLS = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "conflict": "!",
    "invalid": "x",
    "refused": "#",
}
# What an override on a change (guards.py) is called in a review.
OVERRIDE_WORDS = {
    "protected": "allowed although protected (allow_protected)",
    "policy": "allowed although it breaks the label policy (allow_policy_violations)",
}


def clip(value: str | None, limit: int = MAX_VALUE) -> str | None:
    return value if value is None else cut(value, limit)


def seen(value: str | None, limit: int = MAX_VALUE) -> str | None:
    """User, server or file text as a review shows it: cut, every character visible."""
    return None if value is None else visible(clip(visible(value), limit) or "")


HIDDEN_NOTE = "invisible or control characters (shown as \\u… escapes) in"


def hidden_note(change: Change) -> str | None:
    """What a change adds that a reader could not see (in a name, a label key or value),
    said next to its row in every review; None when there is nothing hidden."""
    where = []
    if change.op != "delete":
        if has_hidden(change.send_name):
            where.append("displayName")
        for field, (_before, after) in change.fields.items():
            if field == "displayName" or after is None:
                continue
            key = field.removeprefix(LABEL_PREFIX)
            if has_hidden(key):
                where.append(f"the label key '{visible(key)}'")
            elif has_hidden(after):
                where.append(visible(field))
    return f"{HIDDEN_NOTE} {', '.join(where)}" if where else None


def _row_label(row: Any) -> str | None:
    return None if row is None else str(row)


# -- plans -----------------------------------------------------------------------------------


def _entries(plan: Plan) -> list[tuple[str, Change | None, Invalid | None]]:
    entries: list[tuple[str, Change | None, Invalid | None]] = []
    entries.extend((c.op, c, None) for c in plan.changes)
    entries.extend(("conflict", c, None) for c in plan.conflicts)
    entries.extend(("invalid", None, bad) for bad in plan.invalid)
    for item in plan.refused:  # the guard rails: a policy violation is an invalid row
        kind = "invalid" if item.rule == "policy" else "refused"
        entries.append((kind, None, item.as_invalid(prefix=False)))
    return entries


def _reason(operation: str, change: Change, hints: Hints = PYTHON_HINTS) -> str | None:
    notes = []
    if change.conflict is not None:
        if operation == "conflict":
            advice = f"; {hints.force}" if hints.force else ""
            notes.append(f"{change.op} not applied: {change.conflict}{advice}")
        else:
            notes.append(f"forced: {change.conflict}")
    notes.extend(OVERRIDE_WORDS.get(name, name) for name in change.overrides)
    hidden = hidden_note(change)
    if hidden:
        notes.append(hidden)
    return "; ".join(notes) or None


class PlanRow(NamedTuple):
    """One row of `plan.frame` (its columns, `PLAN_COLUMNS`, in this order)."""

    operation: str
    subproject_id: str | None
    display_name: str | None
    field: str | None
    before: Any
    after: Any
    reason: str | None
    row: Any


def plan_rows(plan: Plan, hints: Hints = PYTHON_HINTS) -> list[PlanRow]:
    """Rows of `plan.frame`: one per changed field; one per invalid row."""
    rows: list[PlanRow] = []
    for operation, change, bad in _entries(plan):
        if bad is not None:
            rows.append(
                PlanRow(
                    operation,
                    bad.subproject_id,
                    bad.display_name,
                    None,
                    None,
                    None,
                    bad.reason,
                    _row_label(bad.row),
                )
            )
            continue
        assert change is not None
        reason = _reason(operation, change, hints)
        fields = change.fields.items() or [(None, (None, None))]
        for name, (before, after) in fields:
            rows.append(
                PlanRow(
                    operation,
                    change.subproject_id,
                    change.display_name,
                    name,
                    before,
                    after,
                    reason,
                    _row_label(change.row),
                )
            )
    return rows


def summary_text(summary: dict[str, int]) -> str:
    parts = [
        f"{summary['create']} to create",
        f"{summary['update']} to update",
        f"{summary['delete']} to delete",
    ]
    if summary["conflict"]:
        parts.append(plural(summary["conflict"], "conflict"))
    if summary["invalid"]:
        parts.append(f"{summary['invalid']} invalid")
    if summary.get("refused"):
        parts.append(f"{summary['refused']} refused")
    return ", ".join(parts)


def footer(plan: Plan, hints: Hints) -> list[str]:
    notes = []
    if plan.ignored_columns:
        notes.append(f"Ignored columns: {', '.join(map(visible, plan.ignored_columns))}.")
    if plan.deletes > MASS_DELETE_THRESHOLD:
        notes.append(f"Deletes {plan.deletes} subprojects: {hints.mass_delete}.")
    if plan.needs_mass_update_permission:
        notes.append(
            f"Updates {plan.updates} of the project's {plan.live_size} live subprojects "
            f"(more than {MASS_UPDATE_SHARE:.0%}): {hints.mass_update}."
        )
    refused = {item.rule for item in plan.refused}
    if "protected" in refused:
        notes.append(
            f"Refused: deletes and renames of protected subprojects; {hints.allow_protected}."
        )
    if "policy" in refused:
        notes.append(f"Invalid: changes that break the label policy; {hints.allow_policy}.")
    readiness = plan.readiness
    if readiness == "applied":
        notes.append("Already applied.")
    elif readiness == "ready":
        notes.append(hints.apply)
    else:
        notes.append("Nothing to apply.")
    return notes


def headline(plan: Plan) -> str:
    head = f"Plan: {summary_text(plan.summary())}"
    if plan.unchanged:
        head += f"; {plural(plan.unchanged, 'row')} unchanged"
    return head + "."


def plan_text(plan: Plan, hints: Hints = PYTHON_HINTS) -> str:
    lines = [headline(plan)]
    entries = _entries(plan)
    for operation, change, bad in entries[:MAX_TEXT_ENTRIES]:
        symbol = SYMBOLS[operation]
        if bad is not None:
            where = visible(bad.subproject_id or f"row {_row_label(bad.row)}")
            name = f" {clip(bad.display_name)!r}" if bad.display_name else ""
            lines.append(f"  {symbol} {operation:<8} {where}{name}: {visible(bad.reason)}")
            continue
        assert change is not None
        sid = visible(change.subproject_id or "(new)")
        lines.append(f"  {symbol} {operation:<8} {sid} {clip(change.display_name)!r}")
        reason = _reason(operation, change, hints)
        if reason:
            lines.append(f"      ({visible(reason)})")
        if change.op == "delete":
            continue
        for field, (before, after) in change.fields.items():
            name = visible(field)  # a label key: its characters as they are (repr for values)
            if before is None:
                lines.append(f"      {name}: + {clip(after)!r}")
            elif after is None:
                lines.append(f"      {name}: - {clip(before)!r} (removed)")
            else:
                lines.append(f"      {name}: {clip(before)!r} -> {clip(after)!r}")
    if len(entries) > MAX_TEXT_ENTRIES:
        lines.append(f"  ... and {len(entries) - MAX_TEXT_ENTRIES} more (see {hints.plan_frame})")
    lines.extend(footer(plan, hints))
    return "\n".join(lines)


def _badges(counts: dict[str, int], labels: dict[str, str]) -> str:
    parts = []
    for key, label in labels.items():
        n = counts.get(key, 0)
        colour = COLOURS.get(key, "inherit") if n else "#6e7781"
        parts.append(f'<span style="color:{colour};font-weight:600">{n} {escape(label)}</span>')
    return ", ".join(parts)


def value_html(value: str | None) -> str:
    if value is None:
        return '<span style="opacity:0.5">—</span>'
    return f"<code>{escape(seen(value) or '')}</code>"


def plan_html(plan: Plan, hints: Hints = PYTHON_HINTS) -> str:
    summary = plan.summary()
    badges = _badges(
        summary,
        {
            "create": "to create",
            "update": "to update",
            "delete": "to delete",
            "conflict": "conflicts",
            "invalid": "invalid",
            **({"refused": "refused"} if summary.get("refused") else {}),
        },
    )
    unchanged = f"; {plan.unchanged} unchanged" if plan.unchanged else ""
    out = [f'<div class="sinch-plan"><b>Plan</b>: {badges}{unchanged}.']
    rows = plan_rows(plan, hints)
    if rows:
        body = []
        for operation, sid, name, field, before, after, reason, row in rows[:MAX_ROWS]:
            colour = COLOURS[operation]
            shown_row = escape(visible(str(row))) if row else ""
            where = escape(visible(sid)) if sid else f"<i>row {shown_row}</i>" if row else ""
            cells = [
                td(
                    f'<span style="color:{colour};font-weight:600">'
                    f"{SYMBOLS[operation]} {operation}</span>"
                ),
                td(f"<code>{where}</code>"),
                td(escape(seen(name) or "")),
            ]
            if reason and operation in ("invalid", "conflict", "refused") and field is None:
                cells.append(td(escape(visible(reason)), colspan=4))
            else:
                note = ""
                if reason and HIDDEN_NOTE in reason:
                    note = f'<div style="color:#cf222e">⚠ {escape(visible(reason))}</div>'
                cells += [
                    td(escape(visible(field or "")) + note),
                    td(value_html(before)),
                    td("→"),
                    td(value_html(after)),
                ]
            body.append(tr(cells, colour, visible(reason) if reason else reason))
        head = ("operation", "subprojectId", "displayName", "field", "before", "", "after")
        out.append(html_table(head, body, "sinch-table"))
        if len(rows) > MAX_ROWS:
            out.append(
                f"<div>… and {len(rows) - MAX_ROWS} more rows: see "
                f"<code>{escape(hints.plan_frame)}</code></div>"
            )
    notes = footer(plan, hints)
    if plan.conflicts:
        notes.insert(
            0,
            "Conflicts changed on the server since the frame was read; they are not applied"
            + (f" ({hints.force_all})." if hints.force_all else "."),
        )
    out.append("".join(f"<div>{escape(n)}</div>" for n in notes))
    out.append("</div>")
    return "".join(out)


# -- results ---------------------------------------------------------------------------------


class ResultRow(NamedTuple):
    """One row of `result.frame` (its columns, `RESULT_COLUMNS`, in this order)."""

    operation: str
    subproject_id: str | None
    display_name: str | None
    status: str
    http_status: int | None
    error: str | None
    attempts: int
    note: str | None
    row: Any


def result_rows(result: ApplyResult) -> list[ResultRow]:
    rows: list[ResultRow] = []
    for o in result.outcomes:
        c = o.change
        rows.append(
            ResultRow(
                c.op,
                o.subproject_id or c.subproject_id,
                c.display_name,
                o.status,
                o.http_status,
                o.error,
                o.attempts,
                o.note,
                _row_label(c.row),
            )
        )
    for bad in result.invalid:
        rows.append(
            ResultRow(
                bad.op or "invalid",
                bad.subproject_id,
                bad.display_name,
                "skipped",
                None,
                bad.reason if bad.reason.startswith(_GUARDED) else f"invalid: {bad.reason}",
                0,
                None,
                _row_label(bad.row),
            )
        )
    return rows


_GUARDED = ("refused:", "policy:")  # reasons of the guard rails name themselves


def _result_headline(result: ApplyResult) -> str:
    counts = result.counts
    sent = sum(1 for o in result.outcomes if o.status in ("ok", "failed", "unknown"))
    parts = [f"{n} {status}" for status, n in counts.items() if n]  # in STATUSES order
    verb = "Applied" if result.ok else "Applied with problems:"
    head = f"{verb} {plural(sent, 'change')} in {result.elapsed:.1f} s"
    if parts:
        head += ": " + ", ".join(parts)
    if result.earlier_done:
        head += f" ({result.earlier_done} done earlier)"
    if result.interrupted:
        head += ". Interrupted: unsent changes are skipped"
    elif result.stopped:
        head += f". Stopped: {result.stopped}"
    if result.concurrency.get("slowdowns"):
        head += (
            f". Slowed down {result.concurrency['slowdowns']} times on 429 (to "
            f"{result.concurrency['lowest']} of {result.concurrency['workers']} workers)"
        )
    return head + "."


def _next_steps(result: ApplyResult, hints: Hints) -> list[str]:
    steps = []
    counts = result.counts
    again = counts["failed"] + counts["unknown"]
    if again:
        steps.append(hints.retry_failed.format(n=again))
    if any(o.status == "skipped" for o in result.outcomes):
        if result.journal_path is not None:
            steps.append(hints.resume.format(path=str(result.journal_path)))
        else:
            steps.append(hints.remaining)
    if result.journal_path is not None:
        steps.append(f"Journal: {result.journal_path}")
    return steps


def _problem_outcomes(result: ApplyResult) -> list[Outcome]:
    return [o for o in result.outcomes if o.status != "ok"]


def result_text(result: ApplyResult, hints: Hints = PYTHON_HINTS) -> str:
    lines = [_result_headline(result)]
    problems = _problem_outcomes(result)
    for o in problems[:MAX_TEXT_ENTRIES]:
        c = o.change
        sid = o.subproject_id or c.subproject_id or f"row {_row_label(c.row)}"
        code = f" [{o.http_status}]" if o.http_status else ""
        lines.append(f"  {o.status:<8} {c.op:<6} {sid} {clip(c.display_name)!r}{code}: {o.error}")
    for bad in result.invalid[: max(0, MAX_TEXT_ENTRIES - len(problems))]:
        where = bad.subproject_id or f"row {_row_label(bad.row)}"
        lines.append(f"  skipped  invalid {where}: {bad.reason}")
    hidden = len(problems) + len(result.invalid) - MAX_TEXT_ENTRIES
    if hidden > 0:
        lines.append(f"  ... and {hidden} more (see {hints.result_frame})")
    lines.extend(_next_steps(result, hints))
    return "\n".join(lines)


def result_html(result: ApplyResult, hints: Hints = PYTHON_HINTS) -> str:
    counts = result.counts
    colour = COLOURS["ok"] if result.ok else COLOURS["failed"]
    headline = escape(_result_headline(result))
    out = [
        f'<div class="sinch-result"><div style="color:{colour};font-weight:600">{headline}</div>',
        f"<div>{_badges(counts, {s: s for s in counts})}</div>",
    ]
    problems = result_rows(result)
    problems = [r for r in problems if r.status != "ok"]
    if problems:
        body = []
        for op, sid, name, status, http, error, _attempts, _note, row in problems[:MAX_ROWS]:
            tone = COLOURS.get(status, "inherit")
            where = escape(sid) if sid else f"<i>row {escape(str(row))}</i>" if row else ""
            cells = [
                td(f'<span style="color:{tone};font-weight:600">{status}</span>'),
                td(escape(op)),
                td(f"<code>{where}</code>"),
                td(escape(clip(name) or "")),
                td(str(http or "")),
                td(escape(error or "")),
            ]
            body.append(tr(cells, tone))
        head = ("status", "operation", "subprojectId", "displayName", "HTTP", "error")
        out.append(html_table(head, body, "sinch-table"))
        if len(problems) > MAX_ROWS:
            out.append(
                f"<div>… and {len(problems) - MAX_ROWS} more: "
                f"see {escape(hints.result_frame)}</div>"
            )
    out.append("".join(f"<div>{escape(step)}</div>" for step in _next_steps(result, hints)))
    out.append("</div>")
    return "".join(out)
