"""The Create tab: a display name and labels, validated live; Create is enabled only when valid.

The rules are the core's (`models.validate_display_name`, `validate_labels`), and the create
goes through the one apply engine (`Plan.of_creates(...).apply()`), so a create whose answer is
lost is looked for before it is sent again, exactly as in a bulk apply: never twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..bulk import Plan
from ..models import Subproject, validate_display_name
from . import controls as ui
from .common import Context, esc, message, rule_broken
from .labels import LabelsEditor

NAME_FIELD = "Display name"


def name_problem(value: str) -> str:
    """The core's words for what is wrong with a display name, or ''."""
    return rule_broken(validate_display_name, value, NAME_FIELD)


class CreateForm(widgets.VBox):
    """Display name + labels editor + Create; the result shows the new subproject's id."""

    def __init__(
        self, ctx: Context, *, on_created: Callable[[Subproject], None] | None = None
    ) -> None:
        self.ctx = ctx
        self.on_created = on_created
        self.name = ui.field(NAME_FIELD, "sn-create-name", placeholder="required", width="36em")
        self.name_error = ui.html("sn-create-name-error")
        self.labels = LabelsEditor()
        self.create_button = ui.button("Create", "sn-create", style="success", icon="plus-circle")
        self.status = ui.html("sn-create-status")
        self._connected = False
        self._busy = False
        self._touched = False
        self._resetting = False
        self.name.observe(self.ctx.guard(self._on_name), names="value")
        self.labels.on_change(self._update)
        self.create_button.on_click(self.ctx.guard(self._on_create))
        super().__init__(
            [
                self.name,
                self.name_error,
                widgets.HTML("<b>Labels</b>"),
                self.labels,
                ui.row(self.create_button),  # in a row: a button, not a full-width bar
                self.status,
            ]
        )
        self.add_class("sn-create-form")
        self._update()

    @property
    def valid(self) -> bool:
        return not name_problem(self.name.value) and self.labels.valid

    def forget_connection(self) -> None:
        """Another connection: the last create's message was about the old account (what is
        typed stays: it is the person's, not the account's)."""
        self.status.value = ""

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update()

    def _on_name(self, _change: Any) -> None:
        if not self._resetting:
            self._touched = True
            if not self._busy:
                self.status.value = ""  # the last create's result is not about this new name
        self._update()

    def _update(self) -> None:
        problem = name_problem(self.name.value)
        self.name_error.value = message("error", problem) if problem and self._touched else ""
        self.create_button.disabled = self._busy or not self._connected or not self.valid
        if not self._connected:
            self.create_button.tooltip = "Connect first"
        elif not self.valid:
            self.create_button.tooltip = "Fix the fields marked in red first"
        else:
            self.create_button.tooltip = "Create the subproject"

    def _on_create(self, _button: widgets.Button | None = None) -> None:
        if not self.valid or self._busy or not self._connected:  # a click can race a keystroke
            self._update()
            return
        name, labels = self.name.value, self.labels.labels
        self._busy = True
        self._update()
        self.status.value = message("busy", f"Creating {name!r}…")
        self.ctx.submit(
            "Creating a subproject",
            self._create,
            name,
            labels,
            failure=f"Could not create {name!r}",
            status=self.status,
            after=self._idle,
        )

    def _idle(self) -> None:
        self._busy = False
        self._update()

    def _create(self, name: str, labels: dict[str, str]) -> None:
        plan = Plan.of_creates(self.ctx.client(), [(0, name, labels)], origin="the Create tab")
        (outcome,) = plan.apply(workers=1, progress=False, journal=False).outcomes
        created = outcome.subproject
        if outcome.status != "ok" or created is None:
            text = f"Could not create {name!r}: {outcome.error or outcome.status}"
            if outcome.unknown:
                text += " (it may exist: press Refresh in Browse before trying again)"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        self.status.value = message(
            "ok",
            "",
            raw_html=f"Created <b>{esc(created.display_name)}</b> — id "
            f"<code>{esc(created.id)}</code>",
        )
        self.ctx.log.info(f"Created {created.display_name!r} as {created.id}.")
        self.reset()
        if self.on_created is not None:
            self.on_created(created)

    def reset(self) -> None:
        """Empty the form for the next subproject (the last result stays visible)."""
        self._resetting = True
        self._touched = False  # an emptied form is not an error: no red flash
        try:
            self.name.value = ""
            self.labels.clear()
        finally:
            self._resetting = False
        self._touched = False
        self._update()
