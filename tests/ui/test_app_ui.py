"""`sinch-notebook app` in Chromium: the panel alone as a web page, served by Voilà.

The app runs as a person starts it (`python -m sinch_notebook.cli app --no-browser --port N`);
the sandbox runs in this test process and the app is told only its URLs (SINCH_API_URL,
SINCH_AUTH_URL). The page must show
the panel (no code), connect with credentials typed into it, open a row in Edit, save a change
to the server, and plan and apply an uploaded edited CSV (the panel's own export format). No
message the kernel sends the page, nothing the page shows, and nothing the app's server logs may
hold the Key Secret or a token the sandbox issued.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.files import MAX_UPLOAD_BYTES
from sinch_notebook.frames import records_frame
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets.export import csv_bytes

from .lab import app_process, axe_findings, grid_cell, screenshot, wait_for_grid_column
from .test_panel_ui import KEY_ID, PROJECT_ID, SLOW, settled, tab

pytest.importorskip("voila")


@pytest.fixture
def app_sandbox() -> Iterator[Sandbox]:
    secret = "app-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=40, seed=11
    ) as sb:
        sb.ui_secret = secret  # type: ignore[attr-defined]
        yield sb


@pytest.fixture
def app_server(tmp_path: Path, app_sandbox: Sandbox) -> Iterator[dict[str, Any]]:
    """`sinch-notebook app` on a free port, told the sandbox's URLs (SINCH_API_URL,
    SINCH_AUTH_URL: no credential); its URL (with token) and its log file."""
    urls = {"SINCH_API_URL": app_sandbox.url, "SINCH_AUTH_URL": app_sandbox.token_url}
    with app_process(tmp_path, urls) as (process, log, url):
        with open(f"/proc/{process.pid}/cmdline", "rb") as cmdline:
            token = url.rsplit("=", 1)[1]
            assert token.encode() not in cmdline.read()  # never on a command line
        yield {"url": url, "log": log, "process": process, "token": token}


def test_the_app_serves_the_panel_that_edits_and_applies_an_uploaded_csv(
    page: Any, app_server: dict[str, Any], app_sandbox: Sandbox, tmp_path: Path, axe_script: str
) -> None:
    secret: str = app_sandbox.ui_secret  # type: ignore[attr-defined]
    from_kernel: list[str] = []

    def listen(ws: Any) -> None:
        ws.on("framereceived", lambda payload: from_kernel.append(str(payload)))

    page.on("websocket", listen)
    # A page that never sees ipydatagrid (as where it is not installed): its files are refused.
    refused: list[str] = []

    def refuse(route: Any) -> None:
        refused.append(route.request.url)
        route.abort()

    page.route("**/ipydatagrid/**", refuse)
    page.set_default_timeout(60_000)
    page.goto(app_server["url"])

    # -- the page is the panel, and no code ------------------------------------------------------
    page.locator(".sn-panel").first.wait_for(state="visible", timeout=SLOW)
    expect(page.locator(".jp-InputArea, .jp-CodeMirrorEditor")).to_have_count(0)
    expect(page.locator(".sn-header").first).to_contain_text("not connected")
    screenshot(page, "app-01-page")

    # -- connect by typing into the Connect form ---------------------------------------------------
    page.locator(".sn-key-id input").first.fill(KEY_ID)
    page.locator(".sn-project-id input").first.fill(PROJECT_ID)
    page.locator(".sn-key-secret input").first.fill(secret)
    page.locator(".sn-connect").first.click()
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        "token valid for", timeout=SLOW
    )
    expect(page.locator(".sn-key-secret input").first).to_have_value("")
    settled(page)

    # -- Browse: a row opens in Edit (a page that has never loaded ipydatagrid) ------------------
    tab(page, "Browse")
    alive = [sp for sp in app_sandbox.subprojects() if not sp["deleted"]]
    expect(page.locator(".sn-browse-count").first).to_contain_text(
        f"Showing {len(alive)} of {len(alive)}", timeout=SLOW
    )
    target = alive[3]
    page.locator(".sn-name-filter input").first.fill(target["subprojectId"])
    expect(page.locator(".sn-browse-count").first).to_contain_text("Showing 1 of", timeout=SLOW)
    wait_for_grid_column(page, "sn-browse-grid", "ID", [target["subprojectId"]], timeout=SLOW)
    # The grid only: under Voila's styles ipywidgets' own tab labels are too faint for axe.
    findings = axe_findings(page, axe_script, ".sn-browse-grid")
    assert findings == [], json.dumps(findings, indent=1)
    screenshot(page, "app-01b-browse")
    grid_cell(page, "sn-browse-grid", 0, "Name").click()
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-id input")).to_have_value(target["subprojectId"], timeout=SLOW)
    assert refused or "ipydatagrid" not in page.content()  # the refusal was put to the test
    settled(page)
    screenshot(page, "app-02-edit")

    # -- a save changes the server ----------------------------------------------------------------
    edit.locator(".sn-edit-name input").fill("Saved From The App")
    edit.locator(".sn-edit-save").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text("Saved", timeout=SLOW)
    server = {sp["subprojectId"]: sp for sp in app_sandbox.subprojects()}
    assert server[target["subprojectId"]]["displayName"] == "Saved From The App"
    settled(page)

    # -- an uploaded edited CSV (the export format) is planned and applied ------------------------
    other = alive[5]
    exported = records_frame([sp for sp in app_sandbox.subprojects() if sp is not None])
    edited = exported[exported["subprojectId"] == other["subprojectId"]].reset_index(drop=True)
    edited.loc[0, "displayName"] = "Renamed By Upload"
    upload = tmp_path / "edited.csv"
    upload.write_bytes(csv_bytes(edited))
    tab(page, "Bulk")
    bulk = page.locator(".sn-bulk-form").first
    # the package's upload button: a real <button> named by its description alone, pressed by
    # keyboard; it opens the browser's file chooser for the CSV and Excel files it accepts
    button = bulk.get_by_role("button", name="Upload CSV / Excel", exact=True)
    expect(bulk.locator(".sn-bulk-upload-frame input[type=file]")).to_have_attribute(
        "accept", ".csv,.xlsx"
    )
    with page.expect_file_chooser() as chooser:
        button.press("Enter")  # focuses it, then the key
    chooser.value.set_files(str(upload))
    expect(bulk.locator(".sn-bulk-picker-status")).to_contain_text(
        "edited.csv: 1 row loaded", timeout=SLOW
    )
    expect(button).to_have_text("Upload CSV / Excel")  # no count: never "(0)" after an upload
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("1 change planned", timeout=SLOW)
    expect(bulk.locator(".sn-bulk-plan-view")).to_contain_text("Renamed By Upload")
    screenshot(page, "app-03-upload-planned")
    bulk.locator(".sn-bulk-apply").click()
    expect(bulk.locator(".sn-bulk-result")).to_contain_text("1 ok", timeout=SLOW)
    server = {sp["subprojectId"]: sp for sp in app_sandbox.subprojects()}
    assert server[other["subprojectId"]]["displayName"] == "Renamed By Upload"
    settled(page)
    screenshot(page, "app-04-applied")

    # -- a file over 10 MiB (one websocket message's most) arrives whole, in parts: its rows are
    # read (and refused: too many); one over the upload limit is refused before it is sent -------
    status = bulk.locator(".sn-bulk-picker-status")
    many = tmp_path / "many.csv"
    many.write_text("subprojectId,displayName\n" + f"x,{'y' * 100}\n" * 110_000)
    assert many.stat().st_size > 10 * 1024 * 1024
    bulk.locator(".sn-bulk-upload-frame input[type=file]").set_input_files(str(many))
    too_many = "many.csv: an upload may have at most 100,000 rows"
    expect(status).to_contain_text(too_many, timeout=SLOW)
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as out:
        out.truncate(MAX_UPLOAD_BYTES + 1024 * 1024)
    bulk.locator(".sn-bulk-upload-frame input[type=file]").set_input_files(str(huge))
    expect(status).to_contain_text(
        "huge.csv: an upload may be at most 32 MiB, and this one is 33 MiB", timeout=SLOW
    )

    # -- no secret in what the kernel sent the page, the page itself, or the server's log ---------
    tokens = app_sandbox.issued_tokens()
    assert tokens, "the sandbox issued no token: the check below proves nothing"
    assert from_kernel, "no message from the kernel was seen: the check below proves nothing"
    received = "\n".join(from_kernel)
    shown = page.content()
    log = app_server["log"].read_text()
    for value in (secret, *tokens):
        assert value not in received, "a secret in a message from the kernel"
        assert value not in shown, "a secret in the page"
        assert value not in log, "a secret in the app's log"
    assert log.count(app_server["token"]) == 1  # only in the "Open ..." line printed for you
