"""The sandbox's HTTP layer: routing, authentication, rate limits and faults, on http.server.

A thread per connection with HTTP/1.1 keep-alive serves the concurrency bulk work needs; the
per-request work is a dict look-up or a bisect in the store, so it does not grow with the
number of subprojects.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import math
import re
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .accounts import Account
from .faults import Fault
from .store import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ApiError, invalid

if TYPE_CHECKING:
    from . import Sandbox

log = logging.getLogger("sinch_notebook.sandbox")

TOKEN_PATH = "/oauth2/token"
_COLLECTION = re.compile(r"^/(v1|v1alpha1)/projects/([^/]+)/subprojects/?$")
_ITEM = re.compile(r"^/(v1|v1alpha1)/subprojects/([^/]+)/?$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired"'
_INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"'


class Stats:
    """Counters a test can read: token requests, API requests, responses by status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.token_requests = 0
            self.requests = 0
            self.resets = 0
            self.responses: Counter[int] = Counter()
            self.operations: Counter[str] = Counter()

    def count(self, attr: str, key: Any = None) -> None:
        with self._lock:
            if key is None:
                setattr(self, attr, getattr(self, attr) + 1)
            else:
                getattr(self, attr)[key] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "token_requests": self.token_requests,
                "requests": self.requests,
                "resets": self.resets,
                "responses": dict(self.responses),
                "operations": dict(self.operations),
            }


