"""A plan as Markdown: the notebook's table, for a ticket or a pull request.

Every value is user data: pipes, backticks, angle brackets, ampersands (`&#8238;` would be
a character reference) and line breaks are escaped so a name cannot break the table or inject
markup, and characters a reader cannot see are shown as escapes (`display.visible`). Long
plans are cut after MAX_ROWS rows, like the HTML table (`plan.frame` holds everything).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render import MAX_ROWS, SYMBOLS, Hints, footer, headline, plan_rows, seen

if TYPE_CHECKING:
    from .plan import Plan

_HEAD = ("operation", "subprojectId", "displayName", "field", "before", "after", "note")


def _md(value: object) -> str:
    """A table cell: escaped so user data stays text."""
    if value is None:
        return ""
    text = seen(str(value)) or ""
    for char in ("\\", "|", "`", "*", "_", "[", "]", "<", ">", "&"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split("\n")).replace("\r", " ")


def _in_code(value: object) -> str:
    """Text inside a code span (where backslashes are literal): visible, no backtick."""
    return (seen(str(value)) or "").replace("`", "'")


def _code(value: object) -> str:
    return "—" if value is None else _md(value)


def plan_markdown(plan: Plan, hints: Hints) -> str:
    lines = [f"**{headline(plan)}**", ""]
    if plan.file is not None:
        made = f" by {_md(plan.made_by)}" if plan.made_by else ""
        lines += [
            f"Plan file `{_in_code(plan.file.name)}`, project `{_in_code(plan.project_id)}` at "
            f"{_md(plan.api_url)}, made {_md(plan.made_at)}{made}.",
            "",
        ]
    rows = plan_rows(plan, hints)
    if rows:
        lines.append("| " + " | ".join(_HEAD) + " |")
        lines.append("|" + "---|" * len(_HEAD))
        for operation, sid, name, field, before, after, reason, row in rows[:MAX_ROWS]:
            where = sid if sid else (f"row {row}" if row is not None else "")
            cells = [
                f"{SYMBOLS[operation]} {operation}",
                _md(where),
                _md(name),
                _md(field),
                _code(before) if field else "",
                _code(after) if field else "",
                _md(reason),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > MAX_ROWS:
            lines.append("")
            lines.append(f"… and {len(rows) - MAX_ROWS} more rows: see `{hints.plan_frame}`.")
        lines.append("")
    lines.extend(_md(note) for note in footer(plan, hints))
    return "\n".join(lines) + "\n"
