"""The one redaction: no secret this process holds or held reaches a message.

A proxy or a WAF page may quote a request back (its `Authorization` header, or a form body with
the secret). Every message the project builds from a response or an exception passes through
`redact()`: errors raised by the client, the magic's one-line errors, the panel's status and
its Activity log, journal errors. What is masked: each Key Secret given to `Credentials`, its
URL-encoded form, `base64(Key ID:Key Secret)` (HTTP Basic), every bearer token obtained, and
the password of a history store's URL.
"""

from __future__ import annotations

import base64
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
MAX_TOKENS = 10_000  # bearer tokens remembered; the oldest are forgotten first
MIN_SECRET_LENGTH = 4  # shorter strings would mask ordinary words


class _Vault:
    """The strings to mask, longest first. Its repr never shows them."""

    __slots__ = ("_lock", "_ordered", "_tokens", "_values")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._tokens: list[str] = []
        self._ordered: tuple[str, ...] = ()

    def add(self, values: list[str], *, token: bool = False) -> None:
        with self._lock:
            fresh = [v for v in values if len(v) >= MIN_SECRET_LENGTH and v not in self._values]
            if not fresh:
                return
            self._values.update(fresh)
            if token:
                self._tokens.extend(fresh)
                while len(self._tokens) > MAX_TOKENS:
                    self._values.discard(self._tokens.pop(0))
            self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def masked(self, text: str) -> str:
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def __repr__(self) -> str:
        return f"<redaction vault: {len(self._ordered)} values>"


_vault = _Vault()


def register_credentials(key_id: str, key_secret: str) -> None:
    """Mask this Key Secret from now on, in every form a request could carry it."""
    pair = f"{key_id}:{key_secret}".encode()
    forms = [
        key_secret,
        quote(key_secret, safe=""),
        quote_plus(key_secret),
        base64.b64encode(pair).decode("ascii"),
    ]
    _vault.add(forms)


def register_secret(value: str) -> None:
    """Mask another secret this process was given (a database password in a store URL), as
    typed and URL-encoded."""
    _vault.add([value, quote(value, safe=""), quote_plus(value)])


def register_token(token: str) -> None:
    """Mask this bearer token from now on (also after it expired or was replaced)."""
    _vault.add([token], token=True)


def redact(text: object) -> str:
    """`text` as a string with every registered secret replaced by `***`."""
    return _vault.masked(text if isinstance(text, str) else str(text))
