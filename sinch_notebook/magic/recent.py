"""The subprojects of the last `%sinch list` in this kernel, for Tab completion of ids.

Kept as plain (id, name) pairs, so completing reads memory only: no request, no DataFrame.
"""

from __future__ import annotations

import threading
from typing import Any

MAX_REMEMBERED = 100_000

_lock = threading.Lock()
_last: tuple[tuple[str, str], ...] = ()


def remember(frame: Any) -> None:
    """Keep the ids and names of a listing (the newest listing replaces the one before)."""
    global _last
    if "subprojectId" not in getattr(frame, "columns", ()):
        return
    ids = frame["subprojectId"].astype("string").fillna("").tolist()[:MAX_REMEMBERED]
    if "displayName" in frame.columns:
        names = frame["displayName"].astype("string").fillna("").tolist()[:MAX_REMEMBERED]
    else:
        names = [""] * len(ids)
    with _lock:
        _last = tuple((i, n) for i, n in zip(ids, names, strict=True) if i)


def listed() -> tuple[tuple[str, str], ...]:
    """(subprojectId, displayName) of the last listing, in its order."""
    return _last


def forget() -> None:
    global _last
    with _lock:
        _last = ()
