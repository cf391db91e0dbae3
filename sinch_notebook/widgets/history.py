"""The History tab: take a snapshot, pick two, see the diff, revert through a reviewed plan.

Exactly the Python API's calls (`sn.snapshot`, `sn.snapshots`, `sn.diff`, `diff.revert()`,
`plan.apply()`), run in the panel's background worker. Applying the revert follows the Bulk
tab's rules: the plan is shown first, Apply sends exactly that plan, and a plan deleting more
than 10 subprojects needs "allow mass delete" (the apply engine refuses it otherwise).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as widgets

from ..connection import active, on_change
from .bulk import PROGRESS_INTERVAL, PROGRESS_KEYS, counts_text
from .common import (
    Context,
    button,
    checkbox,
    describe_error,
    esc,
    format_time,
    message,
    show,
    with_class,
)

NOW = "now"


def _history() -> Any:
    """The account history package, imported when the tab first needs it."""
    from .. import account_history

    return account_history


def snapshot_label(info: Any) -> str:
    """ "#3 · 2025-06-01 12:00 · 120 subprojects (5 changed)" for a dropdown."""
    changed = "first" if info.previous is None else f"{info.changed:,} changed"
    return f"#{info.id} · {format_time(info.time)} · {info.subprojects:,} subprojects ({changed})"


class HistoryForm(widgets.VBox):
    """Snapshots of the connected account: take, list, compare, revert."""

    def __init__(self, ctx: Context, *, store: Any = None) -> None:
        self.ctx = ctx
        self.store = store  # None: the shared setting (%config Sinch.history) at each action
        self.diff: Any = None
        self.plan: Any = None
        self.result: Any = None
        self._connected = False
        self._busy = False
        self._progress_lock = threading.Lock()
        self._last_progress = 0.0

        self.store_label = with_class(widgets.HTML(), "sn-history-store")
        self.snapshot_button = button(
            "Take snapshot", "sn-history-snapshot", style="info", icon="camera"
        )
        self.refresh_button = button(
            "", "sn-history-refresh", icon="refresh", tooltip="Read the store again", width="3em"
        )
        pick = {"layout": widgets.Layout(width="30em"), "style": {"description_width": "2em"}}
        self.a = with_class(widgets.Dropdown(options=[], description="A", **pick), "sn-history-a")
        self.b = with_class(
            widgets.Dropdown(options=[("now (a fresh listing)", NOW)], description="B", **pick),
            "sn-history-b",
        )
        self.diff_button = button("Diff", "sn-history-diff", icon="exchange")
        self.diff_html = with_class(
            widgets.HTML(layout=widgets.Layout(max_height="24em", overflow="auto")),
            "sn-history-diff-view",
        )
        self.revert_button = button(
            "Revert to A", "sn-history-revert", style="warning", icon="undo"
        )
        self.plan_html = with_class(
            widgets.HTML(layout=widgets.Layout(max_height="24em", overflow="auto")),
            "sn-history-plan",
        )
        self.allow_mass_delete = checkbox("allow mass delete", "sn-history-mass-delete")
        self.apply_button = button("Apply", "sn-history-apply", style="danger", icon="play")
        self.progress = with_class(
            widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="30em")),
            "sn-history-progress",
        )
        self.progress_label = with_class(widgets.HTML(), "sn-history-progress-label")
        self.progress_box = widgets.HBox([self.progress, self.progress_label])
        self.status = with_class(widgets.HTML(), "sn-history-status")
        self.result_html = with_class(
            widgets.HTML(layout=widgets.Layout(max_height="24em", overflow="auto")),
            "sn-history-result",
        )

        self.snapshot_button.on_click(self.ctx.guard(self._on_snapshot))
        self.refresh_button.on_click(self.ctx.guard(lambda _b: self.reload()))
        self.a.observe(self.ctx.guard(self._on_pick), names="value")
        self.b.observe(self.ctx.guard(self._on_pick), names="value")
        self.diff_button.on_click(self.ctx.guard(self._on_diff))
        self.revert_button.on_click(self.ctx.guard(self._on_revert))
        self.apply_button.on_click(self.ctx.guard(self._on_apply))

        super().__init__(
            [
                widgets.HTML(
                    "Snapshots of the whole account (deleted included) kept in a local file: "
                    "pick two to see what changed, and revert to A through a reviewed plan."
                ),
                widgets.HBox([self.snapshot_button, self.refresh_button, self.store_label]),
                widgets.HBox([self.a, self.b, self.diff_button]),
                self.diff_html,
                self.revert_button,
                self.plan_html,
                widgets.HBox([self.allow_mass_delete, self.apply_button]),
                self.progress_box,
                self.status,
                self.result_html,
            ]
        )
        self.add_class("sn-history-form")
        show(self.progress_box, False)
        self._unsubscribe = on_change(self._on_connection)
        self._closed = False
        self._on_connection(active())

    # -- public --------------------------------------------------------------------------------

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update()

    def reload(self) -> None:
        """Read the list of snapshots again (in the background)."""
        self.ctx.worker.submit("Reading the history store", self._load)

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._unsubscribe()
        super().close()

    # -- state ---------------------------------------------------------------------------------

    def _on_connection(self, client: Any) -> None:
        if getattr(self, "_closed", True):
            return
        self.set_connected(client is not None)
        self.reload()

    def _update(self) -> None:
        idle = not self._busy
        needs_listing = self.b.value == NOW
        self.snapshot_button.disabled = not (idle and self._connected)
        self.refresh_button.disabled = not idle
        self.diff_button.disabled = not (
            idle and self.a.value is not None and (self._connected or not needs_listing)
        )
        self.revert_button.disabled = not (
            idle and self._connected and self.diff is not None and len(self.diff) > 0
        )
        ready = self.plan is not None and len(self.plan) > 0 and not self.plan.applied
        self.apply_button.disabled = not (idle and self._connected and ready)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    def _on_pick(self, _change: Any) -> None:
        self._forget_diff()

    def _forget_diff(self) -> None:
        self.diff = None
        self.plan = None
        self.diff_html.value = ""
        self.plan_html.value = ""
        self._update()

    def _error(self, text: str) -> None:
        self.status.value = message("error", text)
        self.ctx.log.error(text)

    # -- the list of snapshots -------------------------------------------------------------------

    def _load(self) -> None:
        try:
            target = _history().open_store(self.store)
            client = active()
            infos = target.snapshot_infos(client.project_id if client is not None else None)
        except Exception as err:  # a file that is not a store, an unreadable one
            self.store_label.value = ""
            self._error(f"History store: {describe_error(err)}")
            return
        newest_first = [(snapshot_label(info), info.id) for info in reversed(infos)]
        current_a, current_b = self.a.value, self.b.value
        self.a.options = newest_first
        self.b.options = [("now (a fresh listing)", NOW), *newest_first]
        ids = {info.id for info in infos}
        self.a.value = current_a if current_a in ids else (infos[-1].id if infos else None)
        self.b.value = current_b if current_b in ids or current_b == NOW else NOW
        count = f"{len(infos)} snapshot{'s' if len(infos) != 1 else ''}"
        self.store_label.value = message(
            "muted", "", raw_html=f"{count} in <code>{esc(target.path)}</code>"
        )
        self._update()

    def _on_snapshot(self, _button: widgets.Button | None = None) -> None:
        if self._busy:
            return
        self._set_busy(True)
        self.status.value = message("busy", "Listing the whole account for a snapshot…")
        self.ctx.worker.submit("Taking a snapshot", self._snapshot)

    def _snapshot(self) -> None:
        try:
            taken = _history().snapshot(self.ctx.client(), store=self.store)
        except Exception as err:
            self._error(f"No snapshot taken: {describe_error(err)}")
            return
        finally:
            self._set_busy(False)
        since = (
            "the first" if taken.previous is None else f"{taken.changed:,} changed since the last"
        )
        text = (
            f"Snapshot {taken.id}: {taken.subprojects:,} subprojects ({taken.deleted:,} "
            f"deleted), {since}."
        )
        self.status.value = message("ok", text)
        self.ctx.log.info(text)
        self._load()
        self.a.value = taken.id

    # -- diff and revert -------------------------------------------------------------------------

    def _on_diff(self, _button: widgets.Button | None = None) -> None:
        if self._busy or self.a.value is None:
            return
        self._forget_diff()
        self.result_html.value = ""
        show(self.progress_box, False)
        self._set_busy(True)
        self.status.value = message("busy", "Comparing…")
        self.ctx.worker.submit("Comparing snapshots", self._diff, self.a.value, self.b.value)

    def _diff(self, a: Any, b: Any) -> None:
        try:
            client = self.ctx.client() if NOW in (a, b) else active()
            found = _history().diff(a, b, store=self.store, client=client)
        except Exception as err:
            self._error(f"Could not compare: {describe_error(err)}")
            return
        finally:
            self._set_busy(False)
        self.diff = found
        self.diff_html.value = found._repr_html_()
        if len(found):
            text = (
                f"{len(found):,} changes in {len(found.subprojects):,} subprojects from "
                f"{found.a.name} to {found.b.name}. Revert to A plans the way back."
            )
            self.status.value = message("info", text)
        else:
            self.status.value = message("ok", f"No changes from {found.a.name} to {found.b.name}.")
        self._update()

    def _on_revert(self, _button: widgets.Button | None = None) -> None:
        if self._busy or self.diff is None:
            return
        self.plan = None
        self.plan_html.value = ""
        self.result_html.value = ""
        self._set_busy(True)
        self.status.value = message("busy", f"Planning the way back to {self.diff.a.name}…")
        self.ctx.worker.submit("Planning a revert", self._revert, self.diff)

    def _revert(self, found: Any) -> None:
        try:
            plan = found.revert()
        except Exception as err:
            self._error(f"Could not plan the revert: {describe_error(err)}")
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
                f"{len(plan):,} changes back to {found.a.name} ({what}).{held} Review, then Apply.",
            )
        else:
            self.status.value = message("ok", f"Nothing to apply.{held}")
        self.ctx.log.info(f"Planned a revert to {found.a.name}: {len(plan):,} changes.{held}")
        self._update()

    # -- apply -----------------------------------------------------------------------------------

    def _on_apply(self, _button: widgets.Button | None = None) -> None:
        if self._busy or self.plan is None or not len(self.plan):
            return
        total = len(self.plan)
        self.progress.max = max(1, total)
        self.progress.value = 0
        self.progress.bar_style = ""
        self.progress_label.value = f"0 / {total:,}"
        show(self.progress_box, True)
        self._last_progress = 0.0
        self._set_busy(True)
        self.status.value = message("busy", f"Applying {total:,} changes…")
        self.ctx.worker.submit(
            "Applying a revert", self._apply, self.plan, self.allow_mass_delete.value
        )

    def _on_progress(self, done: int, total: int, counts: dict[str, Any]) -> None:
        now = time.monotonic()
        with self._progress_lock:
            if done < total and now - self._last_progress < PROGRESS_INTERVAL:
                return
            self._last_progress = now
            self.progress.value = done
            detail = counts_text(counts, PROGRESS_KEYS)
            self.progress_label.value = esc(
                f"{done:,} / {total:,}" + (f" · {detail}" if detail else "")
            )

    def _apply(self, plan: Any, allow_mass_delete: bool) -> None:
        try:
            result = plan.apply(progress=self._on_progress, allow_mass_delete=allow_mass_delete)
        except Exception as err:
            text = f"Revert stopped: {describe_error(err)}"
            if getattr(err, "field", None) == "allow_mass_delete":
                text = (
                    f"Not applied: the plan deletes {plan.deletes} subprojects. Review it, tick "
                    "'allow mass delete', then Apply again."
                )
            self.progress.bar_style = "danger"
            self._error(text)
            return
        finally:
            self._set_busy(False)
        self.result = result
        self.ctx.namespace()["history_revert_result"] = result
        self.progress.value = self.progress.max
        self.progress.bar_style = "success" if result.ok else "warning"
        self.result_html.value = result._repr_html_()
        summary = counts_text(result.counts)
        text = f"Reverted: {summary} (result in history_revert_result). Diff again to check."
        self.status.value = message("ok" if result.ok else "warn", text)
        self.ctx.log.info(text)
        self._update()
