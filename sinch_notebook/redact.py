"""The one redaction: no secret this process holds or held reaches a message.

A proxy or a WAF page may quote a request back (its `Authorization` header, or a form body with
the secret). Every message the project builds from a response or an exception passes through
`redact()`: errors raised by the client, the magic's one-line errors, the panel's status and
its Activity log, journal errors, the app's server log. What is masked: each Key Secret from the
moment the package receives it (`auth.Secret`, before it is checked, saved or sent), its
URL-encoded form, `base64(Key ID:Key Secret)` (HTTP Basic), every bearer token obtained, the
password of a history store's URL, and the value of any `token=` query parameter (a Jupyter or
Voilà page's token in a logged URL).
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
MAX_TOKENS = 10_000  # bearer tokens remembered; the oldest are forgotten first
MIN_SECRET_LENGTH = 4  # shorter strings would mask ordinary words
# `?token=...` / `&token=...` in a URL (a page's access token); `pageToken=` is not one.
_QUERY_TOKEN = re.compile(r"(?i)([?&](?:access_)?token=)[^&\s#\"'<>]+")


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


def register_secret(secret: str) -> None:
    """Mask this secret from now on, as text and URL-encoded: a Key Secret the moment it is
    received (before its Key ID is known), a database password in a store URL."""
    _vault.add([secret, quote(secret, safe=""), quote_plus(secret)])


def register_credentials(key_id: str, key_secret: str) -> None:
    """Mask this Key Secret from now on, in every form a request could carry it."""
    register_secret(key_secret)
    pair = f"{key_id}:{key_secret}".encode()
    _vault.add([base64.b64encode(pair).decode("ascii")])


def register_token(token: str) -> None:
    """Mask this bearer token from now on (also after it expired or was replaced)."""
    _vault.add([token], token=True)


def redact(text: object) -> str:
    """`text` as a string with every registered secret replaced by `***`."""
    masked = _vault.masked(text if isinstance(text, str) else str(text))
    return _QUERY_TOKEN.sub(rf"\1{MASK}", masked) if "oken=" in masked else masked