class _Problem(Exception):
    """An auth-gateway error: RFC 7807 problem JSON."""

    def __init__(self, code: int, title: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.code, self.title, self.detail = code, title, detail
        self.headers = headers or {}

    def body(self) -> str:
        return json.dumps(
            {"type": "about:blank", "title": self.title, "status": self.code, "detail": self.detail}
        )


class _Dropped(Exception):
    """Close the connection without answering."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sinch-sandbox"
    sys_version = ""
    wbufsize = 1 << 16
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # -- dispatch ------------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        body = self._read_body()
        sandbox = self.sandbox
        if sandbox.latency > 0:
            time.sleep(sandbox.latency)
        try:
            if path.rstrip("/") == TOKEN_PATH:
                self._token_endpoint(method, body)
            else:
                self._api(method, path, parse_qs(parts.query, keep_blank_values=True), body)
        except _Dropped:
            self._drop()
        except Exception:  # a sandbox bug must still answer, like a real server's 500
            log.exception("sandbox error on %s %s", method, path)
            self._api_error(ApiError(500, "INTERNAL", "internal error in the sandbox"))

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # -- auth gateway --------------------------------------------------------------------------

    def _token_endpoint(self, method: str, raw: bytes) -> None:
        sandbox = self.sandbox
        sandbox.counters.count("token_requests")
        fault = sandbox.faults.scripted_for(method, TOKEN_PATH)
        if fault is not None:
            self._fault(fault)
            return
        try:
            if method != "POST":
                raise _Problem(405, "Method Not Allowed", "use POST", {"Allow": "POST"})
            form = parse_qs(raw.decode("utf-8", "replace"))
            key_id, secret = self._basic_credentials()
            if key_id is None:
                key_id = (form.get("client_id") or [""])[0]
                secret = (form.get("client_secret") or [""])[0]
            wait = sandbox.accounts.token_request_wait(key_id or "-")
            if wait > 0:
                raise _Problem(429, "Too Many Requests", "token request rate exceeded")
            grant = (form.get("grant_type") or [""])[0]
            if not grant:
                raise _Problem(400, "Bad Request", "grant_type is required")
            if grant != "client_credentials":
                raise _Problem(400, "Bad Request", f"unsupported grant_type {grant!r}")
            account = sandbox.accounts.check_secret(key_id or "", secret or "")
            if account is None:
                raise _Problem(
                    401,
                    "Unauthorized",
                    "invalid client credentials",
                    {"WWW-Authenticate": 'Basic realm="sinch"'},
                )
        except _Problem as problem:
            self._send(problem.code, problem.body(), "application/problem+json", problem.headers)
            return
        ttl = sandbox.token_ttl
        token = sandbox.accounts.issue(account, ttl)
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": max(1, round(ttl)),
            "scope": "",
        }
        self._send(200, json.dumps(body))

    def _basic_credentials(self) -> tuple[str | None, str | None]:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        key_id, _, secret = decoded.partition(":")
        return unquote(key_id), unquote(secret)

    # -- the Subprojects API -------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        sandbox = self.sandbox
        sandbox.pass_gate()
        sandbox.counters.count("requests")
        try:
            operation, target = self._route(method, path)
            sandbox.counters.count("operations", operation)
            account, cost = self._authenticate()
            if sandbox.rate_limit:
                wait = sandbox.accounts.api_request_wait(account.key_id, sandbox.rate_limit, cost)
                if wait > 0:
                    self._api_error(
                        ApiError(429, "RESOURCE_EXHAUSTED", "request rate limit exceeded"),
                        {"Retry-After": str(max(1, math.ceil(wait)))},
                    )
                    return
            fault = sandbox.faults.scripted_for(method, path) or sandbox.faults.draw(
                sandbox.error_rate, sandbox.throttle_rate, sandbox.reset_rate, sandbox.retry_after
            )
            if fault is not None and not fault.commit:
                self._fault(fault)
                return
            status, body = self._operate(operation, target, account, query, raw)
        except ApiError as error:
            self._api_error(error, self._auth_headers(error))
            return
        if fault is not None:
            self._fault(fault)
            return
        self._send(status, body)

    def _route(self, method: str, path: str) -> tuple[str, str]:
        match = _COLLECTION.match(path)
        if match and method in ("GET", "POST"):
            return ("list" if method == "GET" else "create"), unquote(match.group(2))
        match = _ITEM.match(path)
        if match and method in ("GET", "PATCH", "DELETE"):
            operation = {"GET": "get", "PATCH": "update", "DELETE": "delete"}[method]
            return operation, unquote(match.group(2))
        raise ApiError(404, "NOT_FOUND", f"no such method: {method} {path}")

    def _authenticate(self) -> tuple[Account, float]:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        accounts = self.sandbox.accounts
        if scheme.lower() == "bearer" and value.strip():
            account, problem = accounts.check_token(value.strip())
            if account is None:
                raise _AuthError(f"the access token is {problem}", problem)
            return account, 1.0
        if scheme.lower() == "basic":
            key_id, secret = self._basic_credentials()
            account = accounts.check_secret(key_id or "", secret or "")
            if account is None:
                raise _AuthError("invalid key ID or key secret", "basic")
            return account, 2.0  # Basic auth is more heavily rate limited
        raise _AuthError("missing credentials: send a bearer token or HTTP Basic", "missing")

    def _auth_headers(self, error: ApiError) -> dict[str, str]:
        if not isinstance(error, _AuthError):
            return {}
        challenge = {
            "expired": _EXPIRED,
            "invalid": _INVALID,
            "basic": 'Basic realm="sinch"',
        }.get(error.kind, 'Bearer realm="sinch"')
        return {"WWW-Authenticate": challenge}

    def _operate(
        self,
        operation: str,
        target: str,
        account: Account,
        query: dict[str, list[str]],
        raw: bytes,
    ) -> tuple[int, str]:
        store = self.sandbox.store
        if operation in ("list", "create"):
            if target != account.project_id:
                if (
                    operation == "create"
                    and store.owner_if_subproject(target) == account.project_id
                ):
                    raise ApiError(
                        400,
                        "FAILED_PRECONDITION",
                        f"{target} is a subproject; a subproject cannot have subprojects",
                    )
                raise ApiError(
                    403, "PERMISSION_DENIED", f"the key has no access to project {target}"
                )
            if operation == "list":
                size, token, deleted = _list_params(query)
                return 200, store.list_page(target, size, token, deleted)
            return 200, json.dumps(store.create(target, _json_object(raw)))
        if store.owner(target) != account.project_id:
            raise ApiError(403, "PERMISSION_DENIED", f"the key has no access to {target}")
        if operation == "get":
            return 200, json.dumps(store.get(target))
        if operation == "update":
            return 200, json.dumps(store.update(target, _json_object(raw)))
        store.delete(target)
        return 200, "{}"

    # -- responses -----------------------------------------------------------------------------

    def _api_error(self, error: ApiError, headers: dict[str, str] | None = None) -> None:
        self._send(error.code, json.dumps(error.body()), "application/json", headers)

    def _fault(self, fault: Fault) -> None:
        if fault.reset:
            raise _Dropped
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.body is not None:
            self._send(fault.status, fault.body, fault.content_type, headers)
            return
        status = _STATUS_NAMES.get(fault.status, "UNKNOWN")
        error = ApiError(fault.status, status, f"injected fault {fault.status}")
        self._api_error(error, headers)

    def _send(
        self,
        code: int,
        body: str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8")
        self.sandbox.counters.count("responses", code)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Reset the connection (RST, no response): the client cannot know what happened."""
        self.sandbox.counters.count("resets")
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _AuthError(ApiError):
    def __init__(self, message: str, kind: str) -> None:
        super().__init__(401, "UNAUTHENTICATED", message)
        self.kind = kind


def _list_params(query: dict[str, list[str]]) -> tuple[int, str | None, bool]:
    raw_size = (query.get("pageSize") or [str(DEFAULT_PAGE_SIZE)])[0]
    try:
        size = int(raw_size)
    except ValueError:
        raise invalid("pageSize", "must be an integer") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
    raw_deleted = (query.get("showDeleted") or ["false"])[0].lower()
    if raw_deleted not in ("true", "false", "1", "0"):
        raise invalid("showDeleted", "must be true or false")
    token = (query.get("pageToken") or [""])[0] or None
    return size, token, raw_deleted in ("true", "1")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "INVALID_ARGUMENT", f"Invalid JSON payload received: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_ARGUMENT", "the request body must be a JSON object")
    return body


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._open_lock:
            self._open.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Cut keep-alive connections so their handler threads end with the server."""
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
