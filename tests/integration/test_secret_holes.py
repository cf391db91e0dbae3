"""Secrets never leave, bad input never gets in (issue 11): echoed credentials, Basic auth's
secret, proxies, verbose tracebacks, and the input rules. Real HTTP, a real InteractiveShell,
a real proxy on loopback."""

from __future__ import annotations

import base64
import re
import socketserver
import threading
from collections.abc import Iterator

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell

KEY_ID = "echo-key"
SECRET = "Echo-Secret-Value-0123456789"
BASIC = base64.b64encode(f"{KEY_ID}:{SECRET}".encode()).decode()


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(key_id=KEY_ID, key_secret=SECRET, subprojects=4, retry_after=0) as sandbox:
        yield sandbox


def echo_page(*values: str) -> str:
    """What a WAF or debugging proxy answers: the request quoted back, in its very title."""
    quoted = " ".join(values)
    return f"<html><head><title>Blocked: {quoted}</title></head><body>{quoted}</body></html>"


def plain(text: str) -> str:
    """Text without the terminal colour codes IPython's tracebacks carry."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def secrets_of(client: sn.SubprojectsClient) -> list[str]:
    values = [SECRET, BASIC]
    if client.auth_mode == "oauth":
        values.append(client.auth.source.token())
    return values


# -- echoed credentials --------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["oauth", "basic"])
def test_a_page_that_quotes_the_request_is_scrubbed_from_errors(sb: Sandbox, auth: str) -> None:
    client = sb.connect(auth=auth, activate=False, retry=sn.RetryPolicy(retries=0))
    values = secrets_of(client)
    headers = [f"Authorization: Basic {BASIC}", f"Authorization: Bearer {values[-1]}"]
    sb.inject(502, method="GET", body=echo_page(*headers, SECRET), content_type="text/html")
    with pytest.raises(sn.ServerError) as info:
        client.list()
    shown = " ".join([str(info.value), repr(info.value), info.value.message, str(info.value.args)])
    for value in values:
        assert value not in shown
    assert "***" in shown


def test_a_token_endpoint_that_echoes_the_basic_header_is_scrubbed(sb: Sandbox) -> None:
    sb.inject(
        400,
        path_contains="/oauth2/token",
        body=f'{{"error": "invalid_request", "error_description": "got Basic {BASIC}"}}',
    )
    with pytest.raises(sn.InvalidArgument) as info:
        sb.connect(activate=False)
    assert BASIC not in str(info.value) and "Basic ***" in str(info.value)


@pytest.mark.parametrize("auth", ["oauth", "basic"])
def test_the_magics_one_line_error_is_scrubbed(ip: MagicShell, sb: Sandbox, auth: str) -> None:
    client = sb.connect(auth=auth, retry=sn.RetryPolicy(retries=0))  # the active connection
    values = secrets_of(client)
    sb.inject(502, method="GET", body=echo_page(*values), content_type="text/html", times=10)
    run = ip.fails("%sinch list")
    assert run.lines()[0].startswith("%sinch list: 502 UNAVAILABLE: an HTML page")
    ip.assert_never_shown(*values)


# -- Basic auth keeps the secret private ---------------------------------------------------------


def test_basic_auth_holds_the_secret_in_no_public_attribute(sb: Sandbox) -> None:
    client = sb.connect(auth="basic", activate=False)
    assert len(client.list()) == 4
    seen: list[str] = []
    for obj in (client, client.auth, client.transport):
        for name in dir(obj):
            if name.startswith("_"):
                continue
            value = getattr(obj, name, None)
            if not callable(value):
                seen.append(f"{name}={value!r} {value!s}")
    assert not hasattr(client.auth, "password")
    assert SECRET not in "\n".join(seen) and SECRET not in str(vars(client.auth))


# -- proxies -------------------------------------------------------------------------------------


class _Recorder(socketserver.ThreadingTCPServer):
    """A proxy that records the first line of every request it gets, then refuses it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.raw: list[bytes] = []

        recorder = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                data = self.rfile.readline()
                recorder.lines.append(data.decode("latin-1").strip())
                rest = self.connection.recv(65536)
                recorder.raw.append(data + rest)
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("auth", ["oauth", "basic"])
def test_loopback_traffic_never_goes_through_a_proxy(
    sb: Sandbox, proxy: _Recorder, auth: str
) -> None:
    client = sb.connect(auth=auth, activate=False)
    assert len(client.list()) == 4
    assert proxy.lines == [], "the sandbox's traffic (credentials, tokens) went to the proxy"


def test_remote_traffic_honours_the_proxy_settings(proxy: _Recorder) -> None:
    with pytest.raises(sn.TransportError):
        sn.connect(
            KEY_ID,
            SECRET,
            "proj",
            auth_url="https://auth.sinch.invalid/oauth2/token",
            api_url="https://api.sinch.invalid",
            activate=False,
            token_retry=sn.RetryPolicy(retries=0),
        )
    assert proxy.lines and proxy.lines[0].startswith("CONNECT auth.sinch.invalid:443")
    assert not any(SECRET.encode() in raw or BASIC.encode() in raw for raw in proxy.raw)


