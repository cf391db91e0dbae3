"""Tab completion of `%sinch` in real JupyterLab: type `%sinch l`, press Tab, and the completer
popup offers `list` (and `login`, `logout`), not IPython's `%ldir` or `%less`."""

from __future__ import annotations

from typing import Any

from .lab import JupyterLab, open_notebook, run_all_cells, screenshot, write_notebook


def test_tab_after_sinch_l_offers_list(lab_page: Any, jupyter_lab: JupyterLab) -> None:
    page = lab_page
    write_notebook(
        jupyter_lab.root_dir / "completion.ipynb",
        ["%load_ext sinch_notebook\n%sinch login --sandbox\n%sinch list --limit 3;", "", ""],
    )
    open_notebook(page, jupyter_lab, "completion.ipynb")
    run_all_cells(page)
    editor = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".cm-content")
    editor.click()
    page.keyboard.type("%sinch l")
    page.keyboard.press("Tab")
    popup = page.locator(".jp-Completer")
    popup.wait_for(state="visible", timeout=60_000)
    items = popup.locator(".jp-Completer-item")
    items.first.wait_for(state="visible", timeout=60_000)
    shown = [text.strip() for text in popup.locator(".jp-Completer-match").all_inner_texts()]
    screenshot(page, "completion-sinch-l")
    assert "list" in shown, shown
    assert set(shown) == {"list", "login", "logout"}, shown
    page.keyboard.press("Escape")

    # the ids of the last listing, with their names beside them
    page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".cm-content").click()
    page.keyboard.type("%sinch get ")
    page.keyboard.press("Tab")
    popup.wait_for(state="visible", timeout=60_000)
    items.first.wait_for(state="visible", timeout=60_000)
    shown = [text.strip() for text in popup.locator(".jp-Completer-match").all_inner_texts()]
    beside = [t.strip() for t in popup.locator(".jp-Completer-typeExtended").all_inner_texts()]
    screenshot(page, "completion-sinch-get")
    # the kernel's completions (JupyterLab adds words of the notebook after them, untyped)
    ids = [text for text, name in zip(shown, beside, strict=True) if name]
    assert len(ids) == 3 and all(len(i) == 26 for i in ids), (shown, beside)
    heights = popup.locator(".jp-Completer-item").evaluate_all(
        "items => items.map(i => i.getBoundingClientRect().height)"
    )
    assert max(heights) < 2 * min(heights), heights  # one line each: the names do not wrap
    page.keyboard.press("Escape")
