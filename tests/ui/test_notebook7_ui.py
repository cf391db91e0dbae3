"""The panel in Notebook 7 (`jupyter notebook`), in Chromium, used as a person would use it.

Notebook 7 is built from JupyterLab's parts but is its own front-end (its own shell, one
notebook per browser tab), so the panel is checked there too: connect through the form, browse
(rows shown, a header click sorts, a row click opens Edit), a grid edit in Bulk that plans and
applies, a delete that asks first (Cancel sends nothing, "Yes, delete it" deletes), the log's
newest entry on top, and a save with widget state that holds neither the secret nor a token.
The sandbox runs in this test process, so every change is checked on the server too.
"""

from __future__ import annotations

import json
import secrets
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
    axe_findings,
    grid_cell,
    grid_header,
    open_notebook,
    page_widget_state,
    run_all_cells,
    save_notebook,
    saved_widget_state,
    screenshot,
    set_theme,
    start_server,
    wait_for_grid_column,
    wait_until,
    write_notebook,
)

KEY_ID = "nb7-key-id"
PROJECT_ID = "nb7-project"
SLOW = 120_000  # ms


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """Notebook 7's server (`python -m notebook`), "save widget state" on."""
    server = start_server(tmp_path_factory.mktemp("notebook7"), app="notebook")
    try:
        server.set_setting(WIDGETS_PLUGIN, {"saveState": True})
        yield server
    finally:
        server.stop()


@pytest.fixture
def nb7_sandbox() -> Iterator[Sandbox]:
    secret = "nb7-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=60, seed=9
    ) as sb:
        yield sb


def server_row(sandbox: Sandbox, sid: str) -> dict[str, Any]:
    return next(sp for sp in sandbox.subprojects() if sp["subprojectId"] == sid)


