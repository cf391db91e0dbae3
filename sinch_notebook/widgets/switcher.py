"""The panel header's connection switcher: which named connection the panel shows, and a way to
make another one active (`sn.use`), following `%sinch use` and `sn.use` made elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..connection import registry as connection_registry
from ..connection.active import use
from . import controls as ui

if TYPE_CHECKING:
    from ..client import SubprojectsClient


class ConnectionSwitcher(widgets.HBox):
    """A dropdown of the open connections; hidden while none is open."""

    def __init__(self, on_error: Any) -> None:
        self.choice = ui.dropdown("Connection", "sn-connection", [], width="20em")
        self._showing = False
        self._on_error = on_error
        self.choice.observe(self._chosen, names="value")
        super().__init__([self.choice])
        self.show(None)

    def show(self, client: SubprojectsClient | None) -> None:
        """Reflect the open connections and the active one (never calls `use` itself)."""
        names = connection_registry.names()
        current = connection_registry.name_of(client)
        self._showing = True
        try:
            if list(self.choice.options) != names:
                self.choice.options = names
            self.choice.value = current if current in names else None
        finally:
            self._showing = False
        ui.show(self, bool(names))

    def _chosen(self, change: dict[str, Any]) -> None:
        if self._showing or not change["new"]:
            return
        try:
            use(change["new"])
        except Exception as err:  # closed meanwhile: say so, show what is true now
            self._on_error(str(err))
