"""The panel in real JupyterLab and Chromium, used as a person would use it.

The sandbox runs in this test process; the notebook's kernel knows only its URLs. The Key ID,
Key Secret and Project ID are typed into the panel. Then, with JupyterLab's "save widget state"
switched on, the saved .ipynb must hold the panel's widget state but neither the secret nor any
token the sandbox issued.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.sandbox import Sandbox

from .lab import (
    WIDGETS_PLUGIN,
    JupyterLab,
    open_notebook,
    run_all_cells,
    save_notebook,
    saved_widget_state,
    screenshot,
    write_notebook,
)

KEY_ID = "ui-key-id"
PROJECT_ID = "ui-project"
SLOW = 120_000  # ms: first kernel start and first widget render on a busy machine
HEADER = 24  # px: the grids' header and row heights (widgets/grid.py, widgets/editor.py)
ROW = 22


@pytest.fixture
def ui_sandbox() -> Iterator[Sandbox]:
    secret = "ui-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=150, seed=5
    ) as sb:
        sb.ui_secret = secret  # type: ignore[attr-defined]
        yield sb


def issued_tokens(sandbox: Sandbox) -> list[str]:
    """Every bearer token the sandbox handed out (server-side truth)."""
    return list(sandbox.accounts._tokens)


def tab(page: Any, title: str) -> None:
    page.locator(".sn-tabs .lm-TabBar-tab", has_text=title).first.click()


def settled(page: Any) -> None:
    """Wait until the panel's background job is done (its busy note in the header is gone)."""
    expect(page.locator(".sn-busy").first).to_have_text("", timeout=SLOW)


