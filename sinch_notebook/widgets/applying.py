"""Applying a reviewed plan from the panel: the one place where a tab asks before deleting.

    runner = PlanRunner(ctx, prefix="sn-history", result_name=lambda: "history_revert_result")
    runner.offer(plan)     # Apply is enabled for exactly this plan

Apply runs the plan's safety rules (`Plan.raise_if_unsafe`: more than MASS_DELETE_THRESHOLD
deletes need "allow mass delete", updates of more than MASS_UPDATE_SHARE of the live subprojects
"allow mass update"), then the one confirmation policy (`confirm.before_deleting`:
"Yes, delete N" / "Cancel"), then `plan.apply(...)` in the background with a progress bar. The
result goes into a notebook variable; "Retry failed" offers `result.failed` the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..bulk import MassDeleteRefused, MassUpdateRefused
from ..config import MAX_WORKERS
from ..confirm import MASS_UPDATE_SHARE
from . import controls as ui
from .common import Context, amount, esc, message, shared_setting
from .plan_view import result_html, result_summary

if TYPE_CHECKING:
    from ..bulk import ApplyResult, Plan

PROGRESS_KEYS = ("ok", "failed", "retrying")


def counts_text(counts: dict[str, Any], keys: tuple[str, ...]) -> str:
    """ "12 ok · 1 failed" from a counts dict (only non-zero entries, in `keys` order)."""
    return " · ".join(f"{counts[key]:,} {key}" for key in keys if counts.get(key))


class PlanRunner(widgets.VBox):
    """Apply (with the core's safety rule and confirmation), progress, result, retry."""

    def __init__(
        self,
        ctx: Context,
        *,
        prefix: str,
        result_name: Callable[[], str],
        on_applied: Callable[[ApplyResult], None] | None = None,
        on_state: Callable[[], None] | None = None,
        on_retry: Callable[[Plan], None] | None = None,
        status: widgets.HTML | None = None,
        journal_choice: bool = True,
        trailing: tuple[widgets.Widget, ...] = (),
    ) -> None:
        self.ctx = ctx
        self.result_name = result_name
        self.on_applied = on_applied
        self.on_state: Callable[[], None] | None = None  # set once built (see the end)
        self.on_retry = on_retry  # told of the plan "Retry failed" is about to apply
        self.plan: Plan | None = None
        self.result: ApplyResult | None = None
        self._connected = False
        self._busy = False
        self._question: tuple[Any, Plan] | None = None
        self._progress_lock = threading.Lock()
        self.workers = ui.integer(
            "Workers",
            f"{prefix}-workers",
            value=min(MAX_WORKERS, max(1, int(shared_setting("workers", 8)))),
            low=1,
            high=MAX_WORKERS,
        )
        self.allow_mass_delete = ui.checkbox("allow mass delete", f"{prefix}-mass-delete")
        self.allow_mass_update = ui.checkbox("allow mass update", f"{prefix}-mass-update")
        self.keep_journal = ui.checkbox(
            "keep a journal (an interrupted apply can be finished later)",
            f"{prefix}-journal",
            value=True,
        )
        self.apply_button = ui.button("Apply", f"{prefix}-apply", style="danger", icon="play")
        self.confirm_text = ui.html(f"{prefix}-confirm-text")
        self.confirm_button = ui.button("Yes, delete", f"{prefix}-confirm", style="danger")
        self.cancel_button = ui.button("Cancel", f"{prefix}-cancel")
        self.confirm_box = ui.column(
            self.confirm_text, ui.row(self.confirm_button, self.cancel_button)
        )
        self.progress = ui.progress(f"{prefix}-progress")
        self.progress_label = ui.html(f"{prefix}-progress-label")
        self.progress_box = ui.row(self.progress, self.progress_label)
        self.status = status if status is not None else ui.html(f"{prefix}-status")
        self.result_view = ui.html(f"{prefix}-result", max_height="24em", overflow="auto")
        self.retry_button = ui.button("Retry failed", f"{prefix}-retry", icon="redo")
        self.apply_button.on_click(ctx.guard(lambda _b: self.apply()))
        self.confirm_button.on_click(ctx.guard(self._on_confirm))
        self.cancel_button.on_click(ctx.guard(self._on_cancel))
        self.retry_button.on_click(ctx.guard(self._on_retry))
        self.allow_mass_delete.observe(ctx.guard(lambda _c: self._update()), names="value")
        self.allow_mass_update.observe(ctx.guard(lambda _c: self._update()), names="value")
        self.trailing_exports = bool(trailing)
        # How many requests fly at once is a programmer's knob: the app keeps the setting's.
        options = [self.workers] if ctx.for_code else []
        options += [self.allow_mass_delete, self.allow_mass_update]
        if journal_choice:
            options.append(self.keep_journal)
        super().__init__(
            [
                ui.row(*options, self.apply_button),
                self.confirm_box,
                self.progress_box,
                self.status,
                self.result_view,
                ui.row(self.retry_button, *trailing),
            ]
        )
        ui.show(self.progress_box, False)
        ui.show(self.confirm_box, False)
        self._update()
        self.on_state = on_state  # told whenever busy, the plan or the result change

    # -- what the tab tells it -----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update()

    def offer(self, plan: Plan | None) -> None:
        """The plan Apply sends (None: nothing to apply); forgets a pending question."""
        self.plan = plan
        self._question = None
        ui.show(self.confirm_box, False)
        self._update()

    def forget_result(self) -> None:
        self.result = None
        self.result_view.value = ""
        ui.show(self.progress_box, False)
        self._update()

    def apply(self) -> None:
        """What Apply does: the safety rule, then the question (if any), then the apply."""
        plan = self.plan
        if plan is None or not len(plan) or self._busy or plan.applied:
            return
        try:
            plan.raise_if_unsafe(self.allow_mass_delete.value, self.allow_mass_update.value)
        except MassDeleteRefused as refused:
            text = (
                f"Not applied: the plan deletes {amount(refused.deletes, 'subproject')}, "
                "more than the panel deletes at once without asking: review it, tick "
                "“allow mass delete”, then Apply again."
            )
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        except MassUpdateRefused as refused:
            text = (
                f"Not applied: the plan updates {refused.updates:,} of the project's "
                f"{refused.live:,} live subprojects, more than {MASS_UPDATE_SHARE:.0%}: review "
                "it, tick “allow mass update”, then Apply again."
            )
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        from ..confirm import before_deleting

        question = before_deleting(plan)
        if question is None:
            self._run(plan)
            return
        self._question = (question, plan)
        self.confirm_text.value = message("warn", question.text)
        self.confirm_button.description = f"Yes, delete {question.deletes:,}"
        ui.show(self.confirm_box, True)
        self._update()

    # -- internals -----------------------------------------------------------------------------

    def _update(self) -> None:
        idle = self._connected and not self._busy
        ready = self.plan is not None and len(self.plan) > 0 and not self.plan.applied
        self.apply_button.disabled = not (idle and ready) or self._question is not None
        failed = self.result is not None and bool(self.result.failed.changes)
        self.retry_button.disabled = not (idle and failed)
        ui.show(self.retry_button, failed)
        if self.on_state is not None:
            self.on_state()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    def _on_confirm(self, _button: widgets.Button | None = None) -> None:
        pending, self._question = self._question, None
        ui.show(self.confirm_box, False)
        if pending is not None:
            self._run(pending[1])

    def _on_cancel(self, _button: widgets.Button | None = None) -> None:
        self._question = None
        ui.show(self.confirm_box, False)
        self.status.value = message("info", "Not applied: nothing was sent.")
        self.ctx.log.info("Apply cancelled: nothing was sent.")
        self._update()

    def _run(self, plan: Plan) -> None:
        total = len(plan)
        self.progress.max = max(1, total)
        self.progress.value = 0
        self.progress.bar_style = ""
        self.progress_label.value = f"0 / {total:,}"
        ui.show(self.progress_box, True)
        self._set_busy(True)
        self.status.value = message("busy", f"Applying {amount(total, 'change')}…")
        options = {
            "workers": self.workers.value,
            "allow_mass_delete": self.allow_mass_delete.value,
            "allow_mass_update": self.allow_mass_update.value,
            # None: the default journal under .sinch/ (next to a plan file: always), or the one
            # a retry continues; False: none
            "journal": None if self.keep_journal.value or plan.file is not None else False,
        }
        self.ctx.submit(
            "Applying a plan",
            self._apply,
            plan,
            options,
            failure="Apply stopped",
            status=self.status,
            after=lambda: self._set_busy(False),
        )

    def _on_progress(self, done: int, total: int, counts: dict[str, Any]) -> None:
        """Called by the apply as changes complete: at most every `bulk.apply.PROGRESS_INTERVAL`
        seconds (the core's one throttle), the first and the last always."""
        with self._progress_lock:
            self.progress.max = max(1, total)
            self.progress.value = done
            detail = counts_text(counts, PROGRESS_KEYS)
            self.progress_label.value = esc(
                f"{done:,} / {total:,}" + (f" · {detail}" if detail else "")
            )

    def _apply(self, plan: Plan, options: dict[str, Any]) -> None:
        try:
            result = plan.apply(progress=self._on_progress, **options)
        except Exception:
            self.progress.bar_style = "danger"
            raise
        self.result = result
        name = self.result_name()
        self.ctx.namespace()[name] = result
        self.progress.value = self.progress.max
        self.progress.bar_style = "success" if result.ok else "warning"
        self.result_view.value = result_html(result)
        kind = "ok" if result.ok else "warn"
        journal = f" Journal: {result.journal_path}." if result.journal_path else ""
        done = f"Done; the result is in the variable {name}.{journal}"
        if not self.ctx.for_code:
            done = f"Done: {result_summary(result)}." + (
                " Download the result below." if self.trailing_exports else ""
            )
        self.status.value = message(kind, done)
        self.ctx.log.info(f"{result_summary(result)} (result in {name}).{journal}")
        if self.on_applied is not None:
            self.on_applied(result)

    def _on_retry(self, _button: widgets.Button | None = None) -> None:
        if self.result is None or self._busy:
            return
        retry = self.result.failed
        if retry.changes:
            if self.on_retry is not None:
                self.on_retry(retry)
            self.offer(retry)
            self.apply()
