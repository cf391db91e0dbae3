"""How the panel looks and behaves in real JupyterLab (1400 px, the file browser open), as issue
18 describes it: every grid in the theme's colours, light and dark, when the page starts dark and
when the person switches; Browse's columns fit the width with the id and the labels readable;
a small frame's rows all shown in the Bulk grid; Browse's rows drawn at once after a Save in
Edit; a download in one click; the Key Secret's hint whole.

What a grid shows is read from the page: its pixels (how light its body and header are) and
its DOM (lab.grid_cells; whether a cell's text or the table overflows its box).
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageStat
from playwright.sync_api import expect

from .lab import (
    REPO_ROOT,
    JupyterLab,
    LabError,
    grid_cell,
    grid_cells,
    open_notebook,
    run_all_cells,
    run_command,
    screenshot,
    write_notebook,
)

SLOW = 120_000
THEMES_PLUGIN = "@jupyterlab/apputils-extension:themes"
DARK, LIGHT = "JupyterLab Dark", "JupyterLab Light"

CELLS = [
    "from pathlib import Path\nimport sinch_notebook as sn\n"
    "print('sinch_notebook from', Path(sn.__file__).parent)",
    "client = sn.connect_or_sandbox()",
    "panel = sn.panel()\npanel",
    "small = client.frame().head(3)\neditor = sn.edit(small)\neditor",
]

_FIT_JS = """([cls]) => {
    const grid = document.querySelector(".sn-panel ." + cls);
    const scroll = grid.querySelector(".sn-dg-scroll");
    const table = grid.querySelector(".sn-dg-table");
    const cells = [...table.querySelectorAll("tbody tr[data-row] td")];
    const cut = cells.filter(td => td.scrollWidth > td.clientWidth + 1 ||
        td.scrollHeight > td.clientHeight + 1).map(td => td.textContent);
    return {sideways: scroll.scrollWidth > scroll.clientWidth + 1,
            band: scroll.clientWidth - table.offsetWidth, cut, cells: cells.length};
}"""


def brightness(page: Any, css_class: str, nth: int = 0) -> dict | None:
    """How light a grid looks on screen (0..255): its header band and its body (a vertical
    scroll bar left out), from a screenshot of it, as a person sees it."""
    grid = page.locator(f".{css_class}").nth(nth)
    if not grid.is_visible():
        return None
    grid.scroll_into_view_if_needed()
    head = int(grid.locator("thead").first.bounding_box()["height"])
    image = Image.open(io.BytesIO(grid.screenshot())).convert("L")
    width, height = image.size
    body = image.crop((2, head + 3, width - 20, max(head + 4, height - 3)))
    seen = {"body": ImageStat.Stat(body).mean[0]}
    if head > 8:  # an empty grid (nothing loaded) has no header band
        seen["header"] = ImageStat.Stat(image.crop((2, 3, width - 20, head - 3))).mean[0]
    return seen


def wait_for_brightness(page: Any, css_class: str, dark: bool, nth: int = 0) -> dict:
    """Until the grid's body and header look dark (or light); how light they are."""
    seen = None
    for _ in range(120):
        seen = brightness(page, css_class, nth)
        if seen is not None and all((v < 90) if dark else (v > 170) for v in seen.values()):
            return seen
        page.wait_for_timeout(500)
    raise LabError(f".{css_class} #{nth} does not look {'dark' if dark else 'light'}: {seen}")


def tab(page: Any, title: str) -> None:
    page.locator(".sn-tabs .lm-TabBar-tab", has_text=title).first.click()


def settled(page: Any) -> None:
    expect(page.locator(".sn-busy").first).to_have_text("", timeout=SLOW)


def file_browser_open(page: Any) -> None:
    if page.evaluate("() => window.jupyterapp.shell.leftCollapsed"):
        run_command(page, "filebrowser:toggle-main")
    page.wait_for_function("() => !window.jupyterapp.shell.leftCollapsed")
    expect(page.locator(".jp-FileBrowser").first).to_be_visible()


def test_the_panel_in_dark_and_light_with_fitting_columns(
    lab_page: Any, jupyter_lab: JupyterLab
) -> None:
    page = lab_page
    jupyter_lab.set_setting(THEMES_PLUGIN, {"theme": DARK})  # the page starts dark
    try:
        write_notebook(jupyter_lab.root_dir / "look.ipynb", CELLS)
        open_notebook(page, jupyter_lab, "look.ipynb")
        file_browser_open(page)
        run_all_cells(page, "look.ipynb")
        expect(page.locator(".jp-OutputArea-output").first).to_contain_text(
            f"sinch_notebook from {REPO_ROOT / 'sinch_notebook'}", timeout=SLOW
        )
        settled(page)
        scenario(page)
    finally:
        jupyter_lab.set_setting(THEMES_PLUGIN, {"theme": LIGHT})


