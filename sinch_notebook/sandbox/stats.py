"""Counters a test can read: what the sandbox was asked, and what it answered and did."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_COUNTS = ("token_requests", "requests", "resets", "late_commits", "odd_answers")


class Stats:
    """token_requests, requests (API calls), resets (dropped connections), late_commits
    (mutations answered before being committed), odd_answers (200s with a body that is not what
    the API promises), responses by status and operations by name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for name in _COUNTS:
                setattr(self, name, 0)
            self.responses: Counter[int] = Counter()
            self.operations: Counter[str] = Counter()

    def count(self, attr: str, key: Any = None) -> None:
        with self._lock:
            if key is None:
                setattr(self, attr, getattr(self, attr) + 1)
            else:
                getattr(self, attr)[key] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counts = {name: getattr(self, name) for name in _COUNTS}
            return {
                **counts,
                "responses": dict(self.responses),
                "operations": dict(self.operations),
            }
