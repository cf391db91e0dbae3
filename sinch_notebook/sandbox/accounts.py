"""Access keys, issued tokens and rate-limit buckets of the sandbox's auth gateway."""

from __future__ import annotations

import base64
import binascii
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from .tokens import Signer

# How long the registry remembers a token after it expired, so that it is still answered as
# "expired" (not "invalid") for a while; older expired tokens are recognised by their `exp`.
_REMEMBER_EXPIRED = 3600.0


@dataclass(frozen=True)
class Account:
    key_id: str
    key_secret: str = field(repr=False)
    project_id: str


@dataclass
class _Issued:
    account: Account
    expires_at: float


@dataclass(frozen=True)
class TokenCheck:
    """The verdict on a bearer token: an account, or why not ("invalid" or "expired")."""

    account: Account | None
    problem: str = ""
    expired_at: float = 0.0


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(Key ID, Key Secret) of an HTTP Basic `Authorization` header; None for other schemes.

    A Basic header that does not decode gives ("", ""), which no account matches. The parts
    are URL-decoded as RFC 6749 section 2.3.1 asks of OAuth2 clients.
    """
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    key_id, _, secret = decoded.partition(":")
    return unquote(key_id), unquote(secret)


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
            return (cost - self._level) / self.rate if self.rate > 0 else math.inf


class Accounts:
    """Which key belongs to which project, which bearer tokens were issued, and the buckets.

    Tokens are JWTs signed by this instance (see tokens.py). The registry of issued tokens is
    what makes revocation and `expire_all()` possible: a correctly signed token that is not in
    the registry and not yet past its `exp` was revoked.
    """

    # The auth gateway's documented token-request limit: a bucket of 30, refilled at 10/s.
    TOKEN_BURST = 30
    TOKEN_RATE = 10.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.signer = Signer()
        self._by_key: dict[str, Account] = {}
        self._tokens: dict[str, _Issued] = {}
        self._token_buckets: dict[str, TokenBucket] = {}
        self._api_buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Accounts(keys={sorted(self._by_key)!r}, tokens={len(self._tokens)})"

    def add(self, account: Account) -> None:
        with self._lock:
            self._by_key[account.key_id] = account

    def all(self) -> list[Account]:
        return list(self._by_key.values())

    def check_secret(self, key_id: str, key_secret: str) -> Account | None:
        account = self._by_key.get(key_id)
        if account is None or not secrets.compare_digest(
            account.key_secret.encode("utf-8"), key_secret.encode("utf-8", "surrogatepass")
        ):
            return None
        return account

    # -- tokens --------------------------------------------------------------------------------

    def issue(self, account: Account, ttl: float) -> str:
        """A new JWT for `account` that really lives `ttl` seconds."""
        now = self.clock()
        token, _ = self.signer.sign(account.key_id, int(now), int(now + ttl))
        with self._lock:
            horizon = now - _REMEMBER_EXPIRED
            self._tokens = {t: v for t, v in self._tokens.items() if v.expires_at > horizon}
            self._tokens[token] = _Issued(account, now + ttl)
        return token

    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def check_token(self, token: str) -> TokenCheck:
        claims = self.signer.verify(token)
        if claims is None:
            return TokenCheck(None, "invalid")
        now = self.clock()
        issued = self._tokens.get(token)
        if issued is None:
            if claims.exp <= now:  # genuine and long expired: forgotten by the registry
                return TokenCheck(None, "expired", float(claims.exp))
            return TokenCheck(None, "invalid")  # genuine but revoked
        if now >= issued.expires_at:
            return TokenCheck(None, "expired", issued.expires_at)
        return TokenCheck(issued.account)

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens = {}

    def expire_all(self) -> None:
        now = self.clock()
        with self._lock:
            for issued in self._tokens.values():
                issued.expires_at = min(issued.expires_at, now)

    # -- rate limits ---------------------------------------------------------------------------

    def token_request_wait(
        self, key_id: str, burst: float = TOKEN_BURST, rate: float = TOKEN_RATE
    ) -> float:
        with self._lock:
            bucket = self._token_buckets.get(key_id)
            if bucket is None or (bucket.capacity, bucket.rate) != (burst, rate):
                bucket = self._token_buckets[key_id] = TokenBucket(burst, rate)
        return bucket.take()

    def api_request_wait(self, key_id: str, rate_limit: float, cost: float) -> float:
        with self._lock:
            bucket = self._api_buckets.get(key_id)
            if bucket is None or bucket.rate != rate_limit:
                bucket = self._api_buckets[key_id] = TokenBucket(max(1.0, rate_limit), rate_limit)
        return bucket.take(cost)
