"""An overall deadline for each HTTP request, on top of requests' per-read timeouts.

requests' read timeout bounds each wait for bytes, not the request: a server that trickles one
byte every few seconds holds it forever. Here one watchdog thread shuts the socket of a request
that outlives its deadline, which makes the blocked read return at once; the caller reports it
as "no complete answer within N s".

How the socket is found: our connection pools note, per thread, the connection a request is
about to use (`_make_request`), so the watchdog knows what to cut.

Bodies are bounded too: the adapter reads every answer in chunks and stops at the request's
limit (`deadline(seconds, max_body=...)`), so a server sending an oversized or endless body
costs at most that much memory, whatever the deadline (`BodyTooLarge`). Redirects are never
followed here: callers decide (see `transport.py`).

`session_for(url)` is the session every request of the package goes through (API calls and the
key exchange): deadlines, bounded bodies, no redirects, and no proxy for loopback hosts.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ._version import __version__
from .config import is_loopback_host

_current = threading.local()

DEFAULT_MAX_BODY = 16 << 20  # 16 MiB: a page of 1,000 subprojects is well under 1 MiB
_CHUNK = 64 << 10


class BodyTooLarge(requests.RequestException):
    """The answer's body is longer than the request's limit; nothing past it was read."""

    def __init__(self, limit: int, status: int, declared: int | None = None) -> None:
        super().__init__(f"the body is longer than {limit} bytes")
        self.limit = limit
        self.status = status
        self.declared = declared


class _InFlight:
    """One request under a deadline: the connection it uses, and whether it was cut."""

    __slots__ = ("conn", "cut", "lock", "max_body")

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.conn: Any = None
        self.cut = False
        self.lock = threading.Lock()
        self.max_body = max_body

    def kill(self) -> None:
        with self.lock:
            conn = self.conn
            if conn is None:
                return
            self.cut = True
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread that fires deadlines in time order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _InFlight]] = []
        self._cancelled: set[int] = set()
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, flight: _InFlight) -> int:
        handle = next(self._counter)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, handle, flight))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="sinch-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return handle

    def disarm(self, handle: int) -> None:
        with self._cond:
            self._cancelled.add(handle)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][1] in self._cancelled:
                        self._cancelled.discard(heapq.heappop(self._heap)[1])
                    if not self._heap:
                        self._cond.wait(5.0)
                        if not self._heap:
                            self._thread = None
                            return
                        continue
                    due = self._heap[0][0] - time.monotonic()
                    if due <= 0:
                        flight = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(due)
            flight.kill()


_watchdog = _Watchdog()


@contextlib.contextmanager
def deadline(seconds: float, max_body: int = DEFAULT_MAX_BODY) -> Iterator[_InFlight]:
    """Within this block, a request on a `DeadlineAdapter` is cut after `seconds`, and its body
    is read up to `max_body` bytes (`BodyTooLarge` beyond)."""
    flight = _InFlight(max_body)
    previous = getattr(_current, "flight", None)
    _current.flight = flight
    handle = _watchdog.arm(seconds, flight)
    try:
        yield flight
    finally:
        _watchdog.disarm(handle)
        with flight.lock:
            flight.conn = None
        _current.flight = previous


def _note_connection(conn: Any) -> None:
    flight = getattr(_current, "flight", None)
    if flight is not None:
        with flight.lock:
            flight.conn = conn


class _HTTPPool(HTTPConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        _note_connection(conn)
        return super()._make_request(conn, *args, **kwargs)


class _HTTPSPool(HTTPSConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        _note_connection(conn)
        return super()._make_request(conn, *args, **kwargs)


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools tell `deadline()` which connection a request uses, and which
    reads each body itself, in chunks, up to the request's limit."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(self, request: Any, stream: bool = False, **kwargs: Any) -> requests.Response:
        response = super().send(request, stream=True, **kwargs)
        if not stream:
            flight = getattr(_current, "flight", None)
            _read_bounded(response, flight.max_body if flight is not None else DEFAULT_MAX_BODY)
        return response


def _read_bounded(response: requests.Response, limit: int) -> None:
    """Read the whole body into `response` (as requests would), or stop past `limit` bytes.

    Sizes count decoded bytes, so a compressed body cannot expand past the limit either.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        response.close()
        raise BodyTooLarge(limit, response.status_code, int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > limit:
            chunks.clear()
            response.close()
            raise BodyTooLarge(limit, response.status_code)
        chunks.append(chunk)
    response._content = b"".join(chunks)


class _Session(requests.Session):
    """A session that never follows a redirect: the 3xx itself is the answer (`transport.py`
    decides what it means). Not even `Response.next` is worked out, so an odd `Location`
    cannot raise here."""

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return iter(())


def session_for(url: str, pool_size: int = 32) -> requests.Session:
    """A session for one host: no proxy for loopback hosts, the user's proxies for others."""
    session = _Session()
    # trust_env also brings proxy variables; loopback must never go through a proxy.
    session.trust_env = not is_loopback_host(urlsplit(url).hostname)
    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {"Accept": "application/json", "User-Agent": f"sinch-notebook/{__version__}"}
    )
    return session
