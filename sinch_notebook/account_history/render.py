"""A diff for people: the plan's coloured table in notebooks, plain text in a terminal.

It borrows the plan's look (bulk/render.py: table style, colours, value cells) so a diff and the
plan that reverts it read alike. Every value is user data, so all of it is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..bulk.render import COLOURS, MAX_ROWS, MAX_TEXT_ENTRIES, clip, value_html
from ..display import exact_time, html_table, plural, td, tr
from .changes import KINDS, ChangeRow, labels_of
from .timeline import Snapshot

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
    return f"{snap.name} ({exact_time(snap.time)})"


def summary_text(summary: dict[str, int]) -> str:
    parts = [f"{summary[kind]} {kind}" for kind in KINDS if summary[kind]]
    return ", ".join(parts) if parts else "no changes"


def headline(d: Diff) -> str:
    changed = len(d.subprojects)
    who = f" in {plural(changed, 'subproject')}" if changed else ""
    return (
        f"Diff of project {d.a.project!r}, {_side(d.a)} -> {_side(d.b)}: "
        f"{summary_text(d.summary())}{who}."
    )


def _labels_text(d: Diff, row: ChangeRow) -> str:
    """For a created row: the labels it has (there is no field to show them in)."""
    record = d.record(row.subproject_id, "b")
    labels = labels_of(record) if record else {}
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


PYTHON_WAY_BACK = "revert() plans the way back to {name} (deletes cannot be undone)."
PANEL_WAY_BACK = "“Revert” plans the way back to {name} (deletes cannot be undone)."


def _footer(d: Diff, way_back: str = PYTHON_WAY_BACK) -> str:
    if not d.rows:
        return "Nothing changed in names, labels or deletions."
    return way_back.format(name=d.a.name)


def diff_text(d: Diff, way_back: str = PYTHON_WAY_BACK) -> str:
    lines = [headline(d)]
    for row in d.rows[:MAX_TEXT_ENTRIES]:
        name = clip(row.display_name)
        head = f"  {SYMBOL[row.change]} {row.change:<13} {row.subproject_id} {name!r}"
        if row.change == "created":
            labels = _labels_text(d, row)
            lines.append(head + (f" ({labels})" if labels else ""))
        elif row.change == "deleted":
            lines.append(head)
        elif row.before is None:
            lines.append(f"{head}: {row.field} + {clip(row.after)!r}")
        elif row.after is None:
            lines.append(f"{head}: {row.field} - {clip(row.before)!r}")
        else:
            lines.append(f"{head}: {row.field} {clip(row.before)!r} -> {clip(row.after)!r}")
    if len(d.rows) > MAX_TEXT_ENTRIES:
        lines.append(f"  ... and {len(d.rows) - MAX_TEXT_ENTRIES} more (see .frame)")
    lines.append(_footer(d, way_back))
    return "\n".join(lines)


def _badges(summary: dict[str, int]) -> str:
    parts = []
    for kind in KINDS:
        n = summary[kind]
        colour = TONE[kind] if n else "#6e7781"
        parts.append(f'<span style="color:{colour};font-weight:600">{n} {escape(kind)}</span>')
    return ", ".join(parts)


def diff_html(d: Diff, way_back: str = PYTHON_WAY_BACK) -> str:
    """The diff as a table; `way_back` says how to revert it in the face's words."""
    sides = f"{escape(_side(d.a))} → {escape(_side(d.b))}"
    out = [
        f'<div class="sinch-diff"><b>Diff</b> of project <code>{escape(d.a.project)}</code>, '
        f"{sides}: {_badges(d.summary())}."
    ]
    if d.rows:
        rows = []
        for change in d.rows[:MAX_ROWS]:
            colour = TONE[change.change]
            cells = [
                td(
                    f'<span style="color:{colour};font-weight:600">'
                    f"{SYMBOL[change.change]} {escape(change.change)}</span>"
                ),
                td(f"<code>{escape(change.subproject_id)}</code>"),
                td(escape(clip(change.display_name) or "")),
            ]
            if change.change == "created":
                labels = _labels_text(d, change)
                note = f"labels: {labels}" if labels else "no labels"
                cells.append(td(escape(clip(note) or ""), colspan=4))
            elif change.change == "deleted":
                cells.append(td("", colspan=4))
            else:
                cells += [
                    td(escape(change.field or "")),
                    td(value_html(change.before)),
                    td("→"),
                    td(value_html(change.after)),
                ]
            rows.append(tr(cells, colour))
        head = ("change", "subprojectId", "displayName", "field", "before", "", "after")
        out.append(html_table(head, rows, "sinch-table"))
        if len(d.rows) > MAX_ROWS:
            out.append(
                f"<div>… and {len(d.rows) - MAX_ROWS} more rows: see <code>.frame</code></div>"
            )
    out.append(f"<div>{escape(_footer(d, way_back))}</div></div>")
    return "".join(out)
