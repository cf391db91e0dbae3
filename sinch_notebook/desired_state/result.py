"""What `diff` and `sync` return: the summary line, the plan, the unmanaged, the drift.

    N managed, D differ, U unmanaged, M missing, coverage P%

then the changes a sync would make (the engine's plan table: text, HTML, Markdown), then the
subprojects the file does not list, then what changed on the server since the last sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from ..account_history.render import diff_html, diff_text
from ..bulk.markdown import _md
from ..bulk.render import MAX_TEXT_ENTRIES, seen
from ..display import exact_time, html_table, plural, td, tr
from .model import DesiredState
from .plan import Comparison

if TYPE_CHECKING:
    from pathlib import Path

    from ..account_history import Diff, Snapshot
    from ..bulk import ApplyResult, Plan

# What to do about drift, said under it (instead of a diff's "revert()" note).
DRIFT_NOTE = (
    "A sync puts back what the file says; dump --update takes the server's values into the file."
)
EXIT_IN_SYNC = 0
EXIT_DIFFERENT = 2


@dataclass
class DesiredDiff:
    """How the account differs from a desired-state file (`sn.desired(path).diff()`).

    `plan` is an ordinary plan (review it, `save` it, apply it with the desired state's
    `sync(doit=True)`); `unmanaged` the live subprojects the file does not list; `drift` the
    changes made on the server since the last sync (None: no sync recorded); `in_sync` whether
    a sync would do nothing; `exit_code` 0 in sync, 2 otherwise (for cron and CI)."""

    state: DesiredState
    comparison: Comparison
    drift: Diff | None = None

    @property
    def plan(self) -> Plan:
        return self.comparison.plan

    @property
    def unmanaged(self) -> list[Mapping[str, Any]]:
        return self.comparison.unmanaged

    @property
    def missing(self) -> list[Any]:
        return self.comparison.missing

    def summary(self) -> dict[str, Any]:
        """The counts of the summary line (coverage as a share, 0..1)."""
        c = self.comparison
        return {
            "managed": c.managed,
            "differ": c.differ,
            "unmanaged": len(c.unmanaged),
            "missing": len(c.missing),
            "coverage": c.coverage,
        }

    @property
    def summary_line(self) -> str:
        s = self.summary()
        return (
            f"{s['managed']:,} managed, {s['differ']:,} differ, {s['unmanaged']:,} unmanaged, "
            f"{s['missing']:,} missing, coverage {_percent(s['coverage'])}"
        )

    @property
    def in_sync(self) -> bool:
        """Nothing to apply, nothing refused, nothing missing."""
        plan = self.plan
        return not len(plan) and not plan.invalid and not plan.conflicts and not plan.refused

    @property
    def exit_code(self) -> int:
        return EXIT_IN_SYNC if self.in_sync else EXIT_DIFFERENT

    def save(self, path: str | Path) -> Path:
        """Save the plan as a plan file (`sinch-notebook apply FILE` applies it, checked)."""
        return self.plan.save(path)

    # -- display ---------------------------------------------------------------------------

    def _unmanaged_note(self) -> str:
        n = len(self.unmanaged)
        how = {
            "report": "listed, never touched (unmanaged: delete in the file deletes them)",
            "ignore": "not listed (unmanaged: ignore)",
            "delete": "a sync deletes them (unmanaged: delete), the protected ones only if allowed",
        }[self.state.unmanaged]
        if self.state.unmanaged == "delete" and self.state.managed_by:
            how = f"a sync deletes those labelled managed-by={self.state.managed_by}"
        return f"{plural(n, 'unmanaged subproject')} (live, not in the file): {how}."

    def _shown_unmanaged(self) -> list[Mapping[str, Any]]:
        return [] if self.state.unmanaged == "ignore" else self.unmanaged

    def _drift_head(self) -> str:
        assert self.drift is not None
        d = self.drift
        return (
            f"Changed outside since the last sync (snapshot {d.a.id}, {exact_time(d.a.time)}): "
            f"{plural(len(d.subprojects), 'subproject')}."
        )

    def __str__(self) -> str:
        lines = [self.summary_line, str(self.plan)]
        shown = self._shown_unmanaged()
        if self.unmanaged:
            lines.append(self._unmanaged_note())
        for record in shown[:MAX_TEXT_ENTRIES]:
            lines.append(f"  ? {record.get('subprojectId')} {seen(record.get('displayName'))!r}")
        if len(shown) > MAX_TEXT_ENTRIES:
            lines.append(f"  ... and {len(shown) - MAX_TEXT_ENTRIES:,} more (.unmanaged)")
        if self.drift is not None and len(self.drift):
            lines.append(self._drift_head())
            lines.append(diff_text(self.drift, DRIFT_NOTE))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from ..bulk.render import MAX_ROWS, plan_html

        parts = [
            f"<div class='sinch-desired'><p><b>{escape(self.summary_line)}</b></p>",
            plan_html(self.plan, self.plan.hints or _python_hints()),
        ]
        shown = self._shown_unmanaged()
        if self.unmanaged:
            parts.append(f"<p>{escape(self._unmanaged_note())}</p>")
        if shown:
            rows = [
                tr([td(escape(str(r.get("subprojectId")))), td(escape(_display(r)))])
                for r in shown[:MAX_ROWS]
            ]
            parts.append(html_table(["subprojectId", "displayName"], rows, "sinch-unmanaged"))
        if self.drift is not None and len(self.drift):
            parts.append(f"<p>{escape(self._drift_head())}</p>")
            parts.append(diff_html(self.drift, DRIFT_NOTE))
        parts.append("</div>")
        return "".join(parts)

    def to_markdown(self) -> str:
        """The review for a pull request: the summary line, the plan's Markdown, the unmanaged
        and the drift."""
        from ..bulk.markdown import plan_markdown

        lines = [f"**{_md(self.summary_line)}**", "", plan_markdown(self.plan, _hints(self.plan))]
        shown = self._shown_unmanaged()
        if self.unmanaged:
            lines.append(_md(self._unmanaged_note()))
            lines.append("")
        if shown:
            lines += ["| subprojectId | displayName |", "|---|---|"]
            lines += [f"| {_md(r.get('subprojectId'))} | {_md(_display(r))} |" for r in shown[:200]]
            lines.append("")
        if self.drift is not None and len(self.drift):
            lines += [_md(self._drift_head()), ""]
            lines += ["| change | subprojectId | displayName | field | before | after |"]
            lines += ["|---|---|---|---|---|---|"]
            for row in self.drift.rows[:200]:
                cells = [row.change, row.subproject_id, row.display_name, row.field]
                cells += [row.before, row.after]
                lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
            lines += ["", _md(DRIFT_NOTE), ""]
        return "\n".join(lines).rstrip("\n") + "\n"


def _display(record: Mapping[str, Any]) -> str:
    return str(record.get("displayName") or "")


def _percent(share: float) -> str:
    value = share * 100
    if value != 100 and value > 99.5:
        return "99.9%" if value < 99.95 else ">99.9%"
    return f"{value:.0f}%" if value >= 1 or value == 0 else f"{value:.1f}%"


def _python_hints() -> Any:
    from .hints import PYTHON_SYNC_HINTS

    return PYTHON_SYNC_HINTS


def _hints(plan: Plan) -> Any:
    return plan.hints or _python_hints()


@dataclass
class SyncResult:
    """A sync: the diff it made, what applying did (None: nothing was applied, without
    `doit`), and the snapshot tagged "sync" it recorded afterwards."""

    diff: DesiredDiff
    result: ApplyResult | None = None
    snapshot: Snapshot | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is None or self.result.ok

    def _tail(self) -> str:
        if self.snapshot is None:
            return "Nothing was changed (doit=True applies it)."
        return (
            f"Recorded snapshot {self.snapshot.id} as this sync "
            f"({exact_time(self.snapshot.time)}): the next diff tells drift from plan."
        )

    def __str__(self) -> str:
        if self.result is None:
            return f"{self.diff}\n{self._tail()}"
        return f"{self.diff.summary_line}\n{self.result}\n{self._tail()}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.result is None:
            body = self.diff._repr_html_()
        else:
            body = f"<p><b>{escape(self.diff.summary_line)}</b></p>{self.result._repr_html_()}"
        return f"{body}<p>{escape(self._tail())}</p>"
