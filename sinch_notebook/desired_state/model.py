"""The desired state of an account, as a file says it: which subprojects, named and labelled how.

    project: 1b2c3d...            # the parent project the file describes
    managed_by: analytics-team    # optional: creates get the label managed-by=<value>
    unmanaged: report             # report | ignore | delete   (default report)
    policy: {required: [tier]}    # optional: the label policy a sync is held to
    subprojects:
      - id: 01FC66621VHDBN119Z8PMXXXXX     # an existing subproject: its identity is its id
        name: Acme EU
        labels: {region: eu-west, tier: gold}
      - name: Globex US                    # a new one: its identity is its key labels
        key: {customer-id: C-1002}
        labels: {tier: silver}
        protected: true                    # never deleted or renamed without allow_protected

Display names are not unique, so they never identify a subproject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..guards.policy import Policy

MANAGED_BY_LABEL = "managed-by"  # the ownership label a file's `managed_by` sets
UNMANAGED_CHOICES = ("report", "ignore", "delete")
TOP_KEYS = ("project", "managed_by", "unmanaged", "subprojects", "policy")
ENTRY_KEYS = ("id", "name", "labels", "key", "protected")


class DesiredFileError(ValidationError):
    """A desired-state file that cannot be used: one line naming the file, the line and the rule.

    Raised before any request is sent."""

    status = "DESIRED_FILE"

    def __init__(self, path: str | Path, line: int | None, rule: str) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(str(path), f"{where}{rule}")
        self.path = str(path)
        self.line = line


@dataclass(slots=True)  # not frozen: 100,000 of them are made per load, and faster so
class Entry:
    """One subproject the file lists.

    `name` None keeps the server's name; `labels` None keeps the server's labels (a written
    `labels: {}` removes them all). `key` holds the identity labels of a new entry (already part
    of `labels`). `line` is where the entry starts in the file. Entries are read, never changed:
    entries with the same labels may share one dict."""

    line: int
    id: str | None = None
    name: str | None = None
    labels: dict[str, str] | None = None
    key: dict[str, str] | None = None
    # `protected: true`: the plan gives it the protection label, `<key>=true`, whose key is the
    # connection's (guards.protect_label: `%config Sinch.protect_label`, a profile's)
    protected: bool | None = None

    @property
    def identity(self) -> str:
        """How messages name the entry: its id, else its key labels."""
        if self.id is not None:
            return self.id
        key = ", ".join(f"{k}={v}" for k, v in sorted((self.key or {}).items()))
        return f"key {{{key}}}"


@dataclass
class DesiredState:
    """A loaded desired-state file: what the account should hold (see the module's doc)."""

    path: Path
    project: str
    project_line: int
    entries: list[Entry] = field(default_factory=list)
    managed_by: str | None = None
    unmanaged: str = "report"
    policy: Policy | None = None  # the file's `policy:` section, checked (guards.policy)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        owner = f", managed by {self.managed_by!r}" if self.managed_by else ""
        return (
            f"DesiredState({str(self.path)!r}: project {self.project}, "
            f"{len(self.entries):,} subprojects{owner}, unmanaged: {self.unmanaged})"
        )
