"""Access keys, issued tokens and rate-limit buckets of the sandbox's auth gateway."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    key_id: str
    key_secret: str
    project_id: str


class TokenBucket:
    """`capacity` requests at once, refilled at `rate` per second."""

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._level = capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self, cost: float = 1.0) -> float:
        """0 when allowed, else the seconds until `cost` would be available."""
        with self._lock:
            now = time.monotonic()
            self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._level >= cost:
                self._level -= cost
                return 0.0
            return (cost - self._level) / self.rate


class Accounts:
    """Which key belongs to which project, and which bearer tokens are live."""

    # The auth gateway's documented token-request limit: a bucket of 30, refilled at 10/s.
    TOKEN_BURST = 30
    TOKEN_RATE = 10.0

    def __init__(self) -> None:
        self._by_key: dict[str, Account] = {}
        self._tokens: dict[str, tuple[Account, float]] = {}
        self._token_buckets: dict[str, TokenBucket] = {}
        self._api_buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def add(self, account: Account) -> None:
        with self._lock:
            self._by_key[account.key_id] = account

    def all(self) -> list[Account]:
        return list(self._by_key.values())

    def check_secret(self, key_id: str, key_secret: str) -> Account | None:
        account = self._by_key.get(key_id)
        if account is None or not secrets.compare_digest(account.key_secret, key_secret):
            return None
        return account

    def issue(self, account: Account, ttl: float) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now - 3600}
            self._tokens[token] = (account, now + ttl)
        return token

    def check_token(self, token: str) -> tuple[Account | None, str]:
        """(account, "") for a live token, else (None, "invalid" | "expired")."""
        entry = self._tokens.get(token)
        if entry is None:
            return None, "invalid"
        account, expires_at = entry
        if time.time() >= expires_at:
            return None, "expired"
        return account, ""

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens = {}

    def expire_all(self) -> None:
        with self._lock:
            self._tokens = {t: (a, 0.0) for t, (a, _) in self._tokens.items()}

    def token_request_wait(self, key_id: str) -> float:
        with self._lock:
            bucket = self._token_buckets.setdefault(
                key_id, TokenBucket(self.TOKEN_BURST, self.TOKEN_RATE)
            )
        return bucket.take()

    def api_request_wait(self, key_id: str, rate_limit: float, cost: float) -> float:
        with self._lock:
            bucket = self._api_buckets.get(key_id)
            if bucket is None or bucket.rate != rate_limit:
                bucket = self._api_buckets[key_id] = TokenBucket(max(1.0, rate_limit), rate_limit)
        return bucket.take(cost)
