"""One in-process sandbox shared by the magic (`--sandbox`, `%sinch sandbox`) and the panel."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import DEMO_SUBPROJECTS, Sandbox

if TYPE_CHECKING:
    from ..client import SubprojectsClient

_sandbox: Sandbox | None = None
_lock = threading.Lock()


def start_local_sandbox(**options: Any) -> Sandbox:
    """Start the process's sandbox (demo account by default), or return the running one."""
    global _sandbox
    with _lock:
        if _sandbox is None or not _sandbox.running:
            options.setdefault("subprojects", DEMO_SUBPROJECTS)
            _sandbox = Sandbox(**options).start()
        return _sandbox


def local_sandbox() -> Sandbox | None:
    """The running process sandbox, if any."""
    current = _sandbox
    return current if current is not None and current.running else None


def stop_local_sandbox() -> bool:
    """Stop the process sandbox; False when none was running."""
    global _sandbox
    with _lock:
        current, _sandbox = _sandbox, None
    if current is None or not current.running:
        return False
    current.stop()
    return True


def connect_local_sandbox(**connect_options: Any) -> SubprojectsClient:
    """Start (or reuse) the process sandbox and make a connection to it the active one."""
    return start_local_sandbox().connect(**connect_options)
