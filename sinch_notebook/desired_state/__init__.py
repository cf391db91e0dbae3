"""The account as code: a desired-state file (YAML) to dump, review in git, diff and sync.

    sn.dump("subprojects.yaml")                  # the live account, for people and git diff
    d = sn.desired("subprojects.yaml").diff()    # N managed, D differ, U unmanaged, ...
    sn.desired("subprojects.yaml").sync(doit=True)

Modules: model (the file's shape), reader (YAML events to a tree with lines, every limit),
loader (the rules, one line per problem), dumper (a fresh dump; `--update` keeps comments),
plan (the file against the account: a `bulk.Plan`), drift (changed since the last sync),
result (what diff and sync return), hints (next steps per face), api (the Python face).
A diff becomes an ordinary Plan, so applying it is the bulk engine's, with all of its guards.
"""

from __future__ import annotations

from .api import Desired, desired, dump
from .loader import load_desired
from .model import DesiredFileError, DesiredState, Entry
from .result import DesiredDiff, SyncResult

__all__ = [
    "Desired",
    "DesiredDiff",
    "DesiredFileError",
    "DesiredState",
    "Entry",
    "SyncResult",
    "desired",
    "dump",
    "load_desired",
]
