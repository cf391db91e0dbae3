"""The Bulk tab: pick an edited DataFrame, review its Plan, Apply it with a progress bar.

Exactly the Python API's path: `client.plan(df)` then `plan.apply(...)`, with the apply's
progress callback driving an IntProgress from the worker threads (throttled, so a 10,000-change
plan does not flood the front-end with 10,000 updates).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .common import (
    Context,
    button,
    checkbox,
    describe_error,
    esc,
    message,
    shared_setting,
    show,
    with_class,
)

MAX_WORKERS = 64  # what plan.apply accepts
PROGRESS_INTERVAL = 0.1  # seconds between progress-bar updates (the last one always shows)


def frame_variables(namespace: dict[str, Any]) -> list[str]:
    """Names of the DataFrames in `namespace` (without importing pandas if nobody has)."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return []
    return sorted(
        name
        for name, value in list(namespace.items())
        if not name.startswith("_") and isinstance(value, pandas.DataFrame)
    )


def counts_text(counts: dict[str, Any], keys: tuple[str, ...] | None = None) -> str:
    """ "ok 12 · failed 1" from a counts dict (only non-zero entries, in `keys` order)."""
    names = keys if keys is not None else tuple(counts)
    return " · ".join(f"{key} {counts[key]:,}" for key in names if counts.get(key))


PROGRESS_KEYS = ("ok", "failed", "retrying")


