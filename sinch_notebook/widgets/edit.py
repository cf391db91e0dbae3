"""The Edit tab: rename, edit labels, Save (PATCH), Delete behind a confirmation step.

The API has no ETag or update mask, and a sent `labels` map replaces every label. Saving over
a subproject that someone changed after it was opened here would silently undo their change,
so Save first fetches the subproject again and compares its `updateTime` with the one seen at
open; if it moved, the panel says so and offers Reload instead of overwriting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ipywidgets as widgets

from ..errors import NotFound
from ..models import Subproject
from .common import (
    Context,
    button,
    describe_error,
    esc,
    format_time,
    message,
    show,
    with_class,
)
from .create import NAME_RULE, name_problem
from .labels import LabelsEditor


class EditForm(widgets.VBox):
    """Open a subproject by id (or from Browse), change it, Save or Delete it."""

    def __init__(
        self, ctx: Context, *, on_changed: Callable[[Subproject], None] | None = None
    ) -> None:
        self.ctx = ctx
        self.on_changed = on_changed
        self.opened: Subproject | None = None
        self._connected = False
        self._busy = False

        self.subproject_id = with_class(
            widgets.Text(
                description="Subproject ID",
                placeholder="pick one in Browse, or paste an id",
                layout=widgets.Layout(width="30em"),
                style={"description_width": "8em"},
            ),
            "sn-edit-id",
        )
        self.open_button = button("Open", "sn-edit-open", icon="folder-open")
        self.info = with_class(widgets.HTML(), "sn-edit-info")
        self.name = with_class(
            widgets.Text(
                description="Display name",
                layout=widgets.Layout(width="36em"),
                style={"description_width": "8em"},
            ),
            "sn-edit-name",
        )
        self.name_error = with_class(widgets.HTML(), "sn-edit-name-error")
        self.labels = LabelsEditor()
        self.save_button = button("Save", "sn-edit-save", style="primary", icon="save")
        self.delete_button = button("Delete…", "sn-edit-delete", style="danger", icon="trash")
        self.reload_button = button("Reload", "sn-edit-reload", style="warning", icon="refresh")
        self.confirm_text = with_class(widgets.HTML(), "sn-edit-confirm-text")
        self.confirm_button = button("Yes, delete it", "sn-edit-confirm", style="danger")
        self.cancel_button = button("Cancel", "sn-edit-cancel")
        self.confirm_box = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_button, self.cancel_button])]
        )
        self.status = with_class(widgets.HTML(), "sn-edit-status")

        self.open_button.on_click(
            self.ctx.guard(lambda _b: self.open_subproject(self.subproject_id.value))
        )
        self.name.observe(self.ctx.guard(lambda _c: self._update()), names="value")
        self.labels.on_change(self._update)
        self.save_button.on_click(self.ctx.guard(self._on_save))
        self.delete_button.on_click(self.ctx.guard(self._on_delete))
        self.confirm_button.on_click(self.ctx.guard(self._on_confirm_delete))
        self.cancel_button.on_click(self.ctx.guard(lambda _b: self._confirming(False)))
        self.reload_button.on_click(self.ctx.guard(lambda _b: self.reload()))

        self.fields = widgets.VBox(
            [
                self.info,
                self.name,
                self.name_error,
                widgets.HTML("<b>Labels</b>"),
                self.labels,
                widgets.HBox([self.save_button, self.delete_button, self.reload_button]),
                self.confirm_box,
            ]
        )
        super().__init__(
            [widgets.HBox([self.subproject_id, self.open_button]), self.fields, self.status]
        )
        self.add_class("sn-edit-form")
        self.clear()

    # -- public --------------------------------------------------------------------------------

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update()

    def open_subproject(self, subproject_id: str) -> None:
        """Fetch `subproject_id` and load it into the form (in the background)."""
        subproject_id = (subproject_id or "").strip()
        if not subproject_id:
            self.status.value = message("error", "Subproject ID: give an id to open.")
            return
        self.subproject_id.value = subproject_id
        self.status.value = message("busy", f"Opening {subproject_id}…")
        self.ctx.worker.submit("Opening a subproject", self._open, subproject_id)

    def reload(self) -> None:
        if self.opened is not None:
            self.open_subproject(self.opened.subproject_id)

    def clear(self) -> None:
        self.opened = None
        self.name.value = ""
        self.labels.clear()
        self.info.value = ""
        self._confirming(False)
        show(self.fields, False)
        show(self.reload_button, False)
        self._update()

    @property
    def changes(self) -> dict[str, Any]:
        """What Save would send: only the fields that differ from the opened version."""
        if self.opened is None:
            return {}
        changes: dict[str, Any] = {}
        if self.name.value != self.opened.display_name:
            changes["display_name"] = self.name.value
        if self.labels.labels != self.opened.labels:
            changes["labels"] = self.labels.labels
        return changes

    # -- loading -------------------------------------------------------------------------------

    def _open(self, subproject_id: str) -> None:
        try:
            sp = self.ctx.client().get(subproject_id)
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            text = f"Could not open {subproject_id}: {describe_error(err)}"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        self._load(sp)
        self.status.value = message("info", f"Opened {sp.display_name!r}.")

    def _load(self, sp: Subproject) -> None:
        self.opened = sp
        self.subproject_id.value = sp.subproject_id
        self.name.value = sp.display_name
        self.labels.set_labels(sp.labels)
        deleted = ' · <b style="color:#c62828">deleted</b>' if sp.deleted else ""
        self.info.value = (
            f"<code>{esc(sp.subproject_id)}</code> · created {format_time(sp.create_time)} · "
            f"updated {format_time(sp.update_time)} UTC{deleted}"
        )
        self._confirming(False)
        show(self.reload_button, False)
        show(self.fields, True)
        self._update()

    # -- state ---------------------------------------------------------------------------------

    def _update(self) -> None:
        problem = name_problem(self.name.value) if self.opened is not None else ""
        self.name_error.value = (
            message("error", f"{problem} (the rule: {NAME_RULE})") if problem else ""
        )
        editable = self._connected and self.opened is not None and not self.opened.deleted
        idle = editable and not self._busy
        self.name.disabled = not editable
        self.labels.disabled = not editable
        self.save_button.disabled = not (idle and not problem and self.labels.valid)
        self.delete_button.disabled = not idle
        self.open_button.disabled = not self._connected or self._busy

    def _confirming(self, on: bool) -> None:
        show(self.confirm_box, on)
        if on and self.opened is not None:
            self.confirm_text.value = message(
                "warn",
                "",
                raw_html=f"Delete <b>{esc(self.opened.display_name)}</b> "
                f"(<code>{esc(self.opened.subproject_id)}</code>)? It is a soft delete and "
                "cannot be undone.",
            )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    # -- save ----------------------------------------------------------------------------------

    def _on_save(self, _button: widgets.Button | None = None) -> None:
        if self.opened is None or self._busy:
            return
        changes = self.changes
        if not changes:
            self.status.value = message("info", "Nothing to save: no changes.")
            return
        if name_problem(self.name.value) or not self.labels.valid:
            self._update()
            return
        self._set_busy(True)
        self.status.value = message("busy", "Saving…")
        self.ctx.worker.submit("Saving a subproject", self._save, self.opened, changes)

    def _save(self, opened: Subproject, changes: dict[str, Any]) -> None:
        try:
            client = self.ctx.client()
            current = client.get(opened.subproject_id)
            if current.update_time != opened.update_time or current.deleted:
                self._conflict(current)
                return
            saved = client.update(opened.subproject_id, **changes)
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            text = f"Could not save {opened.display_name!r}: {describe_error(err)}"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        finally:
            self._set_busy(False)
        self._load(saved)
        what = " and ".join(
            {"display_name": "name", "labels": "labels"}[field] for field in changes
        )
        self.status.value = message("ok", f"Saved the {what} of {saved.display_name!r}.")
        self.ctx.log.info(f"Saved {saved.subproject_id} ({what}).")
        if self.on_changed is not None:
            self.on_changed(saved)

    def _conflict(self, current: Subproject) -> None:
        if current.deleted:
            what = "was deleted"
        else:
            what = f"changed on the server at {format_time(current.update_time)} UTC"
        text = (
            f"Not saved: {current.display_name!r} {what}, after you opened it here. "
            "Reload to see the server's version (your edits in this form will be replaced), "
            "then make them again."
        )
        self.status.value = message("warn", text)
        self.ctx.log.error(text)
        show(self.reload_button, True)
        if self.on_changed is not None:
            self.on_changed(current)

    # -- delete --------------------------------------------------------------------------------

    def _on_delete(self, _button: widgets.Button | None = None) -> None:
        if self.opened is None or self._busy:
            return
        self._confirming(True)

    def _on_confirm_delete(self, _button: widgets.Button | None = None) -> None:
        if self.opened is None or self._busy:
            return
        self._confirming(False)
        self._set_busy(True)
        self.status.value = message("busy", f"Deleting {self.opened.display_name!r}…")
        self.ctx.worker.submit("Deleting a subproject", self._delete, self.opened)

    def _delete(self, opened: Subproject) -> None:
        try:
            client = self.ctx.client()
            client.delete(opened.subproject_id)
            try:
                gone = client.get(opened.subproject_id)
            except NotFound:
                gone = replace(opened, deleted=True)
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            text = f"Could not delete {opened.display_name!r}: {describe_error(err)}"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        finally:
            self._set_busy(False)
        self._load(gone)
        self.status.value = message("ok", f"Deleted {opened.display_name!r}.")
        self.ctx.log.info(f"Deleted {opened.subproject_id} ({opened.display_name!r}).")
        if self.on_changed is not None:
            self.on_changed(gone)
