"""The Key Secret and bearer tokens never show in reprs, logs or exception messages."""

from __future__ import annotations

import logging
import traceback

import pytest

import sinch_notebook as sn
from sinch_notebook.auth import BasicAuth, Credentials, TokenAuth, TokenSource
from sinch_notebook.sandbox import DEMO_KEY_SECRET, Sandbox

SECRET = "s3cr3t-Value-That-Must-Not-Leak"


@pytest.fixture
def secret_sandbox() -> Sandbox:
    with Sandbox(key_id="leak-test-key", key_secret=SECRET, retry_after=0) as sb:
        yield sb


def test_reprs_mask_the_secret_and_token(secret_sandbox: Sandbox) -> None:
    client = secret_sandbox.connect(activate=False)
    basic = secret_sandbox.connect(auth="basic", activate=False)
    token = client.auth.source.token()
    creds = Credentials("leak-test-key", SECRET)
    objects = [
        creds,
        client,
        client.auth,
        client.auth.source,
        basic,
        basic.auth,
        secret_sandbox,
        client.status(),
        TokenSource(creds, "https://auth.example/oauth2/token"),
        TokenAuth(client.auth.source),
        BasicAuth(creds),
    ]
    for obj in objects:
        for text in (repr(obj), str(obj)):
            assert SECRET not in text
            assert token not in text
    assert "***" in repr(creds)


def test_debug_logs_carry_neither_secret_nor_token(
    secret_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # root: urllib3, requests and ours
    client = secret_sandbox.connect(activate=False)
    created = client.create("logged", labels={"a": "b"})
    client.update(created.id, display_name="logged 2")
    secret_sandbox.expire_tokens()
    client.list()
    client.delete(created.id)
    with pytest.raises(sn.NotFound):
        client.get("01FC66621VHDBN119Z8PMXXXXX")
    token = client.auth.source.token()
    assert "token obtained for key leak-test-key" in caplog.text
    assert "/subprojects" in caplog.text
    assert SECRET not in caplog.text
    assert token not in caplog.text


def test_exceptions_carry_no_secret(secret_sandbox: Sandbox) -> None:
    errors: list[BaseException] = []
    try:
        secret_sandbox.connect(key_secret=SECRET + "x", activate=False)
    except sn.SinchError as exc:
        errors.append(exc)
    client = secret_sandbox.connect(activate=False, retry=sn.RetryPolicy(retries=0))
    basic = secret_sandbox.connect(auth="basic", activate=False)
    secret_sandbox.inject(401, method="GET")
    try:
        basic.list()
    except sn.SinchError as exc:
        errors.append(exc)
    secret_sandbox.stop()
    try:
        client.list()
    except sn.SinchError as exc:
        errors.append(exc)
    assert len(errors) == 3
    for exc in errors:
        rendered = "".join(traceback.format_exception(exc)) + repr(exc)
        assert SECRET not in rendered


def test_token_endpoint_echoing_the_secret_is_scrubbed(secret_sandbox: Sandbox) -> None:
    echo = f'{{"title": "Unauthorized", "detail": "bad secret {SECRET}"}}'
    secret_sandbox.inject(401, path_contains="/oauth2/token", body=echo)
    with pytest.raises(sn.Unauthenticated) as info:
        secret_sandbox.connect(activate=False)
    assert SECRET not in str(info.value) and "***" in str(info.value)


def test_demo_secret_is_not_in_sandbox_repr() -> None:
    with Sandbox() as sb:
        assert DEMO_KEY_SECRET not in repr(sb)
