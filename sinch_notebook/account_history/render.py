"""A diff for people: the plan's coloured table in notebooks, plain text in a terminal.

It borrows the plan's look (bulk/render.py: table style, colours, value cells) so a diff and the
plan that reverts it read alike. Every value is user data, so all of it is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..bulk.render import _CELL, _TABLE, COLOURS, MAX_ROWS, MAX_TEXT_ENTRIES, _short, _value_html
from .changes import KINDS, ChangeRow, labels_of
from .timeline import Snapshot, _when

if TYPE_CHECKING:
    from .compare import Diff

TONE = {
    "created": COLOURS["create"],
    "deleted": COLOURS["delete"],
    "renamed": COLOURS["update"],
    "label added": COLOURS["create"],
    "label removed": COLOURS["delete"],
    "label changed": COLOURS["update"],
}
SYMBOL = {
    "created": "+",
    "deleted": "-",
    "renamed": "~",
    "label added": "+",
    "label removed": "-",
    "label changed": "~",
}


def _side(snap: Snapshot) -> str:
    return f"{snap.name} ({_when(snap.time)})"


def summary_text(summary: dict[str, int]) -> str:
    parts = [f"{summary[kind]} {kind}" for kind in KINDS if summary[kind]]
    return ", ".join(parts) if parts else "no changes"


def headline(d: Diff) -> str:
    changed = len(d.subprojects)
    who = f" in {changed} subproject{'s' if changed != 1 else ''}" if changed else ""
    return (
        f"Diff of project {d.a.project!r}, {_side(d.a)} -> {_side(d.b)}: "
        f"{summary_text(d.summary())}{who}."
    )


def _labels_text(d: Diff, row: ChangeRow) -> str:
    """For a created row: the labels it has (there is no field to show them in)."""
    record = d.record(row.subproject_id, "b")
    labels = labels_of(record) if record else {}
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _footer(d: Diff) -> str:
    if not d.rows:
        return "Nothing changed in names, labels or deletions."
    return f"revert() plans the way back to {d.a.name} (deletes cannot be undone)."


def diff_text(d: Diff) -> str:
    lines = [headline(d)]
    for row in d.rows[:MAX_TEXT_ENTRIES]:
        name = _short(row.display_name)
        head = f"  {SYMBOL[row.change]} {row.change:<13} {row.subproject_id} {name!r}"
        if row.change == "created":
            labels = _labels_text(d, row)
            lines.append(head + (f" ({labels})" if labels else ""))
        elif row.change == "deleted":
            lines.append(head)
        elif row.before is None:
            lines.append(f"{head}: {row.field} + {_short(row.after)!r}")
        elif row.after is None:
            lines.append(f"{head}: {row.field} - {_short(row.before)!r}")
        else:
            lines.append(f"{head}: {row.field} {_short(row.before)!r} -> {_short(row.after)!r}")
    if len(d.rows) > MAX_TEXT_ENTRIES:
        lines.append(f"  ... and {len(d.rows) - MAX_TEXT_ENTRIES} more (see .frame)")
    lines.append(_footer(d))
    return "\n".join(lines)


def _badges(summary: dict[str, int]) -> str:
    parts = []
    for kind in KINDS:
        n = summary[kind]
        colour = TONE[kind] if n else "#6e7781"
        parts.append(f'<span style="color:{colour};font-weight:600">{n} {escape(kind)}</span>')
    return ", ".join(parts)


def diff_html(d: Diff) -> str:
    sides = f"{escape(_side(d.a))} → {escape(_side(d.b))}"
    out = [
        f'<div class="sinch-diff"><b>Diff</b> of project <code>{escape(d.a.project)}</code>, '
        f"{sides}: {_badges(d.summary())}."
    ]
    if d.rows:
        head = "".join(
            f"<th {_CELL}>{h}</th>"
            for h in ("change", "subprojectId", "displayName", "field", "before", "", "after")
        )
        out.append(f"<table {_TABLE}><thead><tr>{head}</tr></thead><tbody>")
        for row in d.rows[:MAX_ROWS]:
            colour = TONE[row.change]
            cells = [
                f'<td {_CELL}><span style="color:{colour};font-weight:600">'
                f"{SYMBOL[row.change]} {escape(row.change)}</span></td>",
                f"<td {_CELL}><code>{escape(row.subproject_id)}</code></td>",
                f"<td {_CELL}>{escape(_short(row.display_name) or '')}</td>",
            ]
            if row.change == "created":
                labels = _labels_text(d, row)
                note = f"labels: {labels}" if labels else "no labels"
                cells.append(f'<td {_CELL} colspan="4">{escape(_short(note) or "")}</td>')
            elif row.change == "deleted":
                cells.append(f'<td {_CELL} colspan="4"></td>')
            else:
                cells += [
                    f"<td {_CELL}>{escape(row.field or '')}</td>",
                    f"<td {_CELL}>{_value_html(row.before)}</td>",
                    f"<td {_CELL}>→</td>",
                    f"<td {_CELL}>{_value_html(row.after)}</td>",
                ]
            out.append(f'<tr style="background:{colour}14">{"".join(cells)}</tr>')
        out.append("</tbody></table>")
        if len(d.rows) > MAX_ROWS:
            out.append(
                f"<div>… and {len(d.rows) - MAX_ROWS} more rows: see <code>.frame</code></div>"
            )
    out.append(f"<div>{escape(_footer(d))}</div></div>")
    return "".join(out)
