"""One verdict for an update or delete about to be sent: send it, already done, or conflict.

The rule "nobody else changed it since I read it" is decided here and nowhere else: by the
client before a re-send (`SubprojectsClient.update`/`delete` with `expected_update_time`), by
`client.edit` before it patches, and by the bulk apply's last-moment check (`bulk/sending.py`).
Each caller turns the verdict into its own outcome (an exception, an `Outcome`, a response).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .models import same_version

Action = Literal["send", "done", "conflict", "gone"]


@dataclass(frozen=True)
class Verdict:
    """`action`: send (as planned), done (nothing to send), conflict (someone else changed it,
    or deleted it: `deleted`), gone (no such subproject)."""

    action: Action
    deleted: bool = False
    note: str = ""


SEND = Verdict("send")
GONE = Verdict("gone")


def judge(
    op: str,
    record: Mapping[str, Any] | None,
    expected: str | datetime | None,
    wanted: Mapping[str, Any] | None = None,
) -> Verdict:
    """Whether a change of `op` ("update"/"delete"), planned against the version `expected`
    (None: no version to keep), may be sent given the server's `record` now.

    `wanted` is the body an update would send (`displayName`, `labels`: the full new map): a
    record that already holds it is done (an earlier attempt committed), not a conflict.
    """
    if record is None:
        return GONE
    if record.get("deleted"):
        if op == "delete":
            return Verdict("done", note="was already deleted")
        return Verdict("conflict", deleted=True)
    if expected is None or same_version(expected, record.get("updateTime")):
        return SEND
    if op == "update" and wanted is not None and holds(record, wanted):
        return Verdict("done", note="already as planned on the server (nothing sent)")
    return Verdict("conflict")


def holds(record: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether the server's record already holds what an update would send."""
    if "displayName" in wanted and record.get("displayName") != wanted["displayName"]:
        return False
    labels = record.get("labels") if isinstance(record.get("labels"), dict) else {}
    return "labels" not in wanted or labels == wanted["labels"]
