"""The Connect tab's saved-profile controls: a picker that fills the form from a profile (its
Key Secret then comes from the OS keychain), and "save as profile" for a connection that works.

Everything goes through the core (`profile_store`, `options.resolve_connection`); this module
only shows and asks. A profiles file that is not valid shows as one message, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..connection import profiles as profile_store
from ..errors import SinchError
from . import controls as ui
from .common import message

NONE = "(no profile)"


class ProfileChoice(widgets.VBox):
    """Profile picker and "save as profile" name; `on_pick(profile | None)` fills the form."""

    def __init__(
        self,
        on_pick: Callable[[profile_store.Profile | None], None],
        *,
        profile: str | None = None,
        save_as: str | None = None,
    ) -> None:
        self._on_pick = on_pick
        self.picker = ui.dropdown("Profile", "sn-profile", [NONE], width="24em")
        self.save_as = ui.field(
            "Save as",
            "sn-save-as",
            value=save_as or "",
            placeholder="a profile name, saved once Connect works",
        )
        self.note = ui.html("sn-profile-note")
        self.secret_source = ""  # where the picked profile's Key Secret comes from, in words
        self.refresh()
        if profile and profile in self.picker.options:
            self.picker.value = profile
        elif profile:
            self.note.value = message("error", f"No saved profile named {profile!r}.")
        self.picker.observe(self._picked, names="value")
        super().__init__([ui.row(self.picker, self.note), self.save_as])
        if self.picker.value != NONE:
            self._picked()

    @property
    def selected(self) -> str | None:
        return None if self.picker.value == NONE else self.picker.value

    def refresh(self) -> None:
        """Read the profiles file again (a file that is not valid is a message)."""
        try:
            names = sorted(profile_store.load())
        except SinchError as err:
            names = []
            self.note.value = message("error", str(err))
        current = self.picker.value
        self.picker.options = [NONE, *names]
        self.picker.value = current if current in self.picker.options else NONE

    def _picked(self, _change: Any = None) -> None:
        name = self.selected
        if name is None:
            self.note.value = ""
            self._on_pick(None)
            return
        try:
            profile = profile_store.get(name)
        except SinchError as err:
            self.note.value = message("error", str(err))
            return
        self.secret_source = profile_store.secret_source(profile)
        self.note.value = message("muted", f"Key Secret: {self.secret_source}.")
        self._on_pick(profile)

    def save(self, client: Any, credentials: Any) -> str | None:
        """Save the connection that just worked, if a name was given; the line to log."""
        name = self.save_as.value.strip()
        if not name:
            return None
        saved = profile_store.save_connection(name, client, credentials)
        self.save_as.value = ""
        self.refresh()
        return saved.line()
