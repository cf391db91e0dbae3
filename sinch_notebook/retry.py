"""Backoff policy shared by the token exchange and the API client."""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; `Retry-After` wins when the server sends one.

    Full jitter spreads many clients (or many bulk workers) that failed together, so they do not
    come back together.
    """

    retries: int = 6
    base: float = 0.25
    cap: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after) + random.uniform(0, 0.05)
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))

    def should_honour(self, retry_after: float | None) -> bool:
        """False when the server asks for a longer pause than we are willing to sleep."""
        return retry_after is None or retry_after <= self.max_retry_after


NO_RETRY = RetryPolicy(retries=0)
