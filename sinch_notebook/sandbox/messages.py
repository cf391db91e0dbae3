"""The values passed between the HTTP layer and the sandbox's logic, and request decoding.

A `Request` is what arrived (already framed and size-checked by the server); a `Reply` is what
to send, including how to misbehave while sending it (wait, trickle, drop). Decoding refuses
what a real API refuses with a 400: bodies that are not UTF-8 or not JSON, JSON nested deeper
than any real request, repeated or malformed query parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from .bodies import ApiError, invalid

MAX_BODY = 1 << 20  # 1 MiB: a create with 255 labels of 255 + 255 characters is ~130 KB
MAX_DEPTH = 32  # a subproject body is 2 deep; nothing real comes near this
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # Go's strconv.ParseBool, as grpc-gateway uses
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""


@dataclass
class Reply:
    status: int
    body: str = ""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None  # seconds between the body's bytes
    drop: bool = False  # reset the connection instead of answering
    stream: Iterator[bytes] | None = None  # a body sent as it is made (instead of `body`)
    length: int | None = None  # the streamed body's length; None: chunked, maybe endless

    @classmethod
    def error(cls, error: ApiError, headers: dict[str, str] | None = None) -> Reply:
        return cls(error.code, error.json(), headers=headers or {})

    @classmethod
    def dropped(cls) -> Reply:
        return cls(0, drop=True)


def json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object; 400 INVALID_ARGUMENT for anything else."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, message="Invalid JSON payload received: not UTF-8") from None
    if not text.strip():
        raise ApiError(400, message="the request body must be a JSON object")
    if _too_deep(text):
        raise ApiError(400, message=f"Invalid JSON payload received: deeper than {MAX_DEPTH}")
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ApiError(400, message=f"Invalid JSON payload received: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, message="the request body must be a JSON object")
    return body


def _too_deep(text: str) -> bool:
    """Nesting deeper than MAX_DEPTH, counted outside strings, without parsing."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def single(query: dict[str, list[str]], name: str) -> str | None:
    """The one value of a query parameter; repeating a singular parameter is a 400."""
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise invalid(name, "was given more than once")
    return values[0]


def query_int(query: dict[str, list[str]], name: str, default: int) -> int:
    """An integer parameter; absent is `default`, and an empty value is a wrong type (400), as
    grpc-gateway answers a value its type cannot parse."""
    raw = single(query, name)
    if raw is None:
        return default
    if not _INTEGER.match(raw):
        raise invalid(name, f"must be an integer, got {_shown(raw)}")
    return int(raw)


def query_bool(query: dict[str, list[str]], name: str) -> bool:
    """A boolean parameter (Go's ParseBool words); absent is false, empty is a 400."""
    raw = single(query, name)
    if raw is None:
        return False
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise invalid(name, f"must be true or false, got {_shown(raw)}")


def _shown(raw: str) -> str:
    return "an empty value" if raw == "" else json.dumps(raw[:40])
