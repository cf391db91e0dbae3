"""The panel in real JupyterLab and Chromium, used as a person would use it.

The sandbox runs in this test process; the notebook's kernel knows only its URLs. The Key ID,
Key Secret and Project ID are typed into the panel. Then it is used as issue 13 lists: a header
click sorts (the grid shows the rows in the new order), a row click opens Edit, a create, a
save, a delete that asks first (Cancel sends nothing, "Yes, delete it" deletes), a grid edit in
Bulk that plans and applies, the log's newest entry on top. Last, with JupyterLab's "save
widget state" switched on, the saved .ipynb must hold the panel's widget state (a bounded
amount: no rows of the Browse grid) but neither the secret nor any token the sandbox issued.

What the grids show is read from the page (lab.grid_cells); headers and rows are clicked
where they are (lab.grid_header, lab.grid_cell).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.display import short_time
from sinch_notebook.models import Subproject
from sinch_notebook.sandbox import Sandbox

from .lab import (
    REPO_ROOT,
    WIDGETS_PLUGIN,
    JupyterLab,
    grid_cell,
    grid_header,
    open_notebook,
    page_widget_state,
    run_all_cells,
    save_notebook,
    saved_widget_state,
    screenshot,
    wait_for_grid_column,
    wait_until,
    write_notebook,
)

KEY_ID = "ui-key-id"
PROJECT_ID = "ui-project"
SLOW = 120_000  # ms: first kernel start and first widget render on a busy machine


@pytest.fixture
def ui_sandbox() -> Iterator[Sandbox]:
    secret = "ui-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=150, seed=5
    ) as sb:
        sb.ui_secret = secret  # type: ignore[attr-defined]
        yield sb


def tab(page: Any, title: str) -> None:
    page.locator(".sn-tabs .lm-TabBar-tab", has_text=title).first.click()


def settled(page: Any) -> None:
    """Wait until the panel's background job is done (its busy note in the header is gone)."""
    expect(page.locator(".sn-busy").first).to_have_text("", timeout=SLOW)


def newest_log_entry(page: Any) -> Any:
    return page.locator(".sn-log .jp-OutputArea-output").first


def kernel_imports_this_checkout(page: Any) -> None:
    """The notebook's first output says where its kernel imported sinch_notebook from."""
    expect(page.locator(".jp-OutputArea-output").first).to_contain_text(
        f"sinch_notebook from {REPO_ROOT / 'sinch_notebook'}", timeout=SLOW
    )


