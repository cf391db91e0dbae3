"""The Bulk tab: pick a DataFrame of the notebook, edit it in a grid, review its plan, apply it.

The grid, the live plan and the apply are the frame editor's (`editor.py`, the same as
`sn.edit(df)`); this tab only finds the notebook's DataFrames and loads the chosen one. It also
saves the plan it shows to a plan file, and opens a plan file (a path, or an upload) for review
and Apply under the same confirmations (`plan.save`, `sn.load_plan`: the rules are the core's),
and so does a desired-state file's diff (`desired_upload.py`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..errors import ValidationError
from ..files import read_upload
from ..public import forwarded
from . import controls as ui
from .common import Context, amount, message
from .desired_upload import DesiredOpener, keep_upload
from .editor import FrameEditor

UPLOAD_NAME = "uploaded_df"


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


class BulkForm(widgets.VBox):
    """DataFrame picker + the frame editor (grid, live plan, apply with confirmation)."""

    def __init__(
        self, ctx: Context, *, on_applied: Callable[[], None] | None = None, html: bool = False
    ) -> None:
        self.ctx = ctx
        self.on_applied = on_applied
        self._rescanning = False
        self.variable = ui.dropdown(
            "DataFrame", "sn-bulk-variable", [], width="22em", label_width="6em"
        )
        self.rescan_button = ui.button(
            "", "sn-bulk-rescan", icon="refresh", tooltip="Look for DataFrames again", width="3em"
        )
        self.plan_button = ui.button(
            "Load and plan",
            "sn-bulk-plan",
            style="info",
            icon="list",
            tooltip="Show the DataFrame in the grid and plan it (again, after pandas edits)",
        )
        self.upload_frame = ui.upload(
            "Upload CSV / Excel", "sn-bulk-upload-frame", accept=".csv,.xlsx"
        )
        self.upload_frame.layout.width = "14em"
        self.picker_status = ui.html("sn-bulk-picker-status")
        self.plan_path = ui.field(
            "Plan file", "sn-bulk-plan-path", value="change.json", width="22em", label_width="6em"
        )
        self.save_button = ui.button(
            "Save plan", "sn-bulk-save", icon="save", tooltip="Save the plan shown to the file"
        )
        self.open_button = ui.button(
            "Open plan", "sn-bulk-open", icon="folder-open", tooltip="Review a saved plan file"
        )
        self.upload = ui.upload("Upload plan", "sn-bulk-upload", accept=".json")
        self.save_button.on_click(self.ctx.guard(lambda _b: self.save_plan()))
        self.open_button.on_click(self.ctx.guard(lambda _b: self.open_plan()))
        self.upload.observe(self.ctx.guard(self._on_upload), names="value")
        self.editor = FrameEditor(
            ctx, on_applied=self._applied, result_name=self._result_name, html=html
        )
        self.desired = DesiredOpener(ctx, self._show_desired, self._say)
        self.rescan_button.on_click(self.ctx.guard(lambda _b: self.rescan()))
        self.variable.observe(self.ctx.guard(self._on_variable), names="value")
        self.plan_button.on_click(self.ctx.guard(self._on_plan))
        self.upload_frame.observe(self.ctx.guard(self._on_upload_frame), names="value")
        super().__init__(
            [
                widgets.HTML(
                    "Pick a DataFrame of this notebook (Browse → To DataFrame makes one), or "
                    "upload an edited CSV / Excel export; edit it in the grid or with pandas, "
                    "review the plan, then Apply."
                ),
                ui.row(self.variable, self.rescan_button, self.plan_button, self.upload_frame),
                ui.row(
                    self.plan_path,
                    self.save_button,
                    self.open_button,
                    self.upload,
                    self.desired.upload,
                ),
                self.picker_status,
                self.editor,
            ]
        )
        self.add_class("sn-bulk-form")
        self.rescan()

    # -- what the editor holds, for code and tests ---------------------------------------------

    plan = forwarded("editor.plan", "The plan the editor shows (None before a plan).")
    result = forwarded("editor.result", "The result of the last apply (None before one).")
    apply_button = forwarded("editor.apply_button", "The editor's Apply button.")

    @property
    def status(self) -> widgets.HTML:
        return self.editor.status

    # -- public --------------------------------------------------------------------------------

    def set_connected(self, connected: bool) -> None:
        self.editor.set_connected(connected)
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
                self.editor.set_frame(None)
        self._update()

    def load(self, name: str) -> None:
        """Pick variable `name`, show it in the grid and plan it."""
        self.rescan()
        self.variable.value = name
        self._on_plan()

    def save_plan(self, path: str | None = None) -> None:
        """Save the plan shown to `path` (default: the Plan file field)."""
        target = (path or self.plan_path.value).strip()
        plan = self.plan
        if plan is None:
            self._say("error", "No plan to save: load and plan a DataFrame first.")
            return
        if not target:
            self._say("error", "Plan file: give a file name, such as change.json.")
            return
        saved = plan.save(target)
        self._say(
            "ok",
            f"Saved the plan to {saved}: review it anywhere (sinch-notebook plan show {saved}), "
            f"apply it here or with sinch-notebook apply {saved}.",
        )

    def open_plan(self, path: str | None = None) -> None:
        """Show a plan file for review; Apply then applies it (once, if nothing moved)."""
        from ..bulk import load_plan

        target = (path or self.plan_path.value).strip()
        if not target:
            self._say("error", "Plan file: give the path of a saved plan.")
            return
        plan = load_plan(target, client=self.ctx.client())
        self.plan_path.value = target
        self.variable.value = None
        self.editor.show_plan(plan)
        self._say("info", f"Opened {plan.file} (made {plan.made_at}): review it, then Apply.")

    def _on_upload(self, change: dict[str, Any]) -> None:
        """An uploaded plan is kept in the working folder under its name, then opened; a plan
        file applies once, and its journal goes next to it there."""
        target = keep_upload(change, self.upload, self._say)
        if target is not None:
            self.open_plan(str(target))

    def _say(self, kind: str, text: str) -> None:
        self.picker_status.value = message(kind, text)
        (self.ctx.log.error if kind == "error" else self.ctx.log.info)(text)

    # -- internals -----------------------------------------------------------------------------

    def _update(self) -> None:
        self.plan_button.disabled = not (self.editor._connected and self.variable.value)
        self.open_button.disabled = self.upload.disabled = not self.editor._connected
        self.desired.upload.disabled = not self.editor._connected

    def _result_name(self) -> str:
        return f"{self.variable.value}_result" if self.variable.value else "bulk_result"

    def _on_variable(self, _change: Any) -> None:
        if not self._rescanning:
            self.editor.set_frame(None)
            self._update()

    def _on_plan(self, _button: widgets.Button | None = None) -> None:
        name = self.variable.value
        if not name:
            return
        frame = self.ctx.namespace().get(name)
        if frame is None or not hasattr(frame, "columns"):
            self.picker_status.value = message("error", f"{name} is no longer a DataFrame.")
            self.rescan()
            return
        self.picker_status.value = ""
        self.editor.set_frame(frame)

    def load_file(self, name: str, content: bytes) -> None:
        """An uploaded CSV or Excel file (the panel's export format) as the edited frame: kept
        as `uploaded_df` in the namespace, shown in the grid and planned."""
        try:
            frame = read_upload(name, content)
        except ValidationError as err:
            self.picker_status.value = message("error", str(err))
            return
        self.ctx.namespace()[UPLOAD_NAME] = frame
        self.load(UPLOAD_NAME)
        self.picker_status.value = message(
            "info", f"{name}: {amount(len(frame), 'row')} loaded as {UPLOAD_NAME}."
        )
        self.ctx.log.info(f"Uploaded {name} ({amount(len(frame), 'row')}) as {UPLOAD_NAME}.")

    def _on_upload_frame(self, change: Any) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        self.load_file(str(upload["name"]), bytes(upload["content"]))
        self.upload_frame.value = ()  # the file's bytes need not stay in the widget's state

    def _show_desired(self, plan: Any) -> None:
        self.variable.value = None
        self.editor.show_plan(plan)

    def _applied(self, result: Any) -> None:
        self.desired.applied(result)
        if self.on_applied is not None:
            self.on_applied()
