"""Whatever arrives on the wire gets a JSON answer in the API's shape, never a 5xx or silence.

Checked with raw sockets and http.client, since requests refuses to send most of these.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest
import requests

from sinch_notebook.sandbox import Sandbox
from tests.sandbox_http import LIST, api, create, token

ITEM = "/v1/subprojects/01FC66621VHDBN119Z8PMXXXXX"


def raw(sb: Sandbox, data: bytes) -> tuple[http.client.HTTPResponse, bytes]:
    """Send bytes as they are; the parsed response and its body."""
    with socket.create_connection(("127.0.0.1", sb.port), timeout=10) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        return response, response.read()


def assert_api_error(status: int, content_type: str | None, body: bytes, code: int) -> dict:
    assert status == code
    assert content_type == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code and isinstance(error["status"], str)
    assert error["details"] == []
    return error


# -- methods and paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "TRACE", "OPTIONS", "CONNECT", "BREW", "PROPFIND"])
@pytest.mark.parametrize(("path", "allow"), [(LIST, "GET, POST"), (ITEM, "GET, PATCH, DELETE")])
def test_a_method_the_api_does_not_serve_is_405_with_allow(
    sandbox: Sandbox, method: str, path: str, allow: str
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    conn.request(method, path)
    response = conn.getresponse()
    assert_api_error(response.status, response.getheader("Content-Type"), response.read(), 405)
    assert response.getheader("Allow") == allow
    conn.request("GET", "/nowhere")  # the connection is still usable
    assert conn.getresponse().status == 404
    conn.close()


def test_head_is_405_without_a_body(sandbox: Sandbox) -> None:
    response = requests.head(sandbox.url + LIST)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.content == b""


@pytest.mark.parametrize("method", ["GET", "POST", "TRACE", "OPTIONS", "DELETE", "XYZ"])
@pytest.mark.parametrize("path", ["/", "/v2/subprojects/x", "/v1/projects/p", "*", "/v1/x/y/z"])
def test_an_unknown_path_is_404_json_for_any_method(
    sandbox: Sandbox, method: str, path: str
) -> None:
    response, body = raw(sandbox, f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    error = assert_api_error(response.status, response.getheader("Content-Type"), body, 404)
    assert error == {"code": 404, "message": "Not Found", "status": "NOT_FOUND", "details": []}


# -- framing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", ["-5", "abc", "1.5", "0x10", "5, 6", "99999999999999999999"])
def test_a_malformed_content_length_is_400_json(sandbox: Sandbox, length: str) -> None:
    request = f"POST {LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}"
    response, body = raw(sandbox, request.encode())
    assert_api_error(response.status, response.getheader("Content-Type"), body, 400)


def test_conflicting_framing_headers_are_400(sandbox: Sandbox) -> None:
    request = (
        f"POST {LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    response, body = raw(sandbox, request.encode())
    assert_api_error(response.status, response.getheader("Content-Type"), body, 400)


def test_a_chunked_body_is_read(sandbox: Sandbox) -> None:
    bearer = token(sandbox)
    payload = json.dumps({"displayName": "chunked"}).encode()
    response = requests.post(
        sandbox.url + LIST,
        data=iter([payload[:5], payload[5:]]),
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert sandbox.subprojects()[0]["displayName"] == "chunked"


def test_a_body_over_the_limit_is_400_without_reading_it(sandbox: Sandbox) -> None:
    request = f"POST {LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 24}\r\n\r\n{{"
    response, body = raw(sandbox, request.encode())
    assert_api_error(response.status, response.getheader("Content-Type"), body, 400)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{}",
        b'{"displayName": "\xc3("}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"labels":' * 50_000 + b"{}" + b"}" * 50_000,
        b'{"displayName": "ok", "labels": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}",
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"{not json",
    ],
)
def test_bodies_that_are_not_a_json_object_are_400(sandbox: Sandbox, body: bytes) -> None:
    response = api(
        sandbox,
        "POST",
        LIST,
        bearer=token(sandbox),
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert sandbox.subprojects() == []


def test_deep_json_in_a_string_is_just_a_string(sandbox: Sandbox) -> None:
    name = "[" * 200
    created = create(sandbox, token(sandbox), name)
    assert created["displayName"] == name


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"GET / FTP/1.0\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"y" * 70_000 + b"\r\n\r\n",
    ],
    ids=["garbage", "http2", "extra-word", "not-http", "long-line", "headers", "long-header"],
)
def test_what_the_stdlib_rejects_is_still_a_json_400(sandbox: Sandbox, request_bytes) -> None:
    response, body = raw(sandbox, request_bytes)
    assert_api_error(response.status, response.getheader("Content-Type"), body, 400)


# -- Date and the server's clock -------------------------------------------------------------------


def test_date_header_is_present_and_can_be_dropped() -> None:
    with Sandbox() as sb:
        assert "Date" in requests.get(sb.url + LIST).headers
        sb.date_header = False
        for response in (
            requests.get(sb.url + LIST),
            requests.post(sb.token_url, data={"grant_type": "client_credentials"}),
            raw(sb, b"GARBAGE\r\n\r\n")[0],
        ):
            headers = getattr(response, "headers", None) or dict(response.getheaders())
            assert "Date" not in headers


def test_clock_offset_moves_date_and_resource_times() -> None:
    with Sandbox(clock_offset=-3600) as sb:
        before = time.time()
        response = api(sb, "POST", LIST, bearer=token(sb), json={"displayName": "A"})
    server_date = parsedate_to_datetime(response.headers["Date"]).timestamp()
    created = datetime.fromisoformat(response.json()["createTime"].replace("Z", "+00:00"))
    assert 3000 < before - server_date < 4200  # an hour behind, whatever the machine's speed
    assert 3000 < before - created.timestamp() < 4200