WHERE_FROM = (
    "from pathlib import Path\n"
    "import sinch_notebook as sn\n"
    "print('sinch_notebook from', Path(sn.__file__).parent)"
)


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
            WHERE_FROM,
            f"panel = sn.panel(api_url={ui_sandbox.url!r}, auth_url={ui_sandbox.token_url!r})\n"
            "panel",
        ],
        markdown_first="# The Sinch panel",
    )

    # -- open and run the notebook ------------------------------------------------------------
    open_notebook(page, jupyter_lab, notebook.name)
    run_all_cells(page, notebook.name)
    kernel_imports_this_checkout(page)
    panel = page.locator(".sn-panel").first
    panel.wait_for(state="visible", timeout=SLOW)
    expect(page.locator(".sn-header").first).to_contain_text("not connected")
    screenshot(page, "01-panel-shown")
    # the tab strip reaches the panel's right edge, as the box below it does (issue 33)
    strip = page.locator(".sn-tabs > .lm-TabBar").first.bounding_box()
    last = page.locator(".sn-tabs .lm-TabBar-tab").last.bounding_box()
    assert strip is not None and last is not None
    assert abs((last["x"] + last["width"]) - (strip["x"] + strip["width"])) <= 2, (strip, last)

    # -- a wrong secret: a message in the panel, the field emptied ------------------------------
    page.locator(".sn-key-id input").first.fill(KEY_ID)
    page.locator(".sn-project-id input").first.fill(PROJECT_ID)
    page.locator(".sn-key-secret input").first.fill(wrong)
    page.locator(".sn-connect").first.click()
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        f"The Key Secret is not right for Key ID '{KEY_ID}'", timeout=SLOW
    )
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

    # -- browse: the grid shows rows; a header click sorts them; the newest log entry on top --
    alive = [sp for sp in ui_sandbox.subprojects() if not sp["deleted"]]
    by_update = sorted(alive, key=lambda sp: sp["updateTime"], reverse=True)
    by_name = sorted(alive, key=lambda sp: (sp["displayName"].casefold(), sp["subprojectId"]))
    tab(page, "Browse")
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text(f"Showing {len(alive)} of {len(alive)}", timeout=SLOW)
    expect(count).to_contain_text("sorted by Updated, newest first")
    grid = page.locator(".sn-browse-grid").first
    grid.wait_for(state="visible")
    # The rows on screen arrive from the kernel: the grid shows them, newest update first.
    updated = [short_time(Subproject.from_api(sp).update_time) for sp in by_update[:8]]
    shown = wait_for_grid_column(page, "sn-browse-grid", "Updated", updated, timeout=SLOW)
    assert shown["rows"] == len(alive)
    expect(newest_log_entry(page)).to_contain_text(f"Loaded {len(ui_sandbox.subprojects())}")
    grid_header(page, "sn-browse-grid", "Name").click()
    expect(count).to_contain_text("sorted by Name, A–Z", timeout=SLOW)
    wait_for_grid_column(page, "sn-browse-grid", "Name", names(by_name[:8]), timeout=SLOW)
    expect(grid_header(page, "sn-browse-grid", "Name")).to_have_attribute("aria-sort", "ascending")
    grid_header(page, "sn-browse-grid", "Name").click()  # again: Z–A
    expect(count).to_contain_text("sorted by Name, Z–A", timeout=SLOW)
    wait_for_grid_column(page, "sn-browse-grid", "Name", names(by_name[::-1][:8]), timeout=SLOW)
    grid_header(page, "sn-browse-grid", "Name").click()
    wait_for_grid_column(page, "sn-browse-grid", "Name", names(by_name[:8]), timeout=SLOW)
    settled(page)
    screenshot(page, "04-browse-sorted")

    # -- a row click opens it in Edit ------------------------------------------------------------
    grid_cell(page, "sn-browse-grid", 1, "Name").click()  # the 2nd row
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-name input")).to_have_value(
        by_name[1]["displayName"], timeout=SLOW
    )
    expect(edit.locator(".sn-edit-id input")).to_have_value(by_name[1]["subprojectId"])
    expect(page.locator(".sn-tabs .lm-TabBar-tab.lm-mod-current").first).to_have_text("Edit")
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
    expect(newest_log_entry(page)).to_contain_text(f"Created 'UI Made Customer' as {new_id}")
    settled(page)

    # -- find it, open it with a click, edit a label, save ---------------------------------------
    tab(page, "Browse")
    page.locator(".sn-name-filter input").first.fill("UI Made")
    expect(count).to_contain_text("Showing 1 of")
    wait_for_grid_column(page, "sn-browse-grid", "ID", [new_id], timeout=SLOW)
    grid_cell(page, "sn-browse-grid", 0, "Name").click()
    expect(edit.locator(".sn-edit-name input")).to_have_value("UI Made Customer", timeout=SLOW)
    expect(edit.locator(".sn-label-value input").first).to_have_value("eu-ui")
    edit.locator(".sn-label-value input").first.fill("eu-ui-edited")
    edit.locator(".sn-edit-save").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text("Saved the labels", timeout=SLOW)
    truth = next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)
    assert truth["labels"] == {"region": "eu-ui-edited"}
    expect(newest_log_entry(page)).to_contain_text(f"Saved {new_id} (labels).")
    settled(page)
    screenshot(page, "07-edited")

    # -- a delete asks first -----------------------------------------------------------------
    edit.locator(".sn-edit-delete").click()
    expect(edit.locator(".sn-edit-confirm-text")).to_contain_text("There is no undelete")
    screenshot(page, "07a-delete-asks")
    requests_before = ui_sandbox.stats["requests"]
    edit.locator(".sn-edit-cancel").click()
    expect(edit.locator(".sn-edit-confirm-text")).to_be_hidden()
    settled(page)
    assert ui_sandbox.stats["requests"] == requests_before  # Cancel sent nothing
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
    wait_for_grid_column(page, "sn-edit-grid", "subprojectId", [new_id], timeout=SLOW)
    grid_cell(page, "sn-edit-grid", 0, "displayName").dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("UI Grid Renamed")
    page.keyboard.press("Enter")
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("1 change planned", timeout=SLOW)
    expect(bulk.locator(".sn-bulk-plan-view")).to_contain_text("UI Grid Renamed")
    wait_for_grid_column(page, "sn-edit-grid", "displayName", ["UI Grid Renamed"])
    screenshot(page, "08-grid-edit-planned")
    bulk.locator(".sn-bulk-apply").click()
    expect(bulk.locator(".sn-bulk-result")).to_contain_text("1 ok", timeout=SLOW)
    truth = next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)
    assert truth["displayName"] == "UI Grid Renamed"
    expect(page.locator(".sn-log").first).to_contain_text("result in mine_result")
    settled(page)
    screenshot(page, "09-grid-edit-applied")

    # -- Browse shows the rename; a delete ticked in the Bulk grid asks first too ---------------
    tab(page, "Browse")
    page.locator(".sn-name-filter input").first.fill("UI Grid")
    wait_for_grid_column(page, "sn-browse-grid", "Name", ["UI Grid Renamed"], timeout=SLOW)
    page.locator(".sn-frame-name input").first.fill("again")
    page.locator(".sn-to-frame").first.click()
    expect(page.locator(".sn-browse-status").first).to_contain_text(
        "again = DataFrame of 1 row", timeout=SLOW
    )
    tab(page, "Bulk")
    expect(bulk.locator(".sn-bulk-variable select")).to_have_value("again")
    bulk.locator(".sn-bulk-plan").click()
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("Nothing to apply", timeout=SLOW)
    wait_for_grid_column(page, "sn-edit-grid", "displayName", ["UI Grid Renamed"])
    grid_cell(page, "sn-edit-grid", 0, "delete").dblclick()
    page.keyboard.type("true")
    page.keyboard.press("Enter")
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("1 change planned", timeout=SLOW)
    expect(bulk.locator(".sn-bulk-plan-view")).to_contain_text("1 to delete")
    bulk.locator(".sn-bulk-apply").click()
    expect(bulk.locator(".sn-bulk-confirm-text")).to_contain_text(
        "Apply 1 change, including 1 delete (there is no undelete)?"
    )
    expect(bulk.locator(".sn-bulk-confirm")).to_have_text("Yes, delete 1")
    screenshot(page, "09a-bulk-delete-asks")
    requests_before = ui_sandbox.stats["requests"]
    bulk.locator(".sn-bulk-cancel").click()
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("Not applied: nothing was sent.")
    expect(newest_log_entry(page)).to_contain_text("Apply cancelled: nothing was sent.")
    assert ui_sandbox.stats["requests"] == requests_before
    assert not next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)[
        "deleted"
    ]

    # -- open it from Browse, and this time confirm the delete in Edit --------------------------
    tab(page, "Browse")
    wait_for_grid_column(page, "sn-browse-grid", "Name", ["UI Grid Renamed"], timeout=SLOW)
    grid_cell(page, "sn-browse-grid", 0, "Name").click()
    expect(edit.locator(".sn-edit-name input")).to_have_value("UI Grid Renamed", timeout=SLOW)
    settled(page)
    edit.locator(".sn-edit-delete").click()
    expect(edit.locator(".sn-edit-confirm-text")).to_contain_text(
        f"Delete 'UI Grid Renamed' ({new_id})? There is no undelete."
    )
    edit.locator(".sn-edit-confirm").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text(
        "Deleted 'UI Grid Renamed'.", timeout=SLOW
    )
    assert next(sp for sp in ui_sandbox.subprojects() if sp["subprojectId"] == new_id)["deleted"]
    expect(newest_log_entry(page)).to_contain_text(f"Deleted {new_id} ('UI Grid Renamed').")
    settled(page)
    screenshot(page, "09b-deleted")

    # -- save with widget state; the file on disk has the state but no secret or token ----------
    save_notebook(page)
    wait_until(lambda: saved_widget_state(notebook), timeout=60)
    state = saved_widget_state(notebook)
    text = notebook.read_text()
    assert KEY_ID in text and "sn-panel" in text  # the panel's own widgets were saved
    assert "eu-ui-edited" in text
    grids = [m for m in state.values() if "sn-browse-grid" in m["state"].get("_dom_classes", [])]
    assert len(grids) == 1, "the Browse grid's model is in the saved state"
    assert {"count", "columns"} <= set(grids[0]["state"]) and "rows" not in grids[0]["state"]
    # Bounded: the Browse grid saves its columns, not its rows (only what a form shows is there).
    never_opened = [sp["subprojectId"] for sp in by_name[2:] if sp["subprojectId"] != new_id]
    assert not [sid for sid in never_opened if sid in text]
    assert len(text) < 400_000, len(text)
    in_page = page_widget_state(page)
    assert in_page and set(state) <= set(in_page["state"])  # every live model was saved
    everything = text + json.dumps(in_page)
    assert secret not in everything
    assert wrong not in everything
    tokens = ui_sandbox.issued_tokens()
    assert tokens
    for token in tokens:
        assert token not in everything
    assert not re.search(r"[Bb]earer [A-Za-z0-9_\-]{20,}", everything)
    screenshot(page, "10-saved")
    print(f"\nUI scenario took {time.monotonic() - started:.1f} s, saved {len(text):,} bytes")


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [sp["displayName"] for sp in rows]
