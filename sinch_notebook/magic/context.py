"""What a command may use: the shell, the shared settings, the active connection, the namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import config
from ..connection.active import ensure_active, not_connected_reason
from .errors import MagicError

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from .views import Views


NOT_CONNECTED_HINT = (
    "run %sinch login (your account), or %sinch login --sandbox (a local demo account)"
)


@dataclass
class Context:
    shell: Any
    views: Views
    local_ns: dict[str, Any] | None = None

    @property
    def settings(self) -> config.Sinch:
        return config.settings()

    def client(self) -> SubprojectsClient:
        """The active connection (shared with the panel and `sn.plan`); on first use, one made
        from complete `SINCH_*` credentials, as the panel does."""
        client = ensure_active()
        if client is None:
            raise MagicError(f"not connected ({not_connected_reason()}): {NOT_CONNECTED_HINT}")
        return client

    def lookup(self, expression: str, what: str) -> Any:
        """The value of a variable (or a Python expression) in the user's namespace."""
        namespaces = [ns for ns in (self.local_ns, self.shell.user_ns) if ns is not None]
        if expression.isidentifier():
            for namespace in namespaces:
                if expression in namespace:
                    return namespace[expression]
            raise MagicError(f"{what}: there is no variable named {expression!r}")
        try:
            return eval(expression, self.shell.user_ns, self.local_ns)
        except Exception as err:
            raise MagicError(
                f"{what}: could not evaluate {expression!r} ({type(err).__name__}: {err})"
            ) from None

    def store(self, name: str | None, value: Any) -> None:
        if name:
            self.shell.user_ns[name] = value

    def show(self, obj: Any) -> None:
        self.views.show(obj)
