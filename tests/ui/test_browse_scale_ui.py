"""Browse at 20,000 subprojects in real JupyterLab, judged from the page.

Typing in the name filter, Clear filters and a header sort each end with the page showing the
new count and the new first rows (read from the package's grid as the page draws it); and a row
clicked while a new view is being prepared opens the subproject that row showed when it was
clicked (the page names the view it drew the row from). The expected views come from the core's
rules (`widgets.page.reference_view`). Timings are the benchmark's (`benchmarks/panel_scale.py`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.filters import SubprojectFilter
from sinch_notebook.models import Subproject
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets.page import reference_view

from .lab import (
    JupyterLab,
    grid_cells,
    grid_header,
    open_notebook,
    run_all_cells,
    screenshot,
    write_notebook,
)

KEY_ID = "scale-key-id"
PROJECT_ID = "scale-project"
SUBPROJECTS = 20_000
SLOW = 180_000  # ms: the first kernel start and a 20,000-row load on a busy machine
FIRST = 3  # rows compared from the top

# One step in the page: the ID drawn in a row of the Browse grid, then a click on its Name cell
# (nothing can redraw the row in between).
_CLICK_ROW_JS = """([cls, row]) => {
    const grid = document.querySelector("." + cls + " .sn-dg-table");
    const titles = [...grid.querySelectorAll("thead th .sn-dg-title")].map(t => t.textContent);
    const tr = grid.querySelector(`tbody tr[data-row="${row}"]`);
    if (!tr) return null;
    const drawn = tr.children[titles.indexOf("ID")].textContent;
    tr.children[titles.indexOf("Name")].click();
    return drawn;
}"""


@pytest.fixture(scope="module")
def big_sandbox() -> Iterator[Sandbox]:
    secret = "scale-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID,
        key_secret=secret,
        project_id=PROJECT_ID,
        subprojects=SUBPROJECTS,
        seed=11,
    ) as sb:
        sb.ui_secret = secret  # type: ignore[attr-defined]
        yield sb


def shows(page: Any, expected: tuple[int, list[list[str]]], timeout: float = SLOW) -> None:
    """Until the page's count line and grid show the view: its count, its first rows."""
    count, first = expected
    expect(page.locator(".sn-browse-count").first).to_contain_text(
        f"Showing {count:,} of", timeout=timeout
    )
    deadline = time.monotonic() + timeout / 1000
    while True:
        drawn = grid_cells(page, "sn-browse-grid", FIRST)
        if drawn.get("rows") == count and drawn.get("cells") == first[:FIRST]:
            assert "Updating" not in page.locator(".sn-browse-count").first.inner_text()
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the grid shows {drawn}, not {count:,} rows from {first[:1]}")
        page.wait_for_timeout(100)


def test_browse_at_20000_shows_each_view_and_a_click_opens_the_row_drawn(
    lab_page: Any, jupyter_lab: JupyterLab, big_sandbox: Sandbox
) -> None:
    page = lab_page
    notebook = write_notebook(
        jupyter_lab.root_dir / "browse-scale.ipynb",
        [
            "import sinch_notebook as sn\n"
            f"panel = sn.panel(api_url={big_sandbox.url!r}, auth_url={big_sandbox.token_url!r})\n"
            "panel"
        ],
    )
    open_notebook(page, jupyter_lab, notebook.name)
    run_all_cells(page, notebook.name)
    page.locator(".sn-panel").first.wait_for(state="visible", timeout=SLOW)
    page.locator(".sn-key-id input").first.fill(KEY_ID)
    page.locator(".sn-project-id input").first.fill(PROJECT_ID)
    page.locator(".sn-key-secret input").first.fill(big_sandbox.ui_secret)  # type: ignore[attr-defined]
    page.locator(".sn-connect").first.click()
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Browse").first.click()

    records = [Subproject.from_api(r) for r in big_sandbox.subprojects()]

    def view(column: str = "Updated", descending: bool = True, **wanted: Any) -> Any:
        count, first = reference_view(records, SubprojectFilter(**wanted), column, descending)
        return count, [[str(v) for v in row] for row in first]

    shows(page, view())
    screenshot(page, "scale-01-loaded")

    # -- typing in the name filter, a key at a time -----------------------------------------
    name_filter = page.locator(".sn-name-filter input").first
    name_filter.click()
    name_filter.press_sequentially("ac", delay=40)
    shows(page, view(text="ac"))
    screenshot(page, "scale-02-typed")

    # -- Clear filters -------------------------------------------------------------------------
    page.locator(".sn-clear-filters").first.click()
    shows(page, view())

    # -- a header click sorts by Name ------------------------------------------------------------
    grid_header(page, "sn-browse-grid", "Name").click()
    shows(page, view("Name", False))
    screenshot(page, "scale-03-sorted")

    # -- a row clicked while the next view is prepared opens the row the page drew -------------
    name_filter.click()
    name_filter.press_sequentially("e", delay=0)  # a new view is prepared from here
    drawn = page.evaluate(_CLICK_ROW_JS, ["sn-browse-grid", 2])  # the third row
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-id input")).not_to_have_value("", timeout=SLOW)
    opened = edit.locator(".sn-edit-id input").input_value()
    assert drawn not in (None, "…")
    assert opened == drawn, f"opened {opened}, the page drew {drawn} in that row"
    screenshot(page, "scale-04-row-opened")
