"""The named connections of this process: `sn.connect(..., name=...)`, `sn.connections()`,
`sn.use(name)`. One of them is the active one (`connection.active()`), the one the magic, the
panel and `sn.plan` use unless told otherwise.

A name names one connection: connecting again under a name replaces the connection it named.
The default name is the profile's, else the project id. This module only keeps the table; the
active connection and its listeners stay in `active.py`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..errors import ValidationError
from . import profiles as profile_store

if TYPE_CHECKING:
    import pandas as pd

    from ..client import SubprojectsClient

_named: dict[str, SubprojectsClient] = {}
_lock = threading.Lock()

COLUMNS = ["name", "project", "auth", "api_url", "api_version", "key_id", "active"]


def check_name(name: object) -> str:
    return profile_store.check_name(name, "name", "connection")


def add(name: str, client: SubprojectsClient) -> None:
    """Remember `client` as `name` (replacing what had that name)."""
    check_name(name)
    with _lock:
        for other, known in list(_named.items()):
            if known is client:
                del _named[other]
        _named[name] = client


def name_of(client: SubprojectsClient | None) -> str | None:
    with _lock:
        return next((n for n, c in _named.items() if c is client), None)


def names() -> list[str]:
    with _lock:
        return list(_named)


def get(name: str) -> SubprojectsClient:
    with _lock:
        client = _named.get(name)
        known = ", ".join(_named) or "none yet"
    if client is None:
        raise ValidationError("connection", f"no connection named {name!r} (connections: {known})")
    return client


def remove(client: SubprojectsClient) -> str | None:
    """Forget `client`; its name, or None when it had none."""
    with _lock:
        for name, known in list(_named.items()):
            if known is client:
                del _named[name]
                return name
    return None


def clear() -> list[SubprojectsClient]:
    with _lock:
        clients = list(_named.values())
        _named.clear()
    return clients


def table(active: SubprojectsClient | None) -> pd.DataFrame:
    """Every named connection: never a secret or a token."""
    import pandas as pd

    with _lock:
        items = list(_named.items())
    rows = [
        {
            "name": name,
            "project": client.project_id,
            "auth": client.auth_mode,
            "api_url": client.endpoints.api_url,
            "api_version": client.endpoints.api_version,
            "key_id": client.key_id,
            "active": client is active,
        }
        for name, client in items
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in COLUMNS[:-1]:
        frame[column] = frame[column].astype("string")
    frame["active"] = frame["active"].astype(bool)
    return frame


def check_target(
    client: SubprojectsClient, project_id: str, api_url: str | None, what: str
) -> None:
    """Refuse to use `client` for something recorded for another project (or API URL): a
    journal, a saved plan, a history snapshot. Both sides are named."""
    mine = (client.project_id, client.endpoints.api_url.rstrip("/"))
    theirs = (project_id, (api_url or mine[1]).rstrip("/"))
    if mine != theirs:
        name = name_of(client)
        which = f"the connection {name!r}" if name else "the connection"
        raise ValidationError(
            what,
            f"belongs to project {theirs[0]!r} at {theirs[1]}, but {which} is to project "
            f"{mine[0]!r} at {mine[1]}; switch to a connection to that project first "
            "(sn.use(NAME), %sinch use NAME)",
        )
