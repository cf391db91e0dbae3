"""Fault injection: random failures at configured rates, and scripted one-shot failures.

Random faults apply to API calls (not the token endpoint) and model what a real gateway does:
- throttle: 429 with `Retry-After`, nothing done;
- error: 502 or 503 with nothing done, or 504 after the change was made (the gateway gave up
  waiting for a backend that did finish);
- reset: the change is made, then the connection drops with no response at all.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    """What to do to one request. `status` 0 with `reset` means drop the connection."""

    status: int = 0
    commit: bool = False
    reset: bool = False
    retry_after: int | None = None
    body: str | None = None
    content_type: str = "application/json"


@dataclass
class _Scripted:
    fault: Fault
    method: str | None
    path_contains: str | None
    times: int


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._scripted: list[_Scripted] = []

    def script(
        self, fault: Fault, method: str | None, path_contains: str | None, times: int
    ) -> None:
        with self._lock:
            self._scripted.append(_Scripted(fault, method, path_contains, times))

    def scripted_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for entry in self._scripted:
                if entry.method not in (None, method):
                    continue
                if entry.path_contains is not None and entry.path_contains not in path:
                    continue
                entry.times -= 1
                if entry.times <= 0:
                    self._scripted.remove(entry)
                return entry.fault
        return None

    def draw(
        self, error_rate: float, throttle_rate: float, reset_rate: float, retry_after: int | None
    ) -> Fault | None:
        with self._lock:
            roll = self._rng.random()
            kind = self._rng.choice((502, 503, 504))
        if roll < throttle_rate:
            return Fault(429, retry_after=retry_after)
        roll -= throttle_rate
        if roll < error_rate:
            return Fault(kind, commit=kind == 504)
        roll -= error_rate
        if roll < reset_rate:
            return Fault(commit=True, reset=True)
        return None
