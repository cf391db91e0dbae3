"""The Edit tab: rename, edit labels, Save, and Delete behind the core's confirmation.

Save is `client.edit(..., expected_update_time=<the version opened here>)`: the core reads the
subproject again and, if it changed on the server since it was opened, sends nothing and raises
`ChangedOnServer`; the form then says so and offers Reload. Delete asks the question the core
decides on (`confirm.before_deleting`, which honours `%config Sinch.confirm_deletes`) and
deletes only the version shown (`client.delete_if_unchanged`): one changed on the server since is
shown as it is now and asked about again. A protected subproject (`guards.py`) is deleted
only after ticking "delete it although it is protected" in the question, asked every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ipywidgets as widgets

from ..confirm import before_deleting, changed_since
from ..display import short_time
from ..errors import ChangedOnServer, FailedPrecondition, NotFound, SubprojectChanged
from ..guards import is_protected, protect_label, protected_message
from ..models import Subproject, same_version
from . import controls as ui
from .common import Context, esc, message
from .create import NAME_FIELD, name_problem
from .labels import LabelsEditor

ALLOW_BOX = "Delete it although it is protected"
ALLOW_HOW = f"tick “{ALLOW_BOX}” below"  # the override, in the panel's words


class SubprojectForm(widgets.VBox):
    """Open a subproject by id (or from Browse), change it, Save or Delete it."""

    def __init__(
        self, ctx: Context, *, on_changed: Callable[[Subproject], None] | None = None
    ) -> None:
        self.ctx = ctx
        self.on_changed = on_changed
        self.opened: Subproject | None = None
        self._connected = False
        self._busy = False
        self._loading = False  # the form is being filled from the server, not edited

        self.subproject_id = ui.field(
            "Subproject ID",
            "sn-edit-id",
            placeholder="click a row in Browse, or paste an id",
            width="30em",
        )
        self.open_button = ui.button("Open", "sn-edit-open", icon="folder-open")
        self.info = ui.html("sn-edit-info")
        self.name = ui.field(NAME_FIELD, "sn-edit-name", width="36em")
        self.name_error = ui.html("sn-edit-name-error")
        self.labels = LabelsEditor()
        self.save_button = ui.button("Save", "sn-edit-save", style="primary", icon="save")
        self.delete_button = ui.button("Delete…", "sn-edit-delete", style="danger", icon="trash")
        self.reload_button = ui.button("Reload", "sn-edit-reload", style="warning", icon="refresh")
        self.confirm_text = ui.html("sn-edit-confirm-text")
        self.confirm_button = ui.button("Yes, delete it", "sn-edit-confirm", style="danger")
        self.cancel_button = ui.button("Cancel", "sn-edit-cancel")
        self.allow_protected = ui.checkbox(ALLOW_BOX, "sn-edit-allow-protected")
        self.confirm_box = ui.column(
            self.confirm_text,
            self.allow_protected,
            ui.row(self.confirm_button, self.cancel_button),
        )
        self.status = ui.html("sn-edit-status")
        self.unsaved = ui.html("sn-edit-unsaved")

        self.open_button.on_click(
            self.ctx.guard(lambda _b: self.open_subproject(self.subproject_id.value))
        )
        self.name.observe(self.ctx.guard(lambda _c: self._edited()), names="value")
        self.labels.on_change(self._edited)
        self.save_button.on_click(self.ctx.guard(self._on_save))
        self.reload_button.on_click(self.ctx.guard(lambda _b: self.reload()))
        self.delete_button.on_click(self.ctx.guard(self._on_delete))
        self.confirm_button.on_click(self.ctx.guard(self._on_confirm_delete))
        self.cancel_button.on_click(self.ctx.guard(self._on_cancel_delete))
        self.allow_protected.observe(self.ctx.guard(self._on_allow_protected), names="value")
        self.fields = ui.column(
            self.info,
            self.name,
            self.name_error,
            widgets.HTML("<b>Labels</b>"),
            self.labels,
            ui.row(self.save_button, self.delete_button, self.reload_button, self.unsaved),
            self.confirm_box,
        )
        super().__init__([ui.row(self.subproject_id, self.open_button), self.fields, self.status])
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
        self._in_background("Opening", "open", subproject_id, self._open, subproject_id, busy=False)

    def _in_background(
        self,
        doing: str,
        verb: str,
        what: str,
        work: Callable[..., Any],
        *args: Any,
        busy: bool = True,
        explain: Callable[[BaseException], str | None] | None = None,
    ) -> None:
        """Open, save or delete in the background, saying so in the status line (and why it
        failed, if it does); `busy` disables the form until it is over."""
        if busy:
            self._set_busy(True)
        self.status.value = message("busy", f"{doing} {what}…")
        self.ctx.submit(
            f"{doing} a subproject",
            work,
            *args,
            failure=f"Could not {verb} {what}",
            status=self.status,
            after=(lambda: self._set_busy(False)) if busy else None,
            explain=explain,
        )

    def follow(self, subproject_id: str, subproject: Subproject | None) -> None:
        """A write made through the shared connection (`%sinch`, a cell, another panel) to the
        subproject open here: the form follows it, or, with edits not saved yet, says so and
        offers Reload. The form's own Save and Delete are not news (it is busy with them)."""
        opened = self.opened
        if opened is None or opened.subproject_id != subproject_id or self._busy:
            return
        if subproject is not None and same_version(opened.update_time, subproject.update_time):
            return
        if subproject is None:
            subproject = replace(opened, deleted=True)
        if self.changes:
            ui.show(self.reload_button, True)
            self.status.value = message(
                "warn",
                f"{opened.display_name!r} was changed elsewhere (by %sinch, code or another "
                "panel): Reload shows it (your edits here will be replaced); Save will not "
                "overwrite it.",
            )
            return
        self._load(subproject)
        self.status.value = message(
            "info", f"{subproject.display_name!r} was changed elsewhere: the form shows it now."
        )

    def reload(self) -> None:
        if self.opened is not None:
            self.open_subproject(self.opened.subproject_id)

    def forget_connection(self) -> None:
        """Another connection: the form and its last message were about the old account."""
        self.clear()
        self.status.value = ""

    def clear(self) -> None:
        self.opened = None
        self._loading = True
        try:
            self.name.value = ""
            self.labels.clear()
        finally:
            self._loading = False
        self.info.value = ""
        self._confirming(None)
        ui.show(self.fields, False)
        ui.show(self.reload_button, False)
        self._update()

    @property
    def changes(self) -> dict[str, Any]:
        """What Save asks the core for: a new name, labels to set and labels to remove."""
        if self.opened is None:
            return {}
        changes: dict[str, Any] = {}
        if self.name.value != self.opened.display_name:
            changes["display_name"] = self.name.value
        wanted, before = self.labels.labels, self.opened.labels
        set_labels = {k: v for k, v in wanted.items() if before.get(k) != v}
        removed = [k for k in before if k not in wanted]
        if set_labels:
            changes["set_labels"] = set_labels
        if removed:
            changes["remove_labels"] = removed
        return changes

    # -- loading -------------------------------------------------------------------------------

    def _open(self, subproject_id: str) -> None:
        sp = self.ctx.client().get(subproject_id)
        self._load(sp)
        self.status.value = message("info", f"Opened {sp.display_name!r}.")

    def _load(self, sp: Subproject) -> None:
        self.opened = sp
        self.subproject_id.value = sp.subproject_id
        self._loading = True
        try:
            self.name.value = sp.display_name
            self.labels.set_labels(sp.labels)
        finally:
            self._loading = False
        deleted = ' · <b style="color:#c62828">deleted</b>' if sp.deleted else ""
        self.info.value = (
            f"<code>{esc(sp.subproject_id)}</code> · created {esc(short_time(sp.create_time))}"
            f" · updated {esc(short_time(sp.update_time))}{deleted}"
        )
        self._confirming(None)
        ui.show(self.reload_button, False)
        ui.show(self.fields, True)
        self._update()

    # -- state ---------------------------------------------------------------------------------

    def _edited(self) -> None:
        """A person changed the name or a label: the last outcome ("Opened", "Saved") is no
        longer about what the form shows. A conflict's advice (Reload) stays until acted on."""
        if not self._loading and not self._busy and self.reload_button.layout.display == "none":
            self.status.value = ""
        self._update()

    def _update(self) -> None:
        problem = name_problem(self.name.value) if self.opened is not None else ""
        self.name_error.value = message("error", problem) if problem else ""
        editable = self._connected and self.opened is not None and not self.opened.deleted
        idle = editable and not self._busy
        self.name.disabled = not editable
        self.labels.disabled = not editable
        dirty = self.opened is not None and not self._loading and bool(self.changes)
        self.unsaved.value = message("warn", "Unsaved changes") if dirty else ""
        (self.add_class if dirty else self.remove_class)("sn-edit-dirty")
        self.save_button.disabled = not (idle and dirty and not problem and self.labels.valid)
        self.save_button.tooltip = (
            "Save the changes to the server"
            if dirty
            else "Nothing to save: change the name or a label first"
        )
        self.delete_button.disabled = not idle
        self.open_button.disabled = not self._connected or self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    def _confirming(self, question: str | None, protected: bool = False) -> None:
        """Show (or hide) the delete question; for a protected subproject, with the box that
        must be ticked first (unticked every time it is asked)."""
        ui.show(self.confirm_box, question is not None)
        self.confirm_text.value = message("warn", question) if question else ""
        self.allow_protected.value = False
        ui.show(self.allow_protected, protected and question is not None)
        self.confirm_button.disabled = protected

    def _on_allow_protected(self, _change: Any = None) -> None:
        if self.allow_protected.layout.display != "none":
            self.confirm_button.disabled = not self.allow_protected.value

    def _ask_delete(self, subproject: Subproject, note: str = "") -> bool:
        """Ask before deleting `subproject` (False: no question is needed). A protected one is
        always asked about, naming the label, whatever `confirm_deletes` says."""
        key = protect_label(self.ctx.client())
        question = before_deleting(subproject)
        lead = f"{note}. " if note else ""
        if is_protected(subproject.labels, key):
            text = protected_message(
                subproject.subproject_id, subproject.display_name, key, "delete", ALLOW_HOW
            )
            ask = f" {question.text}" if question is not None else ""
            self._confirming(f"{lead}{text}.{ask}", protected=True)
            return True
        if question is None:
            return False
        self._confirming(f"{lead}{question.text}")
        return True

    # -- save ----------------------------------------------------------------------------------

    def _on_save(self, _button: widgets.Button | None = None) -> None:
        opened = self.opened
        if opened is None or self._busy:
            return
        changes = self.changes
        if not changes:
            self.status.value = message("info", "Nothing to save: nothing was changed.")
            return
        self._in_background(
            "Saving",
            "save",
            repr(opened.display_name),
            self._save,
            opened,
            changes,
            explain=self._explain_save,
        )

    def _save(self, opened: Subproject, changes: dict[str, Any]) -> None:
        edit = self.ctx.client().edit(
            opened.subproject_id, expected_update_time=opened.update_time, **changes
        )
        saved = edit.subproject
        self._load(saved)
        what = " and ".join(
            part
            for part, present in (
                ("name", "display_name" in changes),
                ("labels", "set_labels" in changes or "remove_labels" in changes),
            )
            if present
        )
        text = f"Saved the {what} of {saved.display_name!r}."
        if not edit.changed:
            text = f"Nothing to save: {saved.display_name!r} already is as in the form."
        self.status.value = message("ok", text)
        self.ctx.log.info(f"Saved {saved.subproject_id} ({what}).")
        if self.on_changed is not None:
            self.on_changed(saved)

    def _explain_save(self, err: BaseException) -> str | None:
        """A change made elsewhere since opening is not overwritten: say so, offer Reload."""
        if not isinstance(err, (ChangedOnServer, FailedPrecondition)):
            return None
        opened = self.opened
        name = opened.display_name if opened is not None else "it"
        what = (
            "was deleted"
            if isinstance(err, FailedPrecondition)
            else "changed on the server after you opened it here"
        )
        ui.show(self.reload_button, True)
        return (
            f"Not saved: {name!r} {what}. Reload to see the server's version (your edits in "
            "this form will be replaced), then make them again."
        )

    # -- delete --------------------------------------------------------------------------------

    def _on_delete(self, _button: widgets.Button | None = None) -> None:
        if self.opened is None or self._busy:
            return
        if not self._ask_delete(self.opened):  # %config Sinch.confirm_deletes = False
            self._on_confirm_delete()

    def _on_cancel_delete(self, _button: widgets.Button | None = None) -> None:
        self._confirming(None)
        if self.opened is not None:
            self.status.value = message(
                "info", f"Not deleted: {self.opened.display_name!r} is as it was."
            )

    def _on_confirm_delete(self, _button: widgets.Button | None = None) -> None:
        opened = self.opened
        if opened is None or self._busy:
            return
        allowed = self.allow_protected.value  # ticked in this question (reset by _confirming)
        self._confirming(None)
        self._in_background(
            "Deleting", "delete", repr(opened.display_name), self._delete, opened, allowed
        )

    def _delete(self, opened: Subproject, allow_protected: bool = False) -> None:
        client = self.ctx.client()
        try:
            # only the version shown here; protected only when ticked in the question
            deleted_now = client.delete_if_unchanged(opened, allow_protected=allow_protected)
        except SubprojectChanged as changed:
            self._changed_before_delete(changed)
            return
        try:
            gone = client.get(opened.subproject_id)
        except NotFound:
            gone = replace(opened, deleted=True)
        self._load(gone)
        already = "" if deleted_now else " (it was already deleted)"
        self.status.value = message("ok", f"Deleted {opened.display_name!r}{already}.")
        self.ctx.log.info(f"Deleted {opened.subproject_id} ({opened.display_name!r}){already}.")
        if self.on_changed is not None:
            self.on_changed(gone)

    def _changed_before_delete(self, changed: SubprojectChanged) -> None:
        """It changed since it was opened: show it as it is now and ask again, naming it."""
        current = changed.current
        note = changed_since(changed.seen, current)
        self._load(current)
        if not current.deleted and self._ask_delete(current, note):
            self.status.value = message("warn", f"Not deleted yet: {note}.")
        else:
            again = "" if current.deleted else " It is shown as it is now: Delete… deletes it."
            self.status.value = message("warn", f"Not deleted: {note}.{again}")
        self.ctx.log.info(f"Not deleted {current.subproject_id}: it changed on the server.")


EditForm = SubprojectForm  # the old name (the panel's Edit tab): kept for code that imports it
