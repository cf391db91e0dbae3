"""JWT-shaped access tokens (HS256), signed with a key random per sandbox instance.

Sinch's tokens are JWTs, and a JWT-aware client (the Node SDK) reads `exp` to refresh ahead of
time, so the sandbox's tokens are real JWTs too. Only the stdlib is used: the token format is
three base64url parts, and the signature is an HMAC-SHA256 over the first two. A token edited
by hand, or issued by another sandbox instance (a restart), fails the signature check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    """Strict base64url without padding; ValueError for anything else."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


@dataclass(frozen=True)
class Claims:
    """What the sandbox reads back from a token it verified."""

    sub: str
    jti: str
    iat: int
    exp: int


class Signer:
    """Makes and verifies HS256 JWTs; `kid` names this instance's key in every header."""

    def __init__(self, issuer: str = "sinch-sandbox") -> None:
        self._key = secrets.token_bytes(32)
        self.kid = "sandbox-" + secrets.token_hex(6)
        self.issuer = issuer

    def __repr__(self) -> str:  # the key never appears in a repr
        return f"Signer(kid={self.kid!r})"

    def sign(self, key_id: str, iat: int, exp: int) -> tuple[str, str]:
        """(token, jti) for the Key ID `key_id`, valid from `iat` to `exp` (epoch seconds)."""
        jti = secrets.token_hex(16)
        header = {"alg": "HS256", "kid": self.kid, "typ": "JWT"}
        claims = {
            "iss": self.issuer,
            "sub": key_id,
            "client_id": key_id,
            "aud": [],
            "iat": iat,
            "nbf": iat,
            "exp": exp,
            "jti": jti,
            "scp": [],
        }
        signing_input = _part(header) + "." + _part(claims)
        return signing_input + "." + b64url(self._mac(signing_input)), jti

    def verify(self, token: str) -> Claims | None:
        """The claims of a token this instance signed and nobody edited, else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(unb64url(parts[0]))
            signature = unb64url(parts[2])
            if not isinstance(header, dict) or header.get("alg") != "HS256":
                return None
            if header.get("kid") != self.kid:
                return None
            if not hmac.compare_digest(self._mac(parts[0] + "." + parts[1]), signature):
                return None
            claims: Any = json.loads(unb64url(parts[1]))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(claims, dict):
            return None
        values = (claims.get("sub"), claims.get("jti"), claims.get("iat"), claims.get("exp"))
        if not (isinstance(values[0], str) and isinstance(values[1], str)):
            return None
        if not (isinstance(values[2], int) and isinstance(values[3], int)):
            return None
        return Claims(*values)

    def _mac(self, signing_input: str) -> bytes:
        return hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()


def _part(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))
