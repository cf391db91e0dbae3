"""The sandbox's HTTP layer on http.server: framing, any method, JSON for every error, delivery.

A thread per connection with HTTP/1.1 keep-alive serves the concurrency bulk work needs; the
per-request work is a dict look-up or a bisect in the store, so it does not grow with the
number of subprojects.

Whatever a client sends, the answer is JSON in the API's shape: an unknown method (TRACE,
OPTIONS, anything) is routed like any other, and what the stdlib itself rejects (a bad request
line, too many headers) goes through `send_error`, which writes the same JSON. Client input
never produces a 5xx. Delivery knows how to misbehave on purpose: trickle a body byte by byte,
or reset the connection (RST) instead of answering.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import struct
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .api import api_call
from .bodies import ApiError
from .gateway import TOKEN_PATH, token_endpoint
from .messages import MAX_BODY, Reply, Request
from .stats import Stats

if TYPE_CHECKING:
    from collections.abc import Callable

    from . import Sandbox

log = logging.getLogger("sinch_notebook.sandbox")

__all__ = ["TOKEN_PATH", "SandboxHTTPServer", "Stats"]

_DIGITS = re.compile(r"^[0-9]+$")
_CHUNK_SIZE = re.compile(r"^[0-9A-Fa-f]{1,8}$")


class _Malformed(Exception):
    """The request cannot be framed: answer 400 and close the connection."""


class _Disconnected(Exception):
    """The client went away in the middle of its request."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sinch-sandbox"
    sys_version = ""
    wbufsize = 1 << 16
    server: SandboxHTTPServer
    _reset = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Every method (`do_TRACE`, `do_BREW`, ...) is handled, so none gets the stdlib's 501."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    # -- dispatch ------------------------------------------------------------------------------

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _Malformed as exc:
            self.close_connection = True
            self._deliver(Reply.error(ApiError(400, message=str(exc))))
            return
        except _Disconnected:
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        sandbox = self.sandbox
        if sandbox.latency > 0:
            sandbox.sleep(sandbox.latency)
        request = Request(
            self.command, parts.path, parse_qs(parts.query, keep_blank_values=True), self.headers
        )
        request.body = body
        try:
            if parts.path.rstrip("/") == TOKEN_PATH:
                reply = token_endpoint(sandbox, request)
            else:
                reply = api_call(sandbox, request)
        except Exception:  # a sandbox bug must still answer, like a real server's 500
            log.exception("sandbox error on %s %s", self.command, parts.path)
            reply = Reply.error(ApiError(500))
        self._deliver(reply)

    def _read_body(self) -> bytes:
        codings = ",".join(self.headers.get_all("Transfer-Encoding") or [])
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if codings:
            if [c.strip().lower() for c in codings.split(",")] != ["chunked"]:
                raise _Malformed("unsupported Transfer-Encoding")
            if lengths:
                raise _Malformed("both Content-Length and Transfer-Encoding")
            return self._read_chunked()
        if not lengths:
            return b""
        if len(lengths) > 1:
            raise _Malformed("conflicting Content-Length headers")
        (value,) = lengths
        if not _DIGITS.match(value):
            raise _Malformed("Content-Length must be a non-negative integer")
        length = int(value)
        if length > MAX_BODY:
            raise _Malformed(f"request body larger than {MAX_BODY} bytes")
        data = self.rfile.read(length)
        if len(data) < length:
            raise _Disconnected
        return data

    def _read_chunked(self) -> bytes:
        data = bytearray()
        while True:
            line = self.rfile.readline(1026)
            if not line.endswith(b"\n"):
                raise _Disconnected if not line else _Malformed("bad chunk size line")
            size_text = line.split(b";")[0].strip().decode("latin-1")
            if not _CHUNK_SIZE.match(size_text):
                raise _Malformed("bad chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(data) + size > MAX_BODY:
                raise _Malformed(f"request body larger than {MAX_BODY} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _Disconnected
            data += chunk
            if self.rfile.readline(3).strip():
                raise _Malformed("chunk not followed by CRLF")
        for _ in range(100):  # trailer fields, ignored
            trailer = self.rfile.readline(8194)
            if not trailer:
                raise _Disconnected
            if not trailer.strip():
                return bytes(data)
        raise _Malformed("too many trailer fields")

    # -- what the stdlib rejects, as JSON --------------------------------------------------------

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own rejections (request line, headers), in the API's JSON shape.

        Each is a 400, whatever code the stdlib chose (414, 431, 505): client input never gets
        a 5xx, and the API family names every malformed request INVALID_ARGUMENT.
        """
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # a line too garbled to have a version: answer
            self.request_version = "HTTP/1.0"  # with a status line and headers all the same
        self._deliver(Reply.error(ApiError(400, message=message or "")))

    def send_response(self, code: int, message: str | None = None) -> None:
        """As the stdlib's, with the sandbox's clock in `Date` (or no `Date` at all)."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        if self.sandbox.date_header:
            self.send_header("Date", formatdate(self.sandbox.now(), usegmt=True))

    # -- delivery ------------------------------------------------------------------------------

    def _deliver(self, reply: Reply) -> None:
        if reply.drop:
            self._drop()
            return
        if reply.stream is not None:
            self._deliver_stream(reply)
            return
        data = reply.body.encode("utf-8")
        self.sandbox.counters.count("responses", reply.status)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD" or not data:
            return
        if not reply.trickle:
            self.wfile.write(data)
            return
        self.wfile.flush()
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            if index + 1 < len(data) and not self.sandbox.sleep(reply.trickle):
                self._drop()  # the sandbox is stopping
                return

    def _deliver_stream(self, reply: Reply) -> None:
        """A body sent as it is made: with its length, or chunked (maybe never ending) until
        the client goes away or the sandbox stops. Memory stays flat whatever its size."""
        self.sandbox.counters.count("responses", reply.status)
        self.close_connection = True
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        chunked = reply.length is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(reply.length))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD" or reply.stream is None:
            return
        try:
            for chunk in reply.stream:
                if self.sandbox.stopping:
                    break
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
            else:
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client stopped reading and closed: what it should do
            pass

    def _drop(self) -> None:
        """Reset the connection (RST, no response): the client cannot know what happened."""
        self.sandbox.counters.count("resets")
        self.close_connection = True
        self._reset = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def finish(self) -> None:
        if not self._reset:
            super().finish()
            return
        # Close without the FIN that a shutdown would send first: the peer sees a reset.
        with contextlib.suppress(OSError, ValueError):
            self.wfile.close()
        with contextlib.suppress(OSError, ValueError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            self.connection.close()


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
