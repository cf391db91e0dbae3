"""Redirects read by the parser that connects (issue 25, item 4): small hostile servers on
loopback. "API" answers every request with a redirect whose `Location` is written byte for
byte; "OTHER" records what reaches it. Whatever form the Location takes (backslash, tab,
user info, percent-encoded host, IPv6 brackets, scheme-relative), nothing reaches OTHER, and
never an `Authorization` header: the client refuses in one line, or follows to the API itself.
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import sinch_notebook as sn

KEY_ID, SECRET = "redirect-key", "redirect-s3cr3t-Value"
NO_RETRY = sn.RetryPolicy(retries=0, commit_grace=0.1)


@dataclass
class RawServer:
    """A loopback HTTP server answering every request with `answer(path)` (raw bytes)."""

    answer: object
    requests: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    continue
                if not data:
                    continue
                self.requests.append(data)
                path = data.split(b" ", 2)[1].decode("latin-1")
                conn.sendall(self.answer(path))  # type: ignore[operator]

    def close(self) -> None:
        self.sock.close()


def redirect_to(location: bytes) -> object:
    def answer(path: str) -> bytes:
        if path.startswith("/v1/projects/p/subprojects"):
            return (
                b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\n"
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
        body = b'{"subprojects": []}'
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
        )

    return answer


def page(path: str) -> bytes:
    body = b'{"subprojects": []}'
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )


@pytest.fixture
def other() -> Iterator[RawServer]:
    server = RawServer(page)
    yield server
    server.close()


FORMS = [
    "http://127.0.0.1:{other}\\@127.0.0.1:{api}/v1/elsewhere",  # the case
    "http://127.0.0.1:{other}\t@127.0.0.1:{api}/v1/elsewhere",
    "http://127.0.0.1:{other}@127.0.0.1:{api}/v1/elsewhere",
    "http://u:p@127.0.0.1:{other}/v1/elsewhere",
    "http://127.0.0.1%3A{other}@127.0.0.1:{api}/v1/elsewhere",
    "http://%31%32%37.0.0.1:{other}/v1/elsewhere",
    "http://[::ffff:127.0.0.1]:{other}/v1/elsewhere",
    "//127.0.0.1:{other}/v1/elsewhere",
    "/\\127.0.0.1:{other}/v1/elsewhere",
    "\\\\127.0.0.1:{other}/v1/elsewhere",
    "http://127.0.0.1:{api}#@127.0.0.1:{other}/",
    "http://127.0.0.1:{other}/v1/elsewhere",
    "http:\\\\127.0.0.1:{other}/v1/elsewhere",
    " http://127.0.0.1:{other}/v1/elsewhere",
    "http://127.0.0.1:{other}\x0b@127.0.0.1:{api}/v1/elsewhere",
]


@pytest.mark.parametrize("auth", ["basic", "oauth"])
@pytest.mark.parametrize("form", FORMS)
def test_a_redirect_never_carries_credentials_to_another_origin(
    other: RawServer, form: str, auth: str
) -> None:
    holder: dict[str, str] = {}
    api = RawServer(
        lambda path: redirect_to(holder["location"].encode("latin-1"))(path)  # type: ignore[operator]
    )
    try:
        holder["location"] = form.format(other=other.port, api=api.port)
        client = _client(api, auth)
        try:
            client.list()
        except sn.SinchError as err:
            assert "\n" not in str(err)
        reached = b"\n".join(other.requests)
        assert other.requests == [], reached
        secret_forms = [SECRET.encode(), base64.b64encode(f"{KEY_ID}:{SECRET}".encode())]
        assert not any(form_ in reached for form_ in secret_forms)
    finally:
        api.close()


def _client(api: RawServer, auth: str) -> sn.SubprojectsClient:
    if auth == "basic":
        return sn.connect(
            KEY_ID,
            SECRET,
            "p",
            auth="basic",
            api_url=f"http://127.0.0.1:{api.port}",
            verify=False,
            activate=False,
            retry=NO_RETRY,
        )
    token = _token_server()
    return sn.connect(
        KEY_ID,
        SECRET,
        "p",
        api_url=f"http://127.0.0.1:{api.port}",
        auth_url=f"http://127.0.0.1:{token.port}/oauth2/token",
        verify=False,
        activate=False,
        retry=NO_RETRY,
    )


_TOKEN_SERVERS: list[RawServer] = []


@pytest.fixture(autouse=True)
def _close_token_servers() -> Iterator[None]:
    yield
    while _TOKEN_SERVERS:
        _TOKEN_SERVERS.pop().close()


def _token_server() -> RawServer:
    body = b'{"access_token": "bearer-t0ken-value", "token_type": "bearer", "expires_in": 3599}'
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    server = RawServer(lambda path: reply)
    _TOKEN_SERVERS.append(server)
    return server


def test_a_redirect_on_the_apis_own_origin_is_still_followed(other: RawServer) -> None:
    holder: dict[str, str] = {}
    api = RawServer(
        lambda path: redirect_to(holder["location"].encode())(path)  # type: ignore[operator]
    )
    try:
        holder["location"] = f"http://127.0.0.1:{api.port}/v1alpha1/projects/p/subprojects"
        client = _client(api, "basic")
        assert client.list() == []
        assert len(api.requests) == 2 and b"Authorization: Basic" in api.requests[1]
    finally:
        api.close()
