"""The panel where ipydatagrid's front-end cannot render (Colab, VS Code without its setting).

In real JupyterLab and Chromium, with every file of ipydatagrid's labextension refused by the
browser (`page.route` aborts them), so its grids cannot render. The panel must notice from the
kernel and show HTML tables instead, and still browse (sort, page), open a row in Edit and plan
a bulk edit, all with buttons.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.sandbox import Sandbox

from .lab import JupyterLab, open_notebook, run_all_cells, screenshot, write_notebook
from .test_panel_ui import (
    KEY_ID,
    PROJECT_ID,
    SLOW,
    WHERE_FROM,
    kernel_imports_this_checkout,
    settled,
    tab,
)

GRID_FILES = "**/extensions/ipydatagrid/**"  # the labextension's JavaScript


@pytest.fixture
def fallback_sandbox() -> Iterator[Sandbox]:
    secret = "ui-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=90, seed=8
    ) as sb:
        sb.ui_secret = secret  # type: ignore[attr-defined]
        yield sb


def test_the_panel_falls_back_to_html_tables_when_the_grid_cannot_render(
    lab_page: Any, jupyter_lab: JupyterLab, fallback_sandbox: Sandbox
) -> None:
    page = lab_page
    blocked: list[str] = []

    def refuse(route: Any) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route(GRID_FILES, refuse)
    notebook = write_notebook(
        jupyter_lab.root_dir / "fallback.ipynb",
        [
            WHERE_FROM,
            f"panel = sn.panel(api_url={fallback_sandbox.url!r}, "
            f"auth_url={fallback_sandbox.token_url!r})\npanel",
        ],
    )
    open_notebook(page, jupyter_lab, notebook.name)
    run_all_cells(page, notebook.name)
    kernel_imports_this_checkout(page)
    page.locator(".sn-panel").first.wait_for(state="visible", timeout=SLOW)
    page.locator(".sn-key-id input").first.fill(KEY_ID)
    page.locator(".sn-project-id input").first.fill(PROJECT_ID)
    page.locator(".sn-key-secret input").first.fill(fallback_sandbox.ui_secret)  # type: ignore[attr-defined]
    page.locator(".sn-connect").first.click()
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        "token valid for", timeout=SLOW
    )
    settled(page)
    tab(page, "Browse")

    # -- the kernel notices the grid never rendered, and switches to HTML tables -----------------
    html_grid = page.locator(".sn-html-grid").first
    html_grid.wait_for(state="visible", timeout=SLOW)
    assert blocked, "ipydatagrid's files were never asked for: the block proved nothing"
    expect(page.locator(".sn-browse-grid")).to_have_count(0)
    expect(page.locator(".sn-log").first).to_contain_text("did not render")
    alive = [sp for sp in fallback_sandbox.subprojects() if not sp["deleted"]]
    by_name = sorted(alive, key=lambda sp: (sp["displayName"].casefold(), sp["subprojectId"]))
    expect(html_grid.locator(".sn-html-page")).to_contain_text(f"rows 1–20 of {len(alive)}")
    expect(html_grid.locator(".sn-html-line")).to_have_count(20)
    screenshot(page, "fallback-01-html-grid")

    # -- sort and page with buttons ---------------------------------------------------------------
    html_grid.locator(".sn-html-sort", has_text="Name").click()
    expect(html_grid.locator(".sn-html-sort", has_text="Name")).to_have_text("Name ▲")
    expect(page.locator(".sn-browse-count").first).to_contain_text("sorted by Name, A–Z")
    first_row = html_grid.locator(".sn-html-row").first
    expect(first_row).to_contain_text(by_name[0]["subprojectId"], timeout=SLOW)
    html_grid.locator(".sn-html-next").click()
    expect(html_grid.locator(".sn-html-page")).to_contain_text("rows 21–40")
    expect(first_row).to_contain_text(by_name[20]["subprojectId"], timeout=SLOW)

    # -- a row's Edit button opens it in Edit ------------------------------------------------------
    html_grid.locator(".sn-html-open").nth(1).click()
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-id input")).to_have_value(
        by_name[21]["subprojectId"], timeout=SLOW
    )
    expect(edit.locator(".sn-edit-name input")).to_have_value(by_name[21]["displayName"])
    settled(page)
    screenshot(page, "fallback-02-edit")

    # -- a bulk edit planned through the HTML frame view -----------------------------------------
    tab(page, "Browse")
    page.locator(".sn-name-filter input").first.fill(by_name[0]["subprojectId"])
    expect(page.locator(".sn-browse-count").first).to_contain_text("Showing 1 of", timeout=SLOW)
    page.locator(".sn-to-frame").first.click()
    expect(page.locator(".sn-browse-status").first).to_contain_text(
        "subprojects_df = DataFrame of 1 row", timeout=SLOW
    )
    tab(page, "Bulk")
    bulk = page.locator(".sn-bulk-form").first
    bulk.locator(".sn-bulk-plan").click()
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("Nothing to apply", timeout=SLOW)
    frame_view = bulk.locator(".sn-html-frame-view")
    expect(frame_view.locator(".sn-html-frame")).to_contain_text(by_name[0]["subprojectId"])
    frame_view.locator(".sn-html-cell-column select").select_option("displayName")
    frame_view.locator(".sn-html-cell-value input").fill("Renamed Without Grid")
    frame_view.locator(".sn-html-cell-set").click()
    expect(bulk.locator(".sn-bulk-status")).to_contain_text("1 change planned", timeout=SLOW)
    expect(bulk.locator(".sn-bulk-plan-view")).to_contain_text("Renamed Without Grid")
    expect(frame_view.locator(".sn-html-frame")).to_contain_text("Renamed Without Grid")
    screenshot(page, "fallback-03-bulk-planned")
    assert not any(re.search(r"sn-edit-grid", u) for u in blocked)