def scenario(page: Any) -> None:
    # -- the Key Secret's hint reads whole --------------------------------------------------
    secret = page.locator(".sn-panel .sn-key-secret input").first
    secret.fill("typed-then-left")
    secret.press("Enter")
    expect(secret).to_have_attribute("placeholder", "entered (hidden, never saved): press Connect")
    hint, room = secret.evaluate(
        """(el) => { const s = getComputedStyle(el); const c = document.createElement("canvas")
            .getContext("2d"); c.font = s.font; const pad = parseFloat(s.paddingLeft) +
            parseFloat(s.paddingRight); return [c.measureText(el.placeholder).width,
            el.clientWidth - pad]; }"""
    )
    assert hint <= room, f"the hint needs {hint:.0f} px, the field has {room:.0f}"

    # -- Browse, dark from the start: its grid and sn.edit's are dark ------------------------
    tab(page, "Browse")
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text("Showing 107 of 107", timeout=SLOW)  # the demo account
    wait_for_drawn_rows(page)
    wait_for_brightness(page, "sn-browse-grid", dark=True)
    wait_for_brightness(page, "sn-edit-grid", dark=True, nth=1)  # sn.edit's (Bulk's is hidden)
    screenshot(page, "look-01-dark-browse")

    # -- the columns fit: no empty band, no sideways scrolling, ids and labels whole ----------
    fit = wait_for_fitted_columns(page)
    assert fit["cut"] == [] and fit["cells"] > 0, fit
    first = grid_cells(page, "sn-browse-grid", 6)  # the rows on screen
    columns = first["columns"]
    assert "…" not in [row[columns.index("ID")] for row in first["cells"]], first

    # -- the Bulk grid of sn.edit shows its 3 rows (no vertical scroll bar) -------------------
    small = page.locator(".sn-edit-grid").last
    small.scroll_into_view_if_needed()
    small.screenshot(path=str(screenshot(page, "look-01b-dark-sn-edit").parent / "look-01c.png"))
    scroll = small.locator(".sn-dg-scroll")
    expect(scroll.locator("tbody tr[data-row]:not([aria-busy])")).to_have_count(3)
    sizes = scroll.evaluate("(s) => [s.scrollHeight, s.clientHeight]")
    assert sizes[0] <= sizes[1] + 1, sizes

    # -- switch to light while the panel is shown: every grid follows -------------------------
    run_command(page, "apputils:change-theme", {"theme": LIGHT})
    wait_for_brightness(page, "sn-browse-grid", dark=False)
    wait_for_brightness(page, "sn-edit-grid", dark=False, nth=1)
    screenshot(page, "look-02-light-browse")
    run_command(page, "apputils:change-theme", {"theme": DARK})
    wait_for_brightness(page, "sn-browse-grid", dark=True)
    wait_for_brightness(page, "sn-edit-grid", dark=True, nth=1)

    # -- a Save in Edit, back to Browse: the rows are drawn at once, the renamed one on top ---
    wait_for_drawn_rows(page)
    grid_cell(page, "sn-browse-grid", 1, "Name").click()  # the second row
    edit = page.locator(".sn-edit-form").first
    expect(edit.locator(".sn-edit-name input")).not_to_have_value("", timeout=SLOW)
    settled(page)
    edit.locator(".sn-edit-name input").fill("Renamed in Edit")
    edit.locator(".sn-edit-save").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text("Saved the name", timeout=SLOW)
    settled(page)
    tab(page, "Browse")
    after = wait_for_drawn_rows(page)  # within seconds, without scrolling
    assert after["cells"][0][columns.index("Name")] == "Renamed in Edit"  # newest update first

    # -- Excel in one click ------------------------------------------------------------------
    with page.expect_download(timeout=60_000) as download:
        page.locator(".sn-panel .sn-browse-excel").first.click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # -- the panel's Bulk grid is dark too ---------------------------------------------------
    tab(page, "Bulk")
    wait_for_brightness(page, "sn-edit-grid", dark=True, nth=0)
    screenshot(page, "look-03-dark-after-save")


def wait_for_fitted_columns(page: Any) -> dict[str, Any]:
    """Until Browse's table fills its width (no band, no sideways scroll bar); what it shows."""
    seen: Any = None
    for _ in range(240):
        seen = page.evaluate(_FIT_JS, ["sn-browse-grid"])
        if not seen["sideways"] and 0 <= seen["band"] <= 2 and seen["cells"]:
            return seen
        page.wait_for_timeout(250)
    raise LabError(f"the columns do not fit the grid: {seen}")


def wait_for_drawn_rows(page: Any, timeout_s: float = 10) -> dict:
    """Until the Browse grid's first rows (on screen) are drawn, no '…' left: what it shows."""
    shown: Any = None
    for _ in range(int(timeout_s * 4)):
        shown = grid_cells(page, "sn-browse-grid", 6)
        if shown.get("cells") and not any("…" in row for row in shown["cells"]):
            return shown
        page.wait_for_timeout(250)
    raise LabError(f"the Browse grid still shows '…' after {timeout_s:.0f} s: {shown}")