def test_connect_browse_create_edit_and_save_without_secrets(
    lab_page: Any, jupyter_lab: JupyterLab, ui_sandbox: Sandbox
) -> None:
    page = lab_page
    secret: str = ui_sandbox.ui_secret  # type: ignore[attr-defined]
    wrong = "wrong-" + secrets.token_urlsafe(12)
    started = time.monotonic()
    jupyter_lab.set_setting(WIDGETS_PLUGIN, {"saveState": True})
    notebook = write_notebook(
        jupyter_lab.root_dir / "panel.ipynb",
        [
            "import sinch_notebook as sn\n"
            f"panel = sn.panel(api_url={ui_sandbox.url!r}, auth_url={ui_sandbox.token_url!r})\n"
            "panel"
        ],
        markdown_first="# The Sinch panel",
    )

    # -- open and run the notebook ------------------------------------------------------------
    open_notebook(page, jupyter_lab, notebook.name)
    run_all_cells(page, notebook.name)
    panel = page.locator(".sn-panel").first
    panel.wait_for(state="visible", timeout=SLOW)
    expect(page.locator(".sn-header").first).to_contain_text("not connected")
    screenshot(page, "01-panel-shown")

    # -- a wrong secret: a message in the panel, the field emptied ------------------------------
    page.locator(".sn-key-id input").first.fill(KEY_ID)
    page.locator(".sn-project-id input").first.fill(PROJECT_ID)
    page.locator(".sn-key-secret input").first.fill(wrong)
    page.locator(".sn-connect").first.click()
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        "Could not connect", timeout=SLOW
    )
    expect(page.locator(".sn-connect-status").first).to_contain_text("401")
    expect(page.locator(".sn-key-secret input").first).to_have_value("")
    screenshot(page, "02-wrong-secret")

    # -- the right one --------------------------------------------------------------------------
    page.locator(".sn-key-secret input").first.fill(secret)
    page.locator(".sn-connect").first.click()
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        "token valid for", timeout=SLOW
    )
    expect(page.locator(".sn-connect-status").first).to_contain_text(PROJECT_ID)
    expect(page.locator(".sn-key-secret input").first).to_have_value("")
    expect(page.locator(".sn-header").first).to_contain_text("OAuth2")
    settled(page)
    screenshot(page, "03-connected")

    # -- browse: the grid, a header click sorts, the log shows the newest entry --------------
    alive = sorted(
        (sp for sp in ui_sandbox.subprojects() if not sp["deleted"]),
        key=lambda sp: (sp["displayName"].casefold(), sp["subprojectId"]),
    )
    tab(page, "Browse")
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text(f"Showing {len(alive)} of {len(alive)}", timeout=SLOW)
    expect(count).to_contain_text("sorted by Updated, newest first")
    grid = page.locator(".sn-browse-grid").first
    grid.wait_for(state="visible")
    page.wait_for_timeout(1000)  # the grid asks the kernel for the rows on screen
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 60, box["y"] + HEADER / 2)  # the "Name" header
    expect(count).to_contain_text("sorted by Name, A–Z", timeout=SLOW)
    expect(page.locator(".sn-log").first).to_contain_text("Loaded")
    settled(page)
    screenshot(page, "04-browse-sorted")

    # -- a row click opens it in Edit ------------------------------------------------------------
    page.mouse.click(box["x"] + 60, box["y"] + HEADER + ROW * 1.5)  # the second row
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-name input")).to_have_value(alive[1]["displayName"], timeout=SLOW)
    settled(page)
    screenshot(page, "05-row-opened-in-edit")

    # -- create one through the form ------------------------------------------------------------
    tab(page, "Create")
    form = page.locator(".sn-create-form").first
    expect(form.locator(".sn-create")).to_be_disabled()
    form.locator(".sn-create-name input").fill("x" * 256)
    expect(form.locator(".sn-create-name-error")).to_contain_text("1..255 characters")
    expect(form.locator(".sn-create")).to_be_disabled()
    form.locator(".sn-create-name input").fill("UI Made Customer")
    form.locator(".sn-add-label").click()
    form.locator(".sn-label-key input").first.fill("region")
    form.locator(".sn-label-value input").first.fill("eu-ui")
    expect(form.locator(".sn-create")).to_be_enabled()
    form.locator(".sn-create").click()
    expect(form.locator(".sn-create-status")).to_contain_text("Created", timeout=SLOW)
    made = [sp for sp in ui_sandbox.subprojects() if sp["displayName"] == "UI Made Customer"]
    assert len(made) == 1 and made[0]["labels"] == {"region": "eu-ui"}
    new_id = made[0]["subprojectId"]
    expect(form.locator(".sn-create-status")).to_contain_text(new_id)
    expect(page.locator(".sn-log").first).to_contain_text(f"as {new_id}")  # newest on top
    first_line = page.locator(".sn-log .jp-OutputArea-output").first
    expect(first_line).to_contain_text("Created 'UI Made Customer'")
    settled(page)

    # -- find it, open it with a click, edit a label, save ---------------------------------------
    tab(page, "Browse")
    page.locator(".sn-name-filter input").first.fill("UI Made")
    expect(count).to_contain_text("Showing 1 of")
    page.wait_for_timeout(800)
    page.mouse.click(box["x"] + 60, box["y"] + HEADER + ROW / 2)
    expect(edit.locator(".sn-edit-name input")).to_have_value("UI Made Customer", timeout=SLOW)
    expect(edit.locator(".sn-label-value input").first).to_have_value("eu-ui")
    edit.locator(".sn-label-value input").first.fill("eu-ui-edited")
    edit.locator(".sn-edit-save").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text("Saved the labels", timeout=SLOW)
    truth = next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)
    assert truth["labels"] == {"region": "eu-ui-edited"}
    settled(page)
    screenshot(page, "07-edited")

    # -- a delete asks first -----------------------------------------------------------------
    edit.locator(".sn-edit-delete").click()
    expect(edit.locator(".sn-edit-confirm-text")).to_contain_text("There is no undelete")
    edit.locator(".sn-edit-cancel").click()
    page.wait_for_timeout(500)
    assert not next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)[
        "deleted"
    ]
    screenshot(page, "07b-delete-cancelled")

    # -- a grid edit in Bulk plans and applies ---------------------------------------------------
    tab(page, "Browse")
    page.locator(".sn-frame-name input").first.fill("mine")
    page.locator(".sn-to-frame").first.click()
    expect(page.locator(".sn-browse-status").first).to_contain_text("mine = DataFrame of 1 row")
    tab(page, "Bulk")
    bulk = page.locator(".sn-bulk-form").first
    bulk.locator(".sn-bulk-plan").click()
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("Nothing to apply", timeout=SLOW)
    cells = bulk.locator(".sn-edit-grid").first
    page.wait_for_timeout(800)
    cbox = cells.bounding_box()
    name_cell = (cbox["x"] + 215 + 100, cbox["y"] + ROW + ROW / 2)  # displayName, row 1
    page.mouse.dblclick(*name_cell)
    page.keyboard.press("Control+A")
    page.keyboard.type("UI Grid Renamed")
    page.keyboard.press("Enter")
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("1 change planned", timeout=SLOW)
    expect(bulk.locator(".sn-bulk-plan-view")).to_contain_text("UI Grid Renamed")
    screenshot(page, "08-grid-edit-planned")
    bulk.locator(".sn-bulk-apply").click()
    expect(bulk.locator(".sn-bulk-result")).to_contain_text("1 ok", timeout=SLOW)
    truth = next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)
    assert truth["displayName"] == "UI Grid Renamed"
    settled(page)
    screenshot(page, "09-grid-edit-applied")

    # -- save with widget state; the file on disk has the state but no secret or token ----------
    save_notebook(page)
    deadline = time.monotonic() + 60
    while not saved_widget_state(notebook) and time.monotonic() < deadline:
        time.sleep(0.5)
    state = saved_widget_state(notebook)
    assert state, "JupyterLab saved no widget state: the secret check below would prove nothing"
    text = notebook.read_text()
    assert KEY_ID in text and "sn-panel" in text  # the panel's own widgets were saved
    assert "eu-ui-edited" in text
    assert secret not in text
    assert wrong not in text
    tokens = issued_tokens(ui_sandbox)
    assert tokens
    for token in tokens:
        assert token not in text
    assert not re.search(r"[Bb]earer [A-Za-z0-9_\-]{20,}", text)
    screenshot(page, "10-saved")
    print(f"\nUI scenario took {time.monotonic() - started:.1f} s")
