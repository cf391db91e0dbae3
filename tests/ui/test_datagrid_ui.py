"""The package's own grid (widgets/datagrid) in real JupyterLab and Chromium.

Keyboard only: Connect, Browse, a row opened with Enter, Edit, Save, with no mouse event at all
(the page gets key presses only). Then the grid as it looks and reads: axe-core (the browser's
accessibility checker, installed from npm into a cache the test makes) finds nothing serious or
critical; the table's semantics (caption, th scope, aria-sort with its arrow, aria-rowcount and
aria-rowindex); a four-line label set shown whole in a grid as tall as its rows; scrolling to the
last of 2,000 rows (the page holds only a window); a Bulk cell typed in, refused by the kernel
with the reason at the cell, then kept; and screenshots in the light and the dark theme.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from sinch_notebook.sandbox import Sandbox

from .lab import (
    JupyterLab,
    axe_findings,
    open_notebook,
    run_all_cells,
    screenshot,
    set_theme,
    wait_until,
    write_notebook,
)

KEY_ID = "grid-key-id"
PROJECT_ID = "grid-project"
SLOW = 120_000  # ms
LABELS = {  # wraps onto four lines in the Labels column: shown whole, never cut
    "region": "eu-central-frankfurt",
    "tier": "enterprise-platinum",
    "owner": "platform-operations-team",
    "cost-centre": "cc-000123-shared-services",
    "environment": "production-primary",
    "contract": "msa-2026-renewal-pending",
}


@pytest.fixture
def grid_sandbox() -> Iterator[Sandbox]:
    secret = "grid-secret-" + secrets.token_urlsafe(18)
    with Sandbox(
        key_id=KEY_ID, key_secret=secret, project_id=PROJECT_ID, subprojects=2_000, seed=11
    ) as sb:
        sb.connect(activate=False).create("Aardvark Labels Ltd", labels=LABELS)
        yield sb


def focused(page: Any) -> str:
    """The focused element, as a short description (tag, classes, text)."""
    return page.evaluate(
        """() => { const e = document.activeElement; if (!e) return "";
        const box = e.closest("[class*='sn-']"); return e.tagName + " " +
        (box ? box.className : "") + " " + (e.getAttribute("aria-label") || e.textContent || "")
        .slice(0, 60); }"""
    )


def tab_to(page: Any, selector: str, *, most: int = 400, back: bool = False) -> None:
    """Press Tab (Shift+Tab with `back`) until the focus is inside `selector`."""
    inside = f"() => !!(document.activeElement && document.activeElement.closest({selector!r}))"
    for _ in range(most):
        if page.evaluate(inside):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached {selector}; the focus is on {focused(page)}")


def type_into(page: Any, selector: str, text: str, *, check: bool = True) -> None:
    """Tab to the field `selector` and type `text` (again, whole, if the field did not get it
    all: a kernel's answer to an earlier keystroke can land while typing)."""
    field = page.locator(f"{selector} input").first
    for _ in range(3):
        tab_to(page, selector)
        page.keyboard.press("Control+A")
        page.keyboard.type(text, delay=20)
        page.wait_for_timeout(300)
        if not check or field.input_value() == text:
            return
    raise AssertionError(f"{selector} holds {field.input_value()!r}, not {text!r}")


def no_mouse(page: Any) -> None:
    """Count every mouse event the page sees (the keyboard test must see none)."""
    page.evaluate(
        """() => { window.snMouse = 0; for (const t of ["mousedown", "click", "pointerdown"]) {
        document.addEventListener(t, (e) => { if (e.detail > 0 || e.pointerType) {
        window.snMouse += 1; } }, true); } }"""
    )


def test_the_grid_by_keyboard_alone_connect_browse_open_edit_save(
    page_on: Any, jupyter_lab: JupyterLab, grid_sandbox: Sandbox
) -> None:
    page = page_on(jupyter_lab)
    secret = grid_sandbox.env()["SINCH_KEY_SECRET"]
    notebook = write_notebook(
        jupyter_lab.root_dir / "grid-keyboard.ipynb",
        [
            "import sinch_notebook as sn\n"
            f"panel = sn.panel(api_url={grid_sandbox.url!r}, auth_url={grid_sandbox.token_url!r})"
            "\npanel",
        ],
    )
    open_notebook(page, jupyter_lab, notebook.name)
    run_all_cells(page, notebook.name)
    page.locator(".sn-panel").first.wait_for(state="visible", timeout=SLOW)
    no_mouse(page)

    # -- Connect: fields typed, the button pressed with Enter ------------------------------------
    page.keyboard.press("Escape")  # the notebook in command mode: Tab walks the page
    type_into(page, ".sn-key-id", KEY_ID)
    type_into(page, ".sn-project-id", PROJECT_ID)
    type_into(page, ".sn-key-secret", secret, check=False)  # the kernel empties it once read
    tab_to(page, ".sn-connect")
    page.keyboard.press("Enter")
    expect(page.locator(".sn-connect-status").first).to_contain_text(
        "token valid for", timeout=SLOW
    )
    expect(page.locator(".sn-log").first).to_contain_text("Loaded 2,001 subprojects", timeout=SLOW)

    # -- Browse: the tab bar by arrow keys, then into the grid ----------------------------------
    tab_to(page, ".sn-tabs .lm-TabBar-tab", back=True)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text("Showing", timeout=SLOW)
    grid = page.locator(".sn-browse-grid").first
    expect(grid.locator("tbody tr[data-row]:not([aria-busy])").first).to_be_visible(timeout=SLOW)
    tab_to(page, ".sn-browse-grid")
    assert page.evaluate("() => document.activeElement.closest('th') !== null"), focused(page)
    page.keyboard.press("ArrowRight")  # the Labels header
    page.keyboard.press("ArrowLeft")  # back to Name
    page.keyboard.press("Enter")  # sort by Name, A-Z
    expect(grid.locator('th[aria-sort="ascending"]')).to_contain_text("Name")
    expect(grid.locator('th[aria-sort="ascending"] .sn-dg-arrow')).to_have_text("▲")
    expect(grid.locator("tbody tr[data-row='0'] td").first).to_have_text(
        "Aardvark Labels Ltd", timeout=SLOW
    )
    page.keyboard.press("ArrowDown")  # row 1: the first subproject
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.closest('tr').dataset.row") == "0"
    in_grid = "() => !!document.activeElement.closest('.sn-browse-grid')"
    page.keyboard.press("Tab")  # one stop in the tab order: Tab leaves the grid
    assert not page.evaluate(in_grid), focused(page)
    page.keyboard.press("Shift+Tab")  # and comes back to the cell it left
    assert page.evaluate("() => document.activeElement.closest('tr').dataset.row") == "0"
    page.keyboard.press("Enter")  # opens it in Edit

    # -- Edit: the name changed and saved -------------------------------------------------------
    name = page.locator(".sn-edit-name input").first
    expect(name).to_have_value("Aardvark Labels Ltd", timeout=SLOW)
    type_into(page, ".sn-edit-name", "Aardvark Keyboard Ltd")
    tab_to(page, ".sn-edit-save")
    page.keyboard.press("Enter")
    expect(page.locator(".sn-edit-status").first).to_contain_text("Saved", timeout=SLOW)
    names = {sp["displayName"] for sp in grid_sandbox.subprojects()}
    assert "Aardvark Keyboard Ltd" in names and "Aardvark Labels Ltd" not in names
    assert page.evaluate("() => window.snMouse") == 0  # not one mouse event
    screenshot(page, "datagrid-keyboard-saved")


def test_the_grid_reads_well_light_and_dark_and_holds_only_a_window(
    page_on: Any, jupyter_lab: JupyterLab, grid_sandbox: Sandbox, axe_script: str
) -> None:
    page = page_on(jupyter_lab)
    env = grid_sandbox.env()
    notebook = write_notebook(
        jupyter_lab.root_dir / "grid-look.ipynb",
        [
            "import sinch_notebook as sn\n"
            f"client = sn.connect(key_id={KEY_ID!r}, key_secret={env['SINCH_KEY_SECRET']!r}, "
            f"project_id={PROJECT_ID!r}, api_url={grid_sandbox.url!r}, "
            f"auth_url={grid_sandbox.token_url!r})\n"
            "panel = sn.panel()\n"
            "panel",
            "df = client.frame().head(3)\neditor = sn.edit(df)\neditor",
        ],
    )
    open_notebook(page, jupyter_lab, notebook.name)
    set_theme(page, dark=False)
    run_all_cells(page, notebook.name)
    page.locator(".sn-panel").first.wait_for(state="visible", timeout=SLOW)
    expect(page.locator(".sn-log").first).to_contain_text("Loaded 2,001 subprojects", timeout=SLOW)
    page.locator(".sn-tabs .lm-TabBar-tab", has_text="Browse").first.click()
    grid = page.locator(".sn-browse-grid").first
    table = grid.locator("table")
    expect(grid.locator("tbody tr[data-row]:not([aria-busy])").first).to_be_visible(timeout=SLOW)

    # -- a real table: caption, column headers, the sort, the rows of the window ----------------
    alive = sum(not sp["deleted"] for sp in grid_sandbox.subprojects())
    expect(table).to_have_attribute("aria-rowcount", str(alive + 1))  # the rows + the header
    expect(table.locator("caption")).to_contain_text("sorted by Updated, newest first")
    assert table.locator('th[scope="col"]').count() == 5
    expect(table.locator('th[aria-sort="descending"]')).to_contain_text("Updated")
    expect(table.locator('th[aria-sort="descending"] .sn-dg-arrow')).to_have_text("▼")
    expect(table.locator("th[aria-sort]")).to_have_count(1)
    drawn = table.locator("tbody tr[data-row]").count()
    assert 20 <= drawn <= 60, drawn  # the rows in view and a margin, not 2,000
    expect(table.locator("tbody tr[data-row]").first).to_have_attribute("aria-rowindex", "2")

    # -- Name sorted: the four-line label set whole, in a grid as tall as its rows ---------------
    grid.locator("th", has_text="Name").locator("button").click()
    first = table.locator("tbody tr[data-row='0']")
    expect(first.locator("td").first).to_have_text("Aardvark Labels Ltd", timeout=SLOW)
    labels = first.locator("td").nth(1)
    expect(labels).to_contain_text("contract=msa-2026-renewal-pending")
    # The columns settle once the page has measured them: wait for the row's final layout.
    wrapped = "(td) => td.getBoundingClientRect().height > 40"
    deadline = time.monotonic() + 15
    while not labels.evaluate(wrapped) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    fits = labels.evaluate("(td) => td.scrollHeight <= td.clientHeight + 1")
    assert fits, "the label set is cut"
    assert labels.evaluate(wrapped), "the four-line label set is not wrapped"  # wrapped, shown
    screenshot(page, "datagrid-light-browse")

    # -- a column resized by dragging its edge (and no sort from that drag) ----------------------
    name_header = table.locator("thead th").first
    before = name_header.bounding_box()["width"]
    edge = name_header.locator(".sn-dg-resize").bounding_box()
    middle = edge["y"] + edge["height"] / 2
    page.mouse.move(edge["x"] + 3, middle)
    page.mouse.down()
    page.mouse.move(edge["x"] + 83, middle, steps=8)
    page.mouse.up()
    assert name_header.bounding_box()["width"] >= before + 60
    expect(name_header).to_have_attribute("aria-sort", "ascending")  # still A-Z

    # -- scrolling to the end asks the kernel for that window only --------------------------------
    scroller = grid.locator(".sn-dg-scroll")
    scroller.evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
    last = table.locator(f"tbody tr[aria-rowindex='{alive + 1}']")
    expect(last).to_be_visible(timeout=SLOW)
    expect(last.locator("td").first).not_to_have_text("…", timeout=SLOW)
    assert table.locator("tbody tr[data-row]").count() <= 60
    scroller.evaluate("(s) => { s.scrollTop = 0; }")

    # -- a small frame: every row shown, no scroll bar ---------------------------------------------
    small = page.locator(".sn-frame-editor").last.locator(".sn-edit-grid .sn-dg-scroll")
    expect(small.locator("tbody tr[data-row]:not([aria-busy])")).to_have_count(3, timeout=SLOW)
    assert small.evaluate("(s) => s.scrollHeight <= s.clientHeight + 1"), "rows cut off"

    # -- a typed cell: refused by the kernel, the reason at the cell; then kept ------------------
    cell = small.locator("tbody tr[data-row='0'] td").nth(2)  # delete
    cell.dblclick()
    editing = cell.locator("input")
    editing.fill("perhaps")
    editing.press("Enter")
    expect(cell.locator(".sn-dg-error")).to_contain_text("delete", timeout=SLOW)
    expect(cell.locator("input")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "datagrid-light-edit-refused")
    cell.locator("input").press("Escape")
    expect(cell.locator(".sn-dg-error")).to_have_count(0)
    name = small.locator("tbody tr[data-row='1'] td").nth(1)
    name.click()
    page.keyboard.type("Typed In The Grid")
    page.keyboard.press("Enter")
    expect(name).to_have_text("Typed In The Grid", timeout=SLOW)
    expect(page.locator(".sn-frame-editor").last.locator(".sn-bulk-status")).to_contain_text(
        "1 change planned", timeout=SLOW
    )

    findings = axe_findings(page, axe_script, ".sn-panel")
    findings += axe_findings(page, axe_script, ".sn-frame-editor")
    assert findings == [], json.dumps(findings, indent=1)

    # -- dark: the same grid in the dark theme's colours -----------------------------------------
    set_theme(page, dark=True)
    wait_until(lambda: _lightness(grid.locator("tbody td").first) < 100, what="a dark grid body")
    assert _lightness(grid.locator("thead th").first) < 100
    screenshot(page, "datagrid-dark-browse")
    findings = axe_findings(page, axe_script, ".sn-panel")
    assert findings == [], json.dumps(findings, indent=1)
    set_theme(page, dark=False)


def _lightness(locator: Any) -> float:
    """How light an element's background is (0..255): its own colour or its nearest painted
    ancestor's, as the page's canvas resolves it (any CSS colour syntax)."""
    return locator.evaluate(
        """(e) => { let n = e, c = "";
        while (n) { c = getComputedStyle(n).backgroundColor;
          if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent") break; n = n.parentElement; }
        const ctx = document.createElement("canvas").getContext("2d");
        ctx.fillStyle = c || "#fff"; ctx.fillRect(0, 0, 1, 1);
        const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
        return 0.299 * r + 0.587 * g + 0.114 * b; }"""
    )
