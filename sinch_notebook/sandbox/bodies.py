"""What the API and its gateways write on the wire: error bodies, challenges, odd answers.

Kept apart from the logic so that every shape a client can meet is listed in one place, in the
words the live API uses (terse messages: often "", or "Not Found").
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

# gRPC-style status names of the API family, by HTTP status.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",  # what grpc-gateway names a route with the wrong method
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# The messages the live API writes for errors that are not about a field of the request.
TERSE_MESSAGES = {404: "Not Found", 405: "Method Not Allowed"}

# OAuth2 (RFC 6749 section 5.2) error codes the token endpoint answers with, by HTTP status.
OAUTH_ERRORS = {
    400: "invalid_request",
    401: "invalid_client",
    405: "invalid_request",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "temporarily_unavailable",
    504: "temporarily_unavailable",
}

RFC6750 = "https://tools.ietf.org/html/rfc6750#section-3.1"
BEARER_REALM = 'Bearer realm="sinch"'
BASIC_REALM = 'Basic realm="sinch"'

# The live API's answer to a PATCH with an update mask: a bare string where an object belongs.
MARSHAL_FAILURE = json.dumps({"error": "failed to marshal error message"})


class ApiError(Exception):
    """An error response in the API's JSON shape."""

    def __init__(self, code: int, status: str | None = None, message: str | None = None) -> None:
        self.code = code
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.message = TERSE_MESSAGES.get(code, "") if message is None else message
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": self.status,
                "details": [],
            }
        }

    def json(self) -> str:
        return json.dumps(self.body())


def invalid(field_name: str, description: str) -> ApiError:
    """A 400 INVALID_ARGUMENT about one field of the request."""
    return ApiError(400, "INVALID_ARGUMENT", f"{field_name}: {description}")


def oauth_error(code: int, description: str, error: str | None = None) -> str:
    """An RFC 6749 error body, as the token endpoint writes it."""
    name = error or OAUTH_ERRORS.get(code, "server_error" if code >= 500 else "invalid_request")
    return json.dumps({"error": name, "error_description": description})


def rfc3339_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expired_challenge(expired_at: float) -> str:
    """The WWW-Authenticate of an expired token, as real gateways write it."""
    return (
        f'Bearer error="invalid_token", error_description="Jwt expired at '
        f'{rfc3339_seconds(expired_at)}", error_uri="{RFC6750}"'
    )


INVALID_CHALLENGE = (
    f'Bearer error="invalid_token", error_description="Jwt is not valid", error_uri="{RFC6750}"'
)

# 200 answers that are not what the API promises (an odd proxy, a truncating cache, a bug).
ODD_BODIES: list[tuple[str, str]] = [
    (
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
        "<body><p>Checking your connection. This page will refresh.</p></body></html>",
    ),
    ("application/json", ""),
    ("application/json", "[]"),
    ("application/json", '{"status": "OK"}'),
]


# -- bodies a broken or hostile server streams -----------------------------------------------

_PAGE_HEAD = b'{"subprojects":['
_PAGE_TAIL = b'],"nextPageToken":""}'
_STREAM_CHUNK = 1 << 16


_FILLER = json.dumps(
    {
        "subprojectId": "F%025d",
        "displayName": "Filler %012d",
        "createTime": "2026-01-01T00:00:00.000000Z",
        "updateTime": "2026-01-01T00:00:00.000000Z",
        "deleted": False,
        "labels": {},
        "parentProjectId": "filler",
    },
    separators=(",", ":"),
)


def filler_item(number: int) -> str:
    """A valid-looking subproject of fixed length (what an oversized page is made of)."""
    return _FILLER % (number, number)


_ITEM_SIZE = len(filler_item(0)) + 1  # with its comma


def page_stream(size: int | None) -> tuple[Iterator[bytes], int | None]:
    """(chunks, length) of a page-shaped JSON body of about `size` bytes, never held whole in
    memory; `size` None streams one that never ends (length None)."""
    frame = len(_PAGE_HEAD + _PAGE_TAIL)
    count = None if size is None else max(1, -(-(size - frame) // _ITEM_SIZE))

    def chunks() -> Iterator[bytes]:
        yield _PAGE_HEAD
        numbers = itertools.count() if count is None else iter(range(count))
        buffer: list[str] = []
        length = 0
        for number in numbers:
            item = filler_item(number)
            buffer.append(item if number == 0 else "," + item)
            length += _ITEM_SIZE
            if length >= _STREAM_CHUNK:
                yield "".join(buffer).encode()
                buffer, length = [], 0
        yield "".join(buffer).encode() + _PAGE_TAIL

    length = None if count is None else frame + count * _ITEM_SIZE - 1
    return chunks(), length


def redirect_page(status: int, location: str) -> str:
    """The little HTML page a gateway sends with a redirect."""
    return (
        f"<html><head><title>{status} Redirect</title></head>"
        f'<body><a href="{location}">moved here</a></body></html>'
    )
