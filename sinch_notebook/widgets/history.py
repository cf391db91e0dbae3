"""The History tab: take a snapshot, pick two, see the diff, revert through a reviewed plan.

Exactly the Python API's calls (`sn.snapshot`, `sn.snapshots`, `sn.diff`, `diff.revert()`),
run in the panel's background worker. Applying the revert is the panel's one way of applying
a reviewed plan (`applying.PlanRunner`, as in Bulk): the plan is shown first, Apply sends
exactly that plan, deletes ask first, and more than 10 need "allow mass delete".
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..account_history.render import PANEL_WAY_BACK, diff_html
from ..connection.active import active, on_change
from ..display import short_time
from ..public import forwarded
from . import controls as ui
from .applying import PlanRunner, counts_text
from .common import Context, amount, esc, message
from .plan_view import plan_html

NOW = "now"


def _history() -> Any:
    """The account history package, imported when the tab first needs it."""
    from .. import account_history

    return account_history


def snapshot_label(info: Any) -> str:
    """ "#3 · 2025-06-01 12:00 · 120 subprojects (5 changed)" for a dropdown."""
    changed = "first" if info.previous is None else f"{info.changed:,} changed"
    return f"#{info.id} · {short_time(info.time)} · {info.subprojects:,} subprojects ({changed})"


class HistoryForm(widgets.VBox):
    """Snapshots of the connected account: take, list, compare, revert."""

    def __init__(self, ctx: Context, *, store: Any = None) -> None:
        self.ctx = ctx
        self.store = store  # None: the shared setting (%config Sinch.history) at each action
        self.diff: Any = None
        self._connected = False
        self._busy = False

        self.store_label = ui.html("sn-history-store")
        self.snapshot_button = ui.button(
            "Take snapshot", "sn-history-snapshot", style="info", icon="camera"
        )
        self.refresh_button = ui.button(
            "", "sn-history-refresh", icon="refresh", tooltip="Read the store again", width="3em"
        )
        self.a = ui.dropdown("A", "sn-history-a", options=[], width="30em", label_width="2em")
        self.b = ui.dropdown(
            "B",
            "sn-history-b",
            options=[("now (a fresh listing)", NOW)],
            width="30em",
            label_width="2em",
        )
        self.diff_button = ui.button("Diff", "sn-history-diff", icon="exchange")
        self.diff_html = ui.html("sn-history-diff-view", max_height="24em", overflow="auto")
        self.revert_button = ui.button(
            "Revert to A", "sn-history-revert", style="warning", icon="undo"
        )
        self.revert_row = ui.row(self.revert_button)  # a button, not a full-width bar
        self.plan_html = ui.html("sn-history-plan", max_height="24em", overflow="auto")
        self.status = ui.html("sn-history-status")
        self.runner = PlanRunner(
            ctx, prefix="sn-history", result_name=lambda: "history_revert_result"
        )
        # The runner's parts the tests and users reach for by their old names.
        self.apply_button = self.runner.apply_button
        self.allow_mass_delete = self.runner.allow_mass_delete
        self.progress = self.runner.progress

        self.snapshot_button.on_click(ctx.guard(self._on_snapshot))
        self.refresh_button.on_click(ctx.guard(lambda _b: self.reload()))
        self.a.observe(ctx.guard(self._on_pick), names="value")
        self.b.observe(ctx.guard(self._on_pick), names="value")
        self.diff_button.on_click(ctx.guard(self._on_diff))
        self.revert_button.on_click(ctx.guard(self._on_revert))

        super().__init__(
            [
                widgets.HTML(
                    "Snapshots of the whole account (deleted included) kept in a local file: "
                    "pick two to see what changed, and revert to A through a reviewed plan."
                ),
                ui.row(self.snapshot_button, self.refresh_button, self.store_label),
                ui.row(self.a, self.b, self.diff_button),
                self.diff_html,
                self.revert_row,
                self.plan_html,
                self.status,
                self.runner,
            ]
        )
        self.add_class("sn-history-form")
        self._unsubscribe = on_change(self._on_connection)
        self._closed = False
        self._on_connection(active())

    # -- public --------------------------------------------------------------------------------

    plan = forwarded("runner.plan", "The plan being reviewed (None before one).")
    result = forwarded("runner.result", "The result of the last apply (None before one).")

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self.runner.set_connected(connected)
        self._update()

    def forget_connection(self) -> None:
        """Another connection: the old account's diff, revert plan, result and message go."""
        self._forget_diff()
        self.runner.forget_result()
        self.status.value = ""

    def reload(self) -> None:
        """Read the list of snapshots again (in the background)."""
        self.ctx.submit(
            "Reading the history store", self._load, failure="History store", status=self.status
        )

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
        idle = not self._busy and not self.runner.busy
        needs_listing = self.b.value == NOW
        self.snapshot_button.disabled = not (idle and self._connected)
        self.refresh_button.disabled = not idle
        self.diff_button.disabled = not (
            idle and self.a.value is not None and (self._connected or not needs_listing)
        )
        self.revert_button.disabled = not (
            idle and self._connected and self.diff is not None and len(self.diff) > 0
        )
        ui.show(self.revert_row, bool(self.a.options))  # nothing to revert to without a snapshot

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    def _work(self, label: str, busy_text: str, work: Any, *args: Any, failure: str) -> None:
        """Run `work` in the background with the tab busy; a failure is a message."""
        if self._busy:
            return
        self._set_busy(True)
        self.status.value = message("busy", busy_text)
        self.ctx.submit(
            label,
            work,
            *args,
            failure=failure,
            status=self.status,
            after=lambda: self._set_busy(False),
        )

    def _on_pick(self, _change: Any) -> None:
        if self.diff is not None:
            self.status.value = ""  # it spoke of the diff (or its revert) of the old picks
        self._forget_diff()

    def _forget_diff(self) -> None:
        self.diff = None
        self.diff_html.value = ""
        self.plan_html.value = ""
        self.runner.offer(None)
        self._update()

    # -- the list of snapshots -------------------------------------------------------------------

    def _load(self) -> None:
        self.store_label.value = ""
        target = _history().open_store(self.store)
        client = active()
        infos = target.snapshot_infos(client.project_id if client is not None else None)
        newest_first = [(snapshot_label(info), info.id) for info in reversed(infos)]
        current_a, current_b = self.a.value, self.b.value
        self.a.options = newest_first
        self.b.options = [("now (a fresh listing)", NOW), *newest_first]
        ids = {info.id for info in infos}
        self.a.value = current_a if current_a in ids else (infos[-1].id if infos else None)
        self.b.value = current_b if current_b in ids or current_b == NOW else NOW
        self.store_label.value = message(
            "muted",
            "",
            raw_html=f"{esc(amount(len(infos), 'snapshot'))} in <code>{esc(target.where)}</code>",
        )
        self._update()

    def _on_snapshot(self, _button: widgets.Button | None = None) -> None:
        self._work(
            "Taking a snapshot",
            "Listing the whole account for a snapshot…",
            self._snapshot,
            failure="No snapshot taken",
        )

    def _snapshot(self) -> None:
        taken = _history().snapshot(self.ctx.client(), store=self.store)
        since = (
            "the first" if taken.previous is None else f"{taken.changed:,} changed since the last"
        )
        text = (
            f"Snapshot {taken.id}: {taken.subprojects:,} subprojects ({taken.deleted:,} "
            f"deleted), {since}."
        )
        self._load()
        self.a.value = taken.id
        self.status.value = message("ok", text)  # after the picks moved (see _on_pick)
        self.ctx.log.info(text)

    # -- diff and revert -------------------------------------------------------------------------

    def _on_diff(self, _button: widgets.Button | None = None) -> None:
        if self.a.value is None:
            return
        self._forget_diff()
        self.runner.forget_result()
        self._work(
            "Comparing snapshots",
            "Comparing…",
            self._diff,
            self.a.value,
            self.b.value,
            failure="Could not compare",
        )

    def _diff(self, a: Any, b: Any) -> None:
        client = self.ctx.client() if _history().needs_listing(a, b) else active()
        found = _history().diff(a, b, store=self.store, client=client)
        self.diff = found
        self.diff_html.value = diff_html(found, PANEL_WAY_BACK)
        if len(found):
            text = (
                f"{amount(len(found), 'change')} in {amount(len(found.subprojects), 'subproject')}"
                f" from {found.a.name} to {found.b.name}. Revert to A plans the way back."
            )
            self.status.value = message("info", text)
        else:
            self.status.value = message("ok", f"No changes from {found.a.name} to {found.b.name}.")

    def _on_revert(self, _button: widgets.Button | None = None) -> None:
        if self.diff is None:
            return
        self.plan_html.value = ""
        self.runner.offer(None)
        self.runner.forget_result()
        self._work(
            "Planning a revert",
            f"Planning the way back to {self.diff.a.name}…",
            self._revert,
            self.diff,
            failure="Could not plan the revert",
        )

    def _revert(self, found: Any) -> None:
        plan = found.revert()
        self.plan_html.value = plan_html(plan)
        summary = plan.summary()
        held = counts_text(summary, ("conflict", "invalid", "refused"))
        held = f" Not applied: {held} (see the plan)." if held else ""
        if plan.readiness == "ready":
            what = counts_text(summary, ("create", "update", "delete"))
            self.status.value = message(
                "info",
                f"{amount(len(plan), 'change')} back to {found.a.name} ({what}).{held} "
                "Review, then Apply.",
            )
        else:
            self.status.value = message("warn" if held else "ok", f"Nothing to apply.{held}")
        self.ctx.log.info(
            f"Planned a revert to {found.a.name}: {amount(len(plan), 'change')}.{held}"
        )
        self.runner.offer(plan)
