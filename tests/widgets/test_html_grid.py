"""The HTML grids (for front-ends where ipydatagrid cannot render), driven through their buttons,
and the switch to them when the canvas grid does not answer from the front-end."""

from __future__ import annotations

import html
import re
import time

import ipywidgets as widgets
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.html_grid import HtmlFrameView, HtmlSubprojectGrid

from .conftest import PanelFactory
from .helpers import connect_panel, keeps_file, plain, send_file


def page_ids(grid: HtmlSubprojectGrid) -> list[str]:
    """The ids on the page shown, top to bottom, read from the HTML cells."""
    shown = [cells.value for cells, line in zip(grid.cells, grid.lines, strict=True)]
    visible = [
        v for v, line in zip(shown, grid.lines, strict=True) if line.layout.display != "none"
    ]
    return [html.unescape(re.findall(r'title="([^"]*)"', v)[-1]) for v in visible]


@pytest.fixture
def html_panel(make_panel: PanelFactory, secret_sandbox: Sandbox) -> Panel:
    panel = make_panel(grid="html")
    connect_panel(panel, secret_sandbox)
    return panel


def test_browse_pages_sorts_and_opens_rows_with_buttons(
    html_panel: Panel, secret_sandbox: Sandbox
) -> None:
    browser = html_panel.browser
    grid = browser.grid
    assert isinstance(grid, HtmlSubprojectGrid)
    live = [sp for sp in secret_sandbox.subprojects() if not sp["deleted"]]
    assert f"of {len(live)}" in plain(grid.pager.label.value)
    assert page_ids(grid) == browser.view_ids[:20]
    assert grid.pager.previous.disabled and not grid.pager.next.disabled

    grid.pager.next.click()
    assert page_ids(grid) == browser.view_ids[20:40]
    assert "rows 21–40" in plain(grid.pager.label.value)
    grid.pager.last.click()
    assert page_ids(grid) == browser.view_ids[(len(live) - 1) // 20 * 20 :]

    grid.headers["Name"].click()
    names = [sp.display_name.casefold() for sp in browser.view]
    assert names == sorted(names) and grid.headers["Name"].description == "Name ▲"
    assert page_ids(grid) == browser.view_ids[:20]  # a new order starts at the first page
    grid.headers["Name"].click()
    assert grid.headers["Name"].description == "Name ▼"
    assert "sorted by Name, Z–A" in plain(browser.count.value)

    grid.pager.next.click()
    grid.open_buttons[3].click()
    assert html_panel.wait()
    assert html_panel.tabs.selected_index == html_panel.tab_index("Edit")
    assert html_panel.edit_form.opened.subproject_id == browser.view_ids[23]


def test_filters_and_show_deleted_drive_the_html_grid(html_panel: Panel) -> None:
    browser = html_panel.browser
    one = browser.view_ids[5]
    browser.name_filter.value = one.lower()
    assert page_ids(browser.grid) == [one]
    assert sum(line.layout.display != "none" for line in browser.grid.lines) == 1
    browser.clear_button.click()
    gone = next(sp for sp in browser.rows if sp.deleted)
    browser.name_filter.value = gone.subproject_id
    assert page_ids(browser.grid) == [] and "No subproject matches" in plain(browser.count.value)
    browser.show_deleted.value = True
    assert page_ids(browser.grid) == [gone.subproject_id]
    assert f"{gone.display_name} (deleted)" in plain(browser.grid.cells[0].value)


def test_the_bulk_tab_edits_a_cell_plans_and_applies_with_buttons(
    html_panel: Panel, secret_sandbox: Sandbox
) -> None:
    browser = html_panel.browser
    browser.name_filter.value = "a"
    browser.frame_name.value = "picked"
    browser.frame_button.click()
    assert html_panel.wait()
    bulk = html_panel.bulk_form
    bulk.load("picked")
    assert html_panel.wait()
    view = bulk.editor.html_view
    assert isinstance(view, HtmlFrameView) and bulk.editor.grid not in bulk.editor.children
    picked = html_panel.ctx.namespace()["picked"]
    assert picked.loc[0, "subprojectId"] in plain(view.table.value)
    view.row.value = 0
    view.column.value = "displayName"
    view.value.value = "Renamed with buttons"
    view.set_button.click()
    assert html_panel.wait()
    assert len(bulk.plan) == 1 and "Renamed with buttons" in plain(bulk.editor.plan_view.value)
    assert "Renamed with buttons" in plain(view.table.value)
    view.column.value = "delete"
    view.value.value = "maybe"
    view.set_button.click()
    assert "delete" in html_panel.log_text()  # a clear error, nothing planned for it
    bulk.apply_button.click()
    assert html_panel.wait()
    assert bulk.result.ok
    sid = picked.loc[0, "subprojectId"]
    server = {sp["subprojectId"]: sp for sp in secret_sandbox.subprojects()}
    assert server[sid]["displayName"] == "Renamed with buttons"


def test_a_grid_that_never_answers_is_replaced_by_html_tables(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel(render_grace=0.2)
    connect_panel(panel, secret_sandbox)
    panel.show_tab("Browse")
    assert not isinstance(panel.browser.grid, HtmlSubprojectGrid)
    panel.set_state({"_view_count": 1})  # the front-end shows the panel; the grid says nothing
    deadline = time.monotonic() + 30
    while "did not render" not in panel.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)  # the switch happens in the watch's timer thread; it logs last
    assert isinstance(panel.browser.grid, HtmlSubprojectGrid)
    assert panel.bulk_form.editor.html_view is not None
    assert "did not render" in panel.log_text()
    assert panel.browser.grid in panel.browser.children
    assert page_ids(panel.browser.grid) == panel.browser.view_ids[:20]
    panel.browser.grid.open_buttons[0].click()
    assert panel.wait()
    assert panel.edit_form.opened.subproject_id == panel.browser.view_ids[0]


def test_a_grid_that_answers_stays(make_panel: PanelFactory, secret_sandbox: Sandbox) -> None:
    panel = make_panel(render_grace=0.2)
    connect_panel(panel, secret_sandbox)
    panel.show_tab("Browse")
    panel.set_state({"_view_count": 1})
    # What a rendered ipydatagrid view sends: the rows it shows.
    panel.browser.grid.grid.set_state({"_visible_rows": list(range(20))})
    assert panel.render_watch.heard
    panel.render_watch.expect()  # what showing Browse again does: no grace period starts
    assert panel.render_watch._timer is None
    assert not isinstance(panel.browser.grid, HtmlSubprojectGrid)
    assert "did not render" not in panel.log_text()


def test_an_unknown_grid_is_refused_before_anything_is_built() -> None:
    with pytest.raises(sn.ValidationError, match="grid: must be one of auto, html, canvas"):
        Panel(grid="table", namespace={})


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_uploaded_export_is_planned_and_applied(
    html_panel: Panel, secret_sandbox: Sandbox, kind: str
) -> None:
    from sinch_notebook.widgets.export import file_bytes

    browser = html_panel.browser
    browser.name_filter.value = browser.view_ids[0]
    exported = browser.view_frame()
    exported.loc[0, "displayName"] = f"Renamed from {kind}"
    bulk = html_panel.bulk_form
    content = file_bytes(exported, kind)
    send_file(bulk.upload_frame, f"edited.{kind}", content)
    assert html_panel.wait()
    assert not keeps_file(bulk.upload_frame, content)  # the file is not kept in its state
    assert "uploaded_df" in html_panel.ctx.namespace()
    assert len(bulk.plan) == 1 and not bulk.plan.conflicts and not bulk.plan.invalid
    bulk.apply_button.click()
    assert html_panel.wait()
    assert bulk.result.ok
    sid = browser.view_ids[0]
    server = {sp["subprojectId"]: sp for sp in secret_sandbox.subprojects()}
    assert server[sid]["displayName"] == f"Renamed from {kind}"


def test_an_upload_that_is_not_an_export_is_one_clear_line(html_panel: Panel) -> None:
    bulk = html_panel.bulk_form
    send_file(bulk.upload_frame, "notes.txt", b"hello")
    assert "file: notes.txt: must be a .csv or .xlsx file" in plain(bulk.picker_status.value)
    assert bulk.plan is None


def test_the_key_secret_is_not_echoed_to_the_page(make_panel: PanelFactory) -> None:
    """ipywidgets 8 echoes each update from the page back to it; never for the Key Secret."""
    panel = make_panel(autoconnect=False)
    field = panel.connect_form.key_secret
    sent: list[dict] = []
    field._send = lambda msg, buffers=None: sent.append(msg)  # what would go to the page
    field.set_state({"value": "typed-secret-value"})
    assert "typed-secret-value" not in repr(sent)
    other = widgets.Text()  # a plain field is echoed, as ipywidgets does: the check works
    other._send = lambda msg, buffers=None: sent.append(msg)
    other.set_state({"value": "a-key-id"})
    assert "a-key-id" in repr(sent)
    other.close()
