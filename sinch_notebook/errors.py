"""Exceptions: one class per API status, plus the client's own failures.

Every exception carries what a user needs to act (HTTP status, API status, message) and never
what must stay secret: messages are built from the response body and the request's method and
path only, never from headers or credentials.
"""

from __future__ import annotations

import json
from typing import Any

import requests


class SinchError(Exception):
    """Base class for everything this package raises on purpose."""

    http_status: int | None = None
    status: str = ""
    attempts: int = 1

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        status: str | None = None,
        details: list[Any] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if http_status is not None:
            self.http_status = http_status
        if status is not None:
            self.status = status
        self.details = details or []
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method and self.path else ""
        code = f"{self.http_status} {self.status}".strip() if self.http_status else self.status
        prefix = f"{code}: " if code else ""
        return f"{prefix}{self.message}{where}"


class ValidationError(SinchError, ValueError):
    """Input rejected before any request was sent; `field` names what is wrong."""

    status = "VALIDATION"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    def __str__(self) -> str:
        return self.message


class InsecureTransportError(ValidationError):
    """Credentials would travel in clear text to a host that is not this machine."""


class InvalidArgument(SinchError):
    http_status = 400
    status = "INVALID_ARGUMENT"


class FailedPrecondition(SinchError):
    http_status = 400
    status = "FAILED_PRECONDITION"


class Unauthenticated(SinchError):
    http_status = 401
    status = "UNAUTHENTICATED"


class PermissionDenied(SinchError):
    http_status = 403
    status = "PERMISSION_DENIED"


class NotFound(SinchError):
    http_status = 404
    status = "NOT_FOUND"


class AlreadyExists(SinchError):
    http_status = 409
    status = "ALREADY_EXISTS"


class RateLimited(SinchError):
    http_status = 429
    status = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(SinchError):
    http_status = 500
    status = "INTERNAL"


class TransportError(SinchError):
    """The request could not be completed: connection refused, reset or timed out."""

    status = "UNAVAILABLE"


class CreateOutcomeUnknown(TransportError):
    """A create may or may not have reached the server and reconciling could not tell."""


_BY_STATUS: dict[str, type[SinchError]] = {
    "INVALID_ARGUMENT": InvalidArgument,
    "FAILED_PRECONDITION": FailedPrecondition,
    "UNAUTHENTICATED": Unauthenticated,
    "PERMISSION_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "RESOURCE_EXHAUSTED": RateLimited,
}

_BY_HTTP: dict[int, type[SinchError]] = {
    400: InvalidArgument,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: AlreadyExists,
    429: RateLimited,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP-date); None when absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    from time import time

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None


def _error_fields(response: requests.Response) -> tuple[str, str, list[Any]]:
    """(api status, message, details) from either error body shape, or from the raw text."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        details = err.get("details")
        return (
            str(err.get("status") or ""),
            str(err.get("message") or response.reason or "error"),
            details if isinstance(details, list) else [],
        )
    if isinstance(body, dict) and ("title" in body or "detail" in body):
        title = str(body.get("title") or "").strip()
        detail = str(body.get("detail") or "").strip()
        message = f"{title}: {detail}" if title and detail else title or detail
        return "", message or (response.reason or "error"), []
    text = " ".join((response.text or "").split())
    if len(text) > 200:
        text = text[:200] + "..."
    reason = response.reason or "error"
    return "", f"{reason}: {text}" if text else reason, []


def error_from_response(response: requests.Response, *, path: str | None = None) -> SinchError:
    """The exception matching an error response; works for JSON, problem JSON and plain text."""
    status, message, details = _error_fields(response)
    code = response.status_code
    cls = _BY_STATUS.get(status) or _BY_HTTP.get(code) or (ServerError if code >= 500 else None)
    if cls is None:
        cls = SinchError
    kwargs: dict[str, Any] = {
        "http_status": code,
        "status": status or cls.status or None,
        "details": details,
        "method": response.request.method if response.request is not None else None,
        "path": path,
    }
    if cls is RateLimited:
        return RateLimited(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    return cls(message, **kwargs)
