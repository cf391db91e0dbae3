"""Browse at 20,000 subprojects in real JupyterLab, judged from the page.

Typing in the name filter, Clear filters and a header sort each end with the page showing the
new count and the new first rows (read from the canvas grid's model in the page, the one it is
painted from); and a row clicked while a new view is being prepared opens the subproject that
row showed when it was clicked. The expected views come from the core's rules
(`widgets.page.reference_view`). Timings are the benchmark's (`benchmarks/panel_scale.py`).
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
from sinch_notebook.widgets.grid import HEADER_HEIGHT as HEADER
from sinch_notebook.widgets.page import reference_view

from .lab import (
    JupyterLab,
    grid_cells,
    model_value,
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

# The ID the page draws in a row of the Browse grid, read from the grid's model in the page.
_DRAWN_ID_JS = """async ([cls, row]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    for (const cell of panel.content.widgets) {
        for (const out of (cell.outputArea ? cell.outputArea.widgets : [])) {
            for (const child of (out.widgets || [])) {
                if (!child._manager) continue;
                const manager = await child._manager.promise;
                for (const id of Object.keys(manager._models)) {
                    const model = await manager._models[id];
                    if (!(model.get("_dom_classes") || []).includes(cls)) continue;
                    const dm = model.data_model;
                    for (let c = 0; c < dm.columnCount("body"); c++) {
                        if (dm.metadata("body", 0, c).name === "ID") return dm.data("body", row, c);
                    }
                }
            }
        }
    }
    return null;
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
    grid = page.locator(".sn-browse-grid").first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 60, box["y"] + HEADER / 2)  # the "Name" header
    shows(page, view("Name", False))
    screenshot(page, "scale-03-sorted")

    # -- a row clicked while the next view is prepared opens the row the page drew -------------
    row = model_value(page, "sn-browse-grid", "base_row_size")
    y = box["y"] + HEADER + row * 2.5  # the third row
    name_filter.click()
    name_filter.press_sequentially("e", delay=0)  # a new view is prepared from here
    drawn = page.evaluate(_DRAWN_ID_JS, ["sn-browse-grid", 2])
    page.mouse.click(box["x"] + 60, y)
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-id input")).not_to_have_value("", timeout=SLOW)
    opened = edit.locator(".sn-edit-id input").input_value()
    assert drawn not in (None, "...")
    assert opened == drawn, f"opened {opened}, the page drew {drawn} in that row"
    screenshot(page, "scale-04-row-opened")