class BulkForm(widgets.VBox):
    """DataFrame picker, Plan preview, Apply with progress, and the result."""

    def __init__(self, ctx: Context, *, on_applied: Callable[[], None] | None = None) -> None:
        self.ctx = ctx
        self.on_applied = on_applied
        self.plan: Any = None
        self.result: Any = None
        self._connected = False
        self._busy = False
        self._progress_lock = threading.Lock()
        self._last_progress = 0.0
        self._rescanning = False

        self.variable = with_class(
            widgets.Dropdown(
                options=[],
                description="DataFrame",
                layout=widgets.Layout(width="22em"),
                style={"description_width": "6em"},
            ),
            "sn-bulk-variable",
        )
        self.rescan_button = button(
            "", "sn-bulk-rescan", icon="refresh", tooltip="Look for DataFrames again", width="3em"
        )
        self.plan_button = button("Plan", "sn-bulk-plan", style="info", icon="list")
        self.plan_html = with_class(
            widgets.HTML(layout=widgets.Layout(max_height="24em", overflow="auto")),
            "sn-bulk-plan-view",
        )
        self.workers = with_class(
            widgets.BoundedIntText(
                value=min(MAX_WORKERS, max(1, int(shared_setting("workers", 8)))),
                min=1,
                max=MAX_WORKERS,
                description="Workers",
                layout=widgets.Layout(width="10em"),
                style={"description_width": "5em"},
            ),
            "sn-bulk-workers",
        )
        self.allow_mass_delete = checkbox("allow mass delete", "sn-bulk-mass-delete")
        self.keep_journal = checkbox(
            "journal (sn.resume can finish an interrupted apply)", "sn-bulk-journal", value=True
        )
        self.apply_button = button("Apply", "sn-bulk-apply", style="danger", icon="play")
        self.progress = with_class(
            widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="30em")),
            "sn-bulk-progress",
        )
        self.progress_label = with_class(widgets.HTML(), "sn-bulk-progress-label")
        self.status = with_class(widgets.HTML(), "sn-bulk-status")
        self.result_html = with_class(
            widgets.HTML(layout=widgets.Layout(max_height="24em", overflow="auto")),
            "sn-bulk-result",
        )
        self.progress_box = widgets.HBox([self.progress, self.progress_label])

        self.rescan_button.on_click(self.ctx.guard(lambda _b: self.rescan()))
        self.variable.observe(self.ctx.guard(self._on_variable), names="value")
        self.plan_button.on_click(self.ctx.guard(self._on_plan))
        self.apply_button.on_click(self.ctx.guard(self._on_apply))

        super().__init__(
            [
                widgets.HTML(
                    "Edit a DataFrame from <code>client.frame()</code> (or Browse → To "
                    "DataFrame), pick it here, review the plan, then apply it."
                ),
                widgets.HBox([self.variable, self.rescan_button, self.plan_button]),
                self.plan_html,
                widgets.HBox(
                    [self.workers, self.allow_mass_delete, self.keep_journal, self.apply_button]
                ),
                self.progress_box,
                self.status,
                self.result_html,
            ]
        )
        self.add_class("sn-bulk-form")
        show(self.progress_box, False)
        self.rescan()

    # -- public --------------------------------------------------------------------------------

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update()

    def rescan(self) -> None:
        """Refresh the list of DataFrame variables in the notebook's namespace."""
        current = self.variable.value
        names = frame_variables(self.ctx.namespace())
        if tuple(names) != tuple(self.variable.options):
            self._rescanning = True
            try:
                self.variable.options = names
                if current in names:
                    self.variable.value = current
            finally:
                self._rescanning = False
            if self.variable.value != current:
                self._forget_plan()
        self._update()

    # -- state ---------------------------------------------------------------------------------

    def _update(self) -> None:
        idle = self._connected and not self._busy
        self.plan_button.disabled = not (idle and self.variable.value)
        ready = self.plan is not None and len(self.plan) > 0
        self.apply_button.disabled = not (idle and ready)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    def _on_variable(self, _change: Any) -> None:
        if not self._rescanning:
            self._forget_plan()

    def _forget_plan(self) -> None:
        self.plan = None
        self.plan_html.value = ""
        self._update()

    # -- plan ----------------------------------------------------------------------------------

    def _on_plan(self, _button: widgets.Button | None = None) -> None:
        name = self.variable.value
        if not name or self._busy:
            return
        frame = self.ctx.namespace().get(name)
        if frame is None:
            self.status.value = message("error", f"{name} is no longer defined; rescan.")
            self.rescan()
            return
        self.plan = None
        self.result = None
        self.result_html.value = ""
        show(self.progress_box, False)
        self._set_busy(True)
        self.status.value = message("busy", f"Planning the changes in {name}…")
        self.ctx.worker.submit("Planning a bulk edit", self._plan, name, frame)

    def _plan(self, name: str, frame: Any) -> None:
        try:
            plan = self.ctx.client().plan(frame)
        except Exception as err:  # bad frames raise ValueError/KeyError as well as SinchError
            text = f"Could not plan {name}: {describe_error(err)}"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        finally:
            self._set_busy(False)
        self.plan = plan
        self.plan_html.value = plan._repr_html_()
        summary = plan.summary()
        held = counts_text(summary, ("conflict", "invalid"))
        held = f" Not applied: {held} (see the plan)." if held else ""
        if len(plan):
            what = counts_text(summary, ("create", "update", "delete"))
            self.status.value = message(
                "info",
                f"{len(plan):,} changes planned from {name} ({what}).{held} "
                "Review them, then Apply.",
            )
        else:
            self.status.value = message("ok", f"Nothing to apply from {name}.{held}")
        self.ctx.log.info(f"Planned {name}: {len(plan):,} changes.{held}")
        self._update()

    # -- apply ---------------------------------------------------------------------------------

    def _on_apply(self, _button: widgets.Button | None = None) -> None:
        if self.plan is None or not len(self.plan) or self._busy:
            return
        plan, total = self.plan, len(self.plan)
        self.progress.max = max(1, total)
        self.progress.value = 0
        self.progress.bar_style = ""
        self.progress_label.value = f"0 / {total:,}"
        show(self.progress_box, True)
        self._last_progress = 0.0
        self._set_busy(True)
        self.status.value = message("busy", f"Applying {total:,} changes…")
        options = {
            "workers": self.workers.value,
            "allow_mass_delete": self.allow_mass_delete.value,
            # None: the default journal under .sinch/; False: none
            "journal": None if self.keep_journal.value else False,
        }
        self.ctx.worker.submit("Applying a bulk edit", self._apply, plan, options)

    def _on_progress(self, done: int, total: int, counts: dict[str, Any]) -> None:
        """Called by apply's worker threads after each change."""
        now = time.monotonic()
        with self._progress_lock:
            if done < total and now - self._last_progress < PROGRESS_INTERVAL:
                return
            self._last_progress = now
            self.progress.max = max(1, total)
            self.progress.value = done
            detail = counts_text(counts, PROGRESS_KEYS)
            self.progress_label.value = esc(
                f"{done:,} / {total:,}" + (f" · {detail}" if detail else "")
            )

    def _apply(self, plan: Any, options: dict[str, Any]) -> None:
        try:
            result = plan.apply(progress=self._on_progress, **options)
        except Exception as err:
            text = f"Apply stopped: {describe_error(err)}"
            if getattr(err, "field", None) == "allow_mass_delete":
                text = (
                    f"Not applied: the plan deletes {plan.deletes} subprojects. Review it, tick "
                    "'allow mass delete', then Apply again."
                )
            self.progress.bar_style = "danger"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        finally:
            if plan.applied:
                self.plan = None  # a plan applies once: plan again to see what is left
            self._set_busy(False)
        self.result = result
        name = f"{self.variable.value}_result" if self.variable.value else "bulk_result"
        self.ctx.namespace()[name] = result
        self.progress.value = self.progress.max
        self.progress.bar_style = "success" if result.ok else "warning"
        self.result_html.value = result._repr_html_()
        summary = counts_text(result.counts)
        journal = f" Journal: {result.journal_path}." if result.journal_path else ""
        if result.ok:
            self.status.value = message("ok", f"Applied: {summary}. Result in {name}.{journal}")
        else:
            self.status.value = message(
                "warn",
                f"Applied with problems: {summary}. {name}.failed is a plan of what failed."
                + journal,
            )
        self.ctx.log.info(f"Bulk apply: {summary} (result in {name}).{journal}")
        if self.on_applied is not None:
            self.on_applied()
