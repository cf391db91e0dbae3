"""Creates exactly once: the one look-up for "the subproject my create made".

A create is not idempotent and the API has no idempotency key. When a create's outcome is
unknown (a 504, a dropped connection, a read timeout, a body that is not the resource) it may
have happened, or may still happen: a gateway that gave up can see its backend commit seconds
later. So before sending it again the client looks for it, and looks again once
`RetryPolicy.commit_grace` has passed since the unknown outcome; only if it is still not there
is it sent again.

A match has the same display name and labels, was created at or after the earliest server time
the create could have landed (`ServerClock.earliest`, which allows for a clock off by up to
30 s when the server sends no `Date`), and is not already claimed by another create of this
client (or excluded, as a journal's own creates are). Among several, the earliest created is
taken, and it is claimed, so one subproject is never handed to two creates.

One listing serves any number of look-ups (`find`), so a bulk apply reconciles 20 creates of
unknown outcome in a 50,000-subproject project with one listing, not 20.

What remains (the README says so too): an identical subproject (same name and labels) created by
someone else in the same seconds is indistinguishable from ours.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from .models import Subproject


class Wanted(NamedTuple):
    """A create to look for: what it sent, and the earliest server time it could have landed."""

    display_name: str
    labels: Mapping[str, str]
    since: datetime


class _Pages(Protocol):
    def iter_pages(
        self, show_deleted: bool = False, page_size: int = 1000
    ) -> Iterator[list[dict]]: ...


def _key(name: str, labels: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


class CreateFinder:
    """Finds, and claims, the subprojects that creates of unknown outcome made."""

    def __init__(self, pages: _Pages) -> None:
        self._pages = pages
        self._claimed: set[str] = set()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}

    def claim(self, subproject: Subproject) -> Subproject:
        """Mark a subproject as made by one of our creates (so no look-up hands it out)."""
        with self._lock:
            self._claimed.add(subproject.subproject_id)
        return subproject

    def key_lock(self, name: str, labels: Mapping[str, str]) -> threading.Lock:
        """Creates with the same name and labels take turns, so a look-up never claims a twin."""
        with self._lock:
            return self._key_locks.setdefault(_key(name, labels), threading.Lock())

    def candidates(
        self, wanted: Sequence[Wanted], exclude: Collection[str] = ()
    ) -> dict[tuple, list[Subproject]]:
        """One listing (deleted included): every unclaimed subproject that could be a match."""
        if not wanted:
            return {}
        keys = {_key(w.display_name, w.labels) for w in wanted}
        earliest = min(w.since for w in wanted)
        pool: dict[tuple, list[Subproject]] = {}
        for page in self._pages.iter_pages(show_deleted=True):
            for raw in page:
                sp = Subproject.from_api(raw)
                key = _key(sp.display_name, sp.labels)
                if key not in keys or sp.create_time is None or sp.create_time < earliest:
                    continue
                if sp.subproject_id in exclude:
                    continue
                pool.setdefault(key, []).append(sp)
        for found in pool.values():
            found.sort(key=lambda sp: (sp.create_time, sp.subproject_id))
        return pool

    def find(
        self, wanted: Sequence[Wanted], exclude: Collection[str] = ()
    ) -> list[Subproject | None]:
        """For each wanted create, the subproject it made (claimed), or None; one listing."""
        pool = self.candidates(wanted, exclude)
        found: list[Subproject | None] = []
        with self._lock:
            for item in wanted:
                match = None
                for sp in pool.get(_key(item.display_name, item.labels), []):
                    if sp.subproject_id in self._claimed:
                        continue
                    if sp.create_time is not None and sp.create_time >= item.since:
                        match = sp
                        break
                if match is not None:
                    self._claimed.add(match.subproject_id)
                found.append(match)
        return found

    def twins(
        self, made: Sequence[tuple[Wanted, str]], exclude: Collection[str] = ()
    ) -> list[list[Subproject]]:
        """For each (create, the id it made), other unclaimed matches: commits of earlier attempts
        that landed after the look-up (one listing for all)."""
        pool = self.candidates([w for w, _ in made], exclude)
        out: list[list[Subproject]] = []
        with self._lock:
            for item, kept in made:
                out.append(
                    [
                        sp
                        for sp in pool.get(_key(item.display_name, item.labels), [])
                        if sp.subproject_id != kept
                        and sp.subproject_id not in self._claimed
                        and not sp.deleted
                        and sp.create_time is not None
                        and sp.create_time >= item.since
                    ]
                )
                for sp in out[-1]:
                    self._claimed.add(sp.subproject_id)
        return out