# -- verbose tracebacks --------------------------------------------------------------------------


def test_a_verbose_traceback_of_a_failed_login_prints_no_secret(
    ip: MagicShell, sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = SECRET + "-typo"
    for name, value in {**sb.env(), "SINCH_KEY_SECRET": wrong}.items():
        monkeypatch.setenv(name, value)
    ip.ok("%config Sinch.short_errors = False")
    ip.ok("%xmode Verbose")
    run = ip.run("%sinch login")
    assert isinstance(run.error, sn.Unauthenticated)
    text = plain(run.text)
    assert "Traceback" in text and "credentials = Credentials(" in text  # verbose: locals shown
    assert wrong not in run.everything() and SECRET not in run.everything()


def test_a_verbose_traceback_of_connect_with_a_bad_url_prints_no_secret(
    ip: MagicShell,
) -> None:
    ip.ok("import sinch_notebook as sn")
    ip.ok("%xmode Verbose")
    ip.shell.user_ns["secret_from_vault"] = SECRET  # as if read from a vault
    for short_errors, package_frames in (("False", 2), ("True", 1)):
        ip.ok(f"%config Sinch.short_errors = {short_errors}")
        run = ip.run("sn.connect('k', secret_from_vault, 'p', api_url='http://example.com')")
        assert isinstance(run.error, sn.InsecureTransportError)
        frames = re.split(r"\nFile ", plain(run.text))
        ours = [f for f in frames if "/sinch_notebook/" in f.splitlines()[0]]
        # Short errors: only the public entry point's frame (sinch_notebook/public.py).
        assert len(ours) >= package_frames, "the traceback goes through the package's frames"
        assert SECRET in frames[0] or SECRET in plain(run.text)  # the user's own cell shows it
        assert not any(SECRET in frame for frame in ours)


# -- input rules ---------------------------------------------------------------------------------


def test_show_deleted_follows_the_one_boolean_rule(sb: Sandbox) -> None:
    client = sb.connect(activate=False)
    client.delete(sb.subprojects()[0]["subprojectId"])
    assert len(client.list(show_deleted="no")) == 3
    assert len(client.list(show_deleted="yes")) == 4
    assert len(client.frame(show_deleted="no")) == 3
    sb.reset_stats()
    for bad in ("maybe", 2, None, [True]):
        with pytest.raises(sn.ValidationError, match="show_deleted: must be true or false"):
            client.list(show_deleted=bad)
    assert sb.stats["requests"] == 0


@pytest.mark.parametrize("cell", [2, -1, 0.5, "2"])
def test_delete_cells_that_are_not_booleans_are_invalid_rows(sb: Sandbox, cell) -> None:
    client = sb.connect(activate=False)
    df = client.frame()
    df["delete"] = pd.Series([cell] + [False] * (len(df) - 1), dtype=object)
    plan = client.plan(df)
    assert plan.deletes == 0 and len(plan.invalid) == 1
    assert "delete: must be true or false" in plan.invalid[0].reason


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://api.example.com/?x=1", "must not have a query string"),
        ("https://api.example.com/#top", "must not have a fragment"),
        ("https://user:pw@api.example.com", "must not contain user info"),
    ],
)
def test_urls_with_a_query_fragment_or_user_info_are_refused(url: str, rule: str) -> None:
    with pytest.raises(sn.ValidationError, match=rule) as info:
        sn.connect("k", "s", "p", api_url=url, verify=False, activate=False)
    assert info.value.field == "api_url"


def test_lone_surrogates_are_refused_before_any_request(sb: Sandbox) -> None:
    client = sb.connect(activate=False)
    sb.reset_stats()
    for call in (
        lambda: client.create("bad \udcff"),
        lambda: client.create("ok", {"k\ud800": "v"}),
        lambda: client.update(sb.subprojects()[0]["subprojectId"], labels={"k": "\udfff"}),
    ):
        with pytest.raises(sn.ValidationError, match="lone surrogate"):
            call()
    assert sb.stats["requests"] == 0


def test_a_name_left_unexpanded_in_a_magic_line_is_an_error(ip: MagicShell, sb: Sandbox) -> None:
    sb.connect()
    sb.reset_stats()
    run = ip.fails("%sinch create {typo}")
    assert run.lines() == [
        "%sinch create: cannot put {typo} in the line (NameError: name 'typo' is not defined); "
        "write {{ }} or $$ for literal braces or dollars"
    ]
    assert sb.stats["requests"] == 0
    ip.ok("who = 'Acme'")
    assert ip.ok("%sinch create {who} {{EU}}").value.display_name == "Acme {EU}"