def test_the_panel_in_notebook_7(
    page_on: Any, notebook7: JupyterLab, nb7_sandbox: Sandbox, axe_script: str
) -> None:
    page = page_on(notebook7)
    secret = nb7_sandbox.env()["SINCH_KEY_SECRET"]
    notebook = write_notebook(
        notebook7.root_dir / "panel-nb7.ipynb",
        [
            "from pathlib import Path\n"
            "import sinch_notebook as sn\n"
            "print('sinch_notebook from', Path(sn.__file__).parent)",
            f"panel = sn.panel(api_url={nb7_sandbox.url!r}, auth_url={nb7_sandbox.token_url!r})\n"
            "panel",
        ],
    )
    open_notebook(page, notebook7, notebook.name)
    assert page.locator("#main-panel .jp-NotebookPanel").count() == 1  # Notebook 7's shell
    assert "/notebooks/" in page.url
    run_all_cells(page, notebook.name)
    expect(page.locator(".jp-OutputArea-output").first).to_contain_text(
        f"sinch_notebook from {REPO_ROOT / 'sinch_notebook'}", timeout=SLOW
    )
    panel = page.locator(".sn-panel").first
    panel.wait_for(state="visible", timeout=SLOW)
    header = page.locator(".sn-header").first
    expect(header).to_contain_text("not connected")

    # -- connect through the form ---------------------------------------------------------------
    page.locator(".sn-key-id input").first.fill(KEY_ID)
    page.locator(".sn-project-id input").first.fill(PROJECT_ID)
    page.locator(".sn-key-secret input").first.fill(secret)
    page.locator(".sn-connect").first.click()
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        "token valid for", timeout=SLOW
    )
    expect(page.locator(".sn-key-secret input").first).to_have_value("")
    expect(header).to_contain_text(f"project {PROJECT_ID}")
    expect(header).to_contain_text("SANDBOX")
    log_top = page.locator(".sn-log .jp-OutputArea-output").first
    expect(log_top).to_contain_text("Loaded 60 subprojects", timeout=SLOW)

    # -- browse: rows shown, a header click sorts ----------------------------------------------
    alive = [sp for sp in nb7_sandbox.subprojects() if not sp["deleted"]]
    by_update = sorted(alive, key=lambda sp: sp["updateTime"], reverse=True)
    by_name = sorted(alive, key=lambda sp: (sp["displayName"].casefold(), sp["subprojectId"]))
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Browse").first.click()
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text(f"Showing {len(alive)} of {len(alive)}", timeout=SLOW)
    updated = [short_time(Subproject.from_api(sp).update_time) for sp in by_update[:8]]
    shown = wait_for_grid_column(page, "sn-browse-grid", "Updated", updated, timeout=SLOW)
    assert shown["rows"] == len(alive)
    grid = page.locator(".sn-browse-grid").first
    box = grid.bounding_box()
    assert box["height"] > 10 * 24  # rows on screen, not a sliver
    grid_header(page, "sn-browse-grid", "Name").click()
    expect(count).to_contain_text("sorted by Name, A–Z", timeout=SLOW)
    names = [sp["displayName"] for sp in by_name]
    wait_for_grid_column(page, "sn-browse-grid", "Name", names[:8], timeout=SLOW)
    expect(grid_header(page, "sn-browse-grid", "Name")).to_have_attribute("aria-sort", "ascending")
    screenshot(page, "nb7-01-browse-sorted")
    findings = axe_findings(page, axe_script, ".sn-panel")
    assert findings == [], json.dumps(findings, indent=1)
    set_theme(page, dark=True)
    screenshot(page, "nb7-01b-browse-dark")
    findings = axe_findings(page, axe_script, ".sn-panel")
    assert findings == [], json.dumps(findings, indent=1)
    set_theme(page, dark=False)

    # -- a row click opens Edit ------------------------------------------------------------------
    chosen = by_name[2]
    grid_cell(page, "sn-browse-grid", 2, "Name").click()  # the third row
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-name input")).to_have_value(chosen["displayName"], timeout=SLOW)
    expect(edit.locator(".sn-edit-id input")).to_have_value(chosen["subprojectId"])
    expect(edit.locator(".sn-edit-status")).to_contain_text("Opened", timeout=SLOW)
    screenshot(page, "nb7-02-row-opened-in-edit")

    # -- a grid edit in Bulk plans and applies ---------------------------------------------------
    target = by_name[0]
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Browse").first.click()
    page.locator(".sn-name-filter input").first.fill(target["subprojectId"])
    expect(count).to_contain_text("Showing 1 of", timeout=SLOW)
    page.locator(".sn-frame-name input").first.fill("one")
    page.locator(".sn-to-frame").first.click()
    expect(page.locator(".sn-browse-status").first).to_contain_text(
        "one = DataFrame of 1 row", timeout=SLOW
    )
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Bulk").first.click()
    bulk = page.locator(".sn-bulk-form").first
    bulk.locator(".sn-bulk-plan").click()
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("Nothing to apply", timeout=SLOW)
    wait_for_grid_column(page, "sn-edit-grid", "subprojectId", [target["subprojectId"]])
    grid_cell(page, "sn-edit-grid", 0, "displayName").dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("Renamed In Notebook 7")
    page.keyboard.press("Enter")
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("1 change planned", timeout=SLOW)
    expect(bulk.locator(".sn-bulk-plan-view")).to_contain_text("Renamed In Notebook 7")
    bulk.locator(".sn-bulk-apply").click()
    expect(bulk.locator(".sn-bulk-result")).to_contain_text("1 ok", timeout=SLOW)
    assert server_row(nb7_sandbox, target["subprojectId"])["displayName"] == (
        "Renamed In Notebook 7"
    )
    screenshot(page, "nb7-03-grid-edit-applied")

    # -- a delete asks first: Cancel sends nothing, Yes deletes ----------------------------------
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Edit").first.click()
    expect(edit.locator(".sn-edit-name input")).to_have_value(chosen["displayName"])
    edit.locator(".sn-edit-delete").click()
    question = edit.locator(".sn-edit-confirm-text")
    expect(question).to_contain_text(
        f"Delete '{chosen['displayName']}' ({chosen['subprojectId']})? There is no undelete."
    )
    screenshot(page, "nb7-04-delete-asks")
    requests_before = nb7_sandbox.stats["requests"]
    edit.locator(".sn-edit-cancel").click()
    expect(question).to_be_hidden()
    expect(edit.locator(".sn-edit-status")).to_contain_text("Not deleted")
    assert nb7_sandbox.stats["requests"] == requests_before
    assert not server_row(nb7_sandbox, chosen["subprojectId"])["deleted"]

    edit.locator(".sn-edit-delete").click()
    edit.locator(".sn-edit-confirm").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text(
        f"Deleted '{chosen['displayName']}'.", timeout=SLOW
    )
    assert server_row(nb7_sandbox, chosen["subprojectId"])["deleted"]
    expect(log_top).to_contain_text(
        f"Deleted {chosen['subprojectId']} ('{chosen['displayName']}')."
    )
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Browse").first.click()
    page.locator(".sn-clear-filters").first.click()
    expect(count).to_contain_text(f"Showing {len(alive) - 1} of {len(alive) - 1}", timeout=SLOW)
    now = sorted(
        (sp for sp in nb7_sandbox.subprojects() if not sp["deleted"]),
        key=lambda sp: (sp["displayName"].casefold(), sp["subprojectId"]),
    )
    assert chosen["subprojectId"] not in [sp["subprojectId"] for sp in now]
    ids = [sp["subprojectId"] for sp in now[:12]]
    wait_for_grid_column(page, "sn-browse-grid", "ID", ids, timeout=SLOW)  # none of the old rows
    screenshot(page, "nb7-05-deleted")

    # -- saved with widget state, no secret or token in it ---------------------------------------
    save_notebook(page)
    wait_until(lambda: saved_widget_state(notebook), what="Notebook 7 saved widget state")
    everything = notebook.read_text() + json.dumps(page_widget_state(page))
    assert "sn-panel" in everything and KEY_ID in everything
    assert secret not in everything
    tokens = nb7_sandbox.issued_tokens()
    assert tokens
    assert not [t for t in tokens if t in everything]
