"""The one retry policy and retry loop, shared by API calls and the token endpoint.

Each request's attempt decides what a failure means (see `transport.py` and `auth.py`); this
module decides how often to try again, how long to wait, and whom to tell. Listeners hear of
every retry through one `RetryNotifier` path, so a bulk apply can slow down on a 429 whether it
came from the API or from the token endpoint.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from .errors import SinchError, ValidationError, parse_retry_after
from .models import check_int

log = logging.getLogger("sinch_notebook.retry")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; `Retry-After` wins when the server sends one.

    Full jitter spreads many clients (or many bulk workers) that failed together, so they do not
    come back together. `commit_grace` is how long a create whose outcome is unknown (a 504, a
    dropped connection, a read timeout) may still commit on the server: the client looks for it
    again after that long before it sends it again.
    """

    retries: int = 6
    base: float = 0.25
    factor: float = 2.0
    cap: float = 8.0
    max_retry_after: float = 60.0
    commit_grace: float = 10.0

    def __post_init__(self) -> None:
        for name in ("base", "factor", "cap", "max_retry_after", "commit_grace"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValidationError(f"RetryPolicy.{name}", "must be a number")
            if not 0 <= value < float("inf"):
                raise ValidationError(
                    f"RetryPolicy.{name}", f"must be finite and >= 0, got {value}"
                )
        check_int(self.retries, "RetryPolicy.retries", 0, 100)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after) + random.uniform(0, 0.05)
        return random.uniform(0, min(self.cap, self.base * self.factor ** (attempt - 1)))

    def should_honour(self, retry_after: float | None) -> bool:
        """False when the server asks for a longer pause than we are willing to sleep."""
        return retry_after is None or retry_after <= self.max_retry_after


NO_RETRY = RetryPolicy(retries=0)
# What the official SDKs do at the token endpoint: 3 retries, full jitter up to 1 s x 4^n.
TOKEN_RETRY = RetryPolicy(retries=3, base=1.0, factor=4.0, cap=16.0)


class RetryEvent(NamedTuple):
    """One retry about to happen, as told to retry listeners."""

    method: str
    path: str
    status: int | None  # the HTTP status that caused it; None for a connection failure
    reason: str
    attempt: int  # the attempt that failed (1-based)
    delay: float  # seconds until the next attempt


RetryListener = Callable[[RetryEvent], None]


class RetryNotifier:
    """Listeners for retry events; any thread may notify. A listener that raises is logged."""

    def __init__(self) -> None:
        self._listeners: list[RetryListener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: RetryListener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def __call__(self, event: RetryEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("retry listener failed")


class Retryable(Exception):
    """Raised by one attempt when trying again may help; `error` is raised when it may not."""

    def __init__(
        self,
        error: SinchError,
        *,
        status: int | None,
        reason: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @classmethod
    def for_status(cls, error: SinchError, status: int, retry_after: str | None) -> Retryable:
        """An HTTP status worth retrying, with the server's `Retry-After` header if any."""
        return cls(
            error,
            status=status,
            reason=f"HTTP {status}",
            retry_after=parse_retry_after(retry_after),
        )


def run_with_retries(
    attempt: Callable[[int], T],
    policy: RetryPolicy,
    *,
    method: str,
    path: str,
    notify: Callable[[RetryEvent], None],
) -> T:
    """Call `attempt(number)` until it returns, retrying each `Retryable` as `policy` allows.

    When no retry is left the failure's `error` is raised; every SinchError leaving here has
    `.attempts` set to the number of attempts made.
    """
    number = 0
    while True:
        number += 1
        try:
            return attempt(number)
        except Retryable as failure:
            error = failure.error
            error.attempts = number
            if number > policy.retries or not policy.should_honour(failure.retry_after):
                raise error from None
            delay = policy.delay(number, failure.retry_after)
            log.debug("%s %s: %s, retry %d in %.2f s", method, path, failure.reason, number, delay)
            notify(RetryEvent(method, path, failure.status, failure.reason, number, delay))
            time.sleep(delay)
        except SinchError as error:
            error.attempts = number
            raise
