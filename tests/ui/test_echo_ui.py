"""Issue 11 in real JupyterLab: an error page that quotes the request back is never saved.

A proxy in front of the API answers HTML 502 pages that quote the request they got: its
`Authorization: Bearer <token>` header (OAuth2), the Basic `base64(key:secret)` and the Key
Secret itself. The panel connects to a sandbox run by this test process (its `env()` is the
kernels' environment, so the panel connects by itself, with OAuth2 or Basic auth), the test
makes the sandbox answer the next API calls with such a page, the panel shows the error, and
the notebook is saved with its widget state. Neither the saved .ipynb nor any widget's state in
the page may hold any of the quoted values.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.sandbox import Sandbox

from .lab import (
    REPO_ROOT,
    WIDGETS_PLUGIN,
    JupyterLab,
    open_notebook,
    page_widget_state,
    run_all_cells,
    save_notebook,
    saved_widget_state,
    screenshot,
    start_server,
    wait_until,
    write_notebook,
)

KEY_ID = "echo-key-id"
PROJECT_ID = "echo-project"
SLOW = 120_000  # ms


@pytest.fixture(scope="module")
def echo_sandbox() -> Iterator[Sandbox]:
    secret = "echo-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=30, seed=11
    ) as sb:
        yield sb


@pytest.fixture(scope="module")
def echo_lab(
    echo_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """A JupyterLab whose kernels have the sandbox's SINCH_* (the secret in their environment,
    never in a notebook or on a command line); "save widget state" on."""
    lab = start_server(tmp_path_factory.mktemp("echo-lab"), env=echo_sandbox.env())
    try:
        lab.set_setting(WIDGETS_PLUGIN, {"saveState": True})
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def sandbox(echo_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox, with no scripted fault left over from another test."""
    echo_sandbox.faults.clear()
    yield echo_sandbox
    echo_sandbox.faults.clear()


def echo_page(*quoted: str) -> str:
    """A proxy's HTML error page quoting the request it got, in its title and its body."""
    lines = "\n".join(quoted)
    return (
        f"<html><head><title>502 Bad Gateway: {' '.join(quoted)}</title></head>"
        f"<body><h1>Bad Gateway</h1><p>Your request:</p><pre>{lines}</pre></body></html>"
    )


@pytest.mark.parametrize("auth", ["oauth", "basic"])
def test_an_echoed_request_is_shown_masked_and_saved_nowhere(
    page_on: Any, echo_lab: JupyterLab, sandbox: Sandbox, auth: str
) -> None:
    page = page_on(echo_lab)
    secret = sandbox.env()["SINCH_KEY_SECRET"]
    basic = base64.b64encode(f"{KEY_ID}:{secret}".encode()).decode()
    label = {"oauth": "OAuth2", "basic": "Basic"}[auth]
    notebook = write_notebook(
        echo_lab.root_dir / f"echo-{auth}.ipynb",
        [
            "from pathlib import Path\n"
            "import sinch_notebook as sn\n"
            "print('sinch_notebook from', Path(sn.__file__).parent)",
            f"panel = sn.panel(auth={auth!r})  # connects by itself: SINCH_* are set\npanel",
            "panel.wait()\n"
            "client = sn.require_active()\n"
            "client.retry = sn.RetryPolicy(retries=1, base=0.01, cap=0.02)  # fail fast\n"
            "print('connected to', client.project_id, 'with', client.auth_mode)",
        ],
        markdown_first="# A proxy that quotes requests back",
    )
    open_notebook(page, echo_lab, notebook.name)
    run_all_cells(page, notebook.name)
    outputs = page.locator(".jp-OutputArea-output")
    expect(outputs.first).to_contain_text(f"sinch_notebook from {REPO_ROOT / 'sinch_notebook'}")
    last_output = page.locator(".jp-CodeCell").last.locator(".jp-OutputArea-output")
    expect(last_output).to_contain_text(f"connected to {PROJECT_ID} with {auth}", timeout=SLOW)
    header = page.locator(".sn-header").first
    expect(header).to_contain_text(f"project {PROJECT_ID}", timeout=SLOW)
    expect(header).to_contain_text(label)

    # -- the next API calls answer a page quoting the request back ------------------------------
    tokens = sandbox.issued_tokens() if auth == "oauth" else []
    assert tokens or auth == "basic"
    quoted = [f"Authorization: Bearer {t}" for t in tokens] + [
        f"Authorization: Basic {basic}",
        f"key_secret={secret}",
    ]
    before = sandbox.stats["responses"].get(502, 0)
    sandbox.inject(502, method="GET", times=50, body=echo_page(*quoted), content_type="text/html")

    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Browse").first.click()
    page.locator(".sn-refresh").first.click()
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text("Could not load subprojects: 502", timeout=SLOW)
    expect(count).to_contain_text("Bad Gateway")  # the page's own words are shown ...
    expect(count).to_contain_text("***")  # ... with what it quoted masked

    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Edit").first.click()
    edit = page.locator(".sn-edit-form").first
    some_id = sandbox.subprojects()[0]["subprojectId"]
    edit.locator(".sn-edit-id input").fill(some_id)
    edit.locator(".sn-edit-open").click()
    status = edit.locator(".sn-edit-status")
    expect(status).to_contain_text(f"Could not open {some_id}: 502", timeout=SLOW)
    expect(status).to_contain_text("***")
    log = page.locator(".sn-log").first
    expect(log).to_contain_text("Could not load subprojects: 502")
    expect(page.locator(".sn-log .jp-OutputArea-output").first).to_contain_text("Could not open")
    assert sandbox.stats["responses"].get(502, 0) >= before + 2  # the pages were really sent
    screenshot(page, f"echo-{auth}-shown-masked")

    # -- saved with widget state: none of the quoted values anywhere -----------------------------
    save_notebook(page)
    wait_until(lambda: saved_widget_state(notebook), what="JupyterLab saved widget state")
    state = saved_widget_state(notebook)
    assert state, "JupyterLab saved no widget state: the checks below would prove nothing"
    text = notebook.read_text()
    assert "Could not load subprojects: 502" in text  # the error is in the saved state ...
    in_page = page_widget_state(page)
    assert in_page and set(state) <= set(in_page["state"])
    # ... without what the page quoted: not in the file, in the page's widgets, or the log of
    # the server (which also has its kernels' stderr)
    everything = text + json.dumps(in_page) + Path(echo_lab.log_path).read_text()
    for needle in [secret, basic, *tokens]:
        assert needle not in everything
    assert not re.search(r"[Bb]earer [A-Za-z0-9_\-]{20,}", everything)
    assert not re.search(r"Basic [A-Za-z0-9+/=]{20,}", everything)
