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
from ..files import MAX_UPLOAD_BYTES, read_upload, upload_too_large
from ..public import forwarded
from . import controls as ui
from .common import Context, amount, describe_error, message
from .desired_upload import DesiredOpener, keep_upload
from .editor import FrameEditor

UPLOAD_NAME = "uploaded_df"
MISSING_NAMED = 5  # subprojects named when an upload leaves some out


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
        self,
        ctx: Context,
        *,
        on_applied: Callable[[], None] | None = None,
        canvas: bool = False,
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
            "Upload CSV / Excel",
            "sn-bulk-upload-frame",
            accept=".csv,.xlsx",
            max_bytes=MAX_UPLOAD_BYTES,  # a larger file is refused before its bytes are sent
        )
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
        self.open_button.on_click(self.ctx.guard(lambda _b: self._open_clicked()))
        self.upload.on_upload(self.ctx.guard(self._on_upload))
        self.editor = FrameEditor(
            ctx, on_applied=self._applied, result_name=self._result_name, canvas=canvas
        )
        self.desired = DesiredOpener(ctx, self._show_desired, self._say)
        self._saying = False
        self.editor.status.observe(self._editor_said, names="value")
        self.rescan_button.on_click(self.ctx.guard(lambda _b: self.rescan()))
        self.variable.observe(self.ctx.guard(self._on_variable), names="value")
        self.plan_button.on_click(self.ctx.guard(self._on_plan))
        self.upload_frame.on_upload(self.ctx.guard(self.load_file))
        self.upload_frame.on_refused(
            self.ctx.guard(lambda name, size: self._say("error", str(upload_too_large(name, size))))
        )
        intro = (
            "Pick a DataFrame of this notebook (Browse → To DataFrame makes one), or "
            "upload an edited CSV / Excel export; edit it in the grid or with pandas, "
            "review the plan, then Apply."
            if ctx.for_code
            else "Upload an edited CSV or Excel file (Browse → CSV or Excel downloads one): "
            "change names and labels, add rows to create, set delete to true to delete; then "
            "review the plan here and Apply."
        )
        picker = (self.variable, self.rescan_button, self.plan_button) if ctx.for_code else ()
        super().__init__(
            [
                widgets.HTML(intro),
                ui.row(*picker, self.upload_frame),
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

    def forget_connection(self) -> None:
        """Another connection: the plan (of a frame, a plan file or a desired-state file) and
        the messages were the old account's; the DataFrame is picked again to plan anew."""
        self.variable.value = None
        self.editor.set_frame(None)
        self.desired.diff = None
        self.picker_status.value = ""
        self.editor.status.value = ""
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

    def _on_upload(self, name: str, content: bytes) -> None:
        """An uploaded plan is kept in the working folder under its name, then opened; a plan
        file applies once, and its journal goes next to it there. A refused plan is not kept."""
        keep_upload(name, content, self._say, lambda target: self.open_plan(str(target)))

    def _open_clicked(self) -> None:
        try:
            self.open_plan()
        except Exception as exc:
            self._say("error", f"Not opened: {describe_error(exc)}")

    def _say(self, kind: str, text: str) -> None:
        """The tab's latest outcome, on its one status line (the editor's older one goes)."""
        self.picker_status.value = message(kind, text)
        self._saying = True
        try:
            self.editor.status.value = ""
        finally:
            self._saying = False
        (self.ctx.log.error if kind == "error" else self.ctx.log.info)(text)

    def _editor_said(self, change: dict[str, Any]) -> None:
        """The editor's status (planning, applied) is now the latest outcome: the picker's
        older line goes, so the tab never shows two outcomes at once."""
        if change["new"] and not self._saying:
            self.picker_status.value = ""

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
            self._say("error", f"{name} is no longer a DataFrame.")
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
            self._say("error", str(err))
            return
        self.ctx.namespace()[UPLOAD_NAME] = frame
        self.load(UPLOAD_NAME)
        where = f" as {UPLOAD_NAME}" if self.ctx.for_code else ""
        loaded = f"{name}: {amount(len(frame), 'row')} loaded{where}."
        self.picker_status.value = message("info", loaded)
        self.ctx.log.info(f"Uploaded {name} ({amount(len(frame), 'row')}){where}.")
        self.ctx.submit(
            "Comparing the file with the account",
            self._say_missing,
            frame,
            loaded,
            failure="Could not compare the file with the account",
        )

    def _say_missing(self, frame: Any, loaded: str) -> None:
        """Live subprojects not in an uploaded file are left as they are (nothing is deleted
        by omission, `bulk.plan`): say which, and how a file deletes one, so a row deleted
        from the file is not silently ignored. Runs after the plan (one worker, in order)."""
        listed = (
            set(frame["subprojectId"].dropna().astype(str)) if "subprojectId" in frame else set()
        )
        records = self.ctx.client().records()
        missing = sorted(
            (str(r.get("displayName") or ""), sid)
            for sid, r in records.items()
            if sid not in listed and r.get("deleted") is not True
        )
        if not missing:
            return
        shown = ", ".join(f"{n!r}" for n, _sid in missing[:MISSING_NAMED])
        more = f" and {len(missing) - MISSING_NAMED:,} more" if len(missing) > MISSING_NAMED else ""
        text = (
            f"{loaded} It leaves {amount(len(missing), 'subproject')} of the account as they are, "
            f"because the file has no row for them: {shown}{more}. To delete one, keep its row "
            "in the file and set its delete column to true (or delete it in the Edit tab)."
        )
        self.picker_status.value = message("warn", text)
        self.ctx.log.info(text)

    def _show_desired(self, plan: Any) -> None:
        self.variable.value = None
        self.editor.show_plan(plan)

    def _applied(self, result: Any) -> None:
        self.desired.applied(result)
        if self.on_applied is not None:
            self.on_applied()
