"""The guard rails in the panel, in real JupyterLab and Chromium (issue 29): Browse's "violations
only" box shows the subprojects that break the label policy, each row's broken rule first; the
Edit tab's Delete of a protected subproject asks with a box that must be ticked before "Yes,
delete it" can be clicked."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .lab import (
    JupyterLab,
    grid_cells,
    open_notebook,
    run_all_cells,
    screenshot,
    wait_until,
    write_notebook,
)

SLOW = 120_000

CELLS = [
    "from pathlib import Path\nimport sinch_notebook as sn\n"
    "from sinch_notebook.config import settings\n"
    "client = sn.connect_or_sandbox()\n"
    "jewel = client.create('Crown Jewels', {'protected': 'true', 'tier': 'enterprise'})\n"
    "Path('policy.yaml').write_text('required: [tier]\\n')\n"
    "settings().policy = str(Path('policy.yaml').resolve())\n"
    "lacking = sum(1 for sp in client.list() if 'tier' not in sp.labels)\n"
    "print(f'JEWEL {jewel.id} LACKING {lacking}')",
    "panel = sn.panel()\npanel",
]


def tab(page: Any, title: str) -> None:
    page.locator(".sn-tabs .lm-TabBar-tab", has_text=title).first.click()


def settled(page: Any) -> None:
    expect(page.locator(".sn-busy").first).to_have_text("", timeout=SLOW)


def test_violations_only_and_a_protected_delete(lab_page: Any, jupyter_lab: JupyterLab) -> None:
    page = lab_page
    notebook = write_notebook(jupyter_lab.root_dir / "guards.ipynb", CELLS)
    open_notebook(page, jupyter_lab, notebook.name)
    run_all_cells(page, notebook.name)
    printed = page.locator(".jp-OutputArea-output", has_text="JEWEL").first
    expect(printed).to_contain_text("LACKING", timeout=SLOW)
    found = re.search(r"JEWEL (\w+) LACKING (\d+)", printed.inner_text())
    assert found, printed.inner_text()
    jewel, lacking = found.group(1), int(found.group(2))
    assert lacking > 0
    page.locator(".sn-panel").first.wait_for(state="visible", timeout=SLOW)
    settled(page)

    # -- Browse: violations only ------------------------------------------------------------------
    tab(page, "Browse")
    count = page.locator(".sn-browse-count").first
    expect(count).to_contain_text("Showing", timeout=SLOW)
    page.locator(".sn-violations-only input").first.check()
    expect(count).to_contain_text(f"Showing {lacking:,} of", timeout=SLOW)

    def labels_flagged() -> bool:
        shown = grid_cells(page, "sn-browse-grid", 5)
        if "columns" not in shown or "Labels" not in shown["columns"]:
            return False
        index = shown["columns"].index("Labels")
        cells = [row[index] for row in shown["cells"]]
        return bool(cells) and all(str(c).startswith("⚠ required: tier") for c in cells)

    wait_until(labels_flagged, timeout=60, what="each row's broken rule first in Labels")
    screenshot(page, "guards-01-violations-only")
    page.locator(".sn-violations-only input").first.uncheck()

    # -- Edit: Delete of a protected one -----------------------------------------------------------
    tab(page, "Edit")
    edit = page.locator(".sn-edit-form").first
    edit.locator(".sn-edit-id input").fill(jewel)
    edit.locator(".sn-edit-open").click()
    expect(edit.locator(".sn-edit-name input")).to_have_value("Crown Jewels", timeout=SLOW)
    settled(page)
    edit.locator(".sn-edit-delete").click()
    expect(edit.locator(".sn-edit-confirm-text")).to_contain_text(
        "is protected by the label protected=true", timeout=SLOW
    )
    box = edit.locator(".sn-edit-allow-protected input")
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    expect(edit.locator(".sn-edit-confirm")).to_be_disabled()
    screenshot(page, "guards-02-protected-delete-asks")
    box.check()
    expect(edit.locator(".sn-edit-confirm")).to_be_enabled()
    edit.locator(".sn-edit-confirm").click()
    expect(edit.locator(".sn-edit-status")).to_contain_text("Deleted 'Crown Jewels'", timeout=SLOW)
    screenshot(page, "guards-03-deleted")
