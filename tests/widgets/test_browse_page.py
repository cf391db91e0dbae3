"""Browse as the page receives it: the count line and the grid's model (its row count and the rows
its front-end asks for) change together, say "updating" while a view is prepared, and a row
clicked meanwhile opens the subproject that row shows. Read with `widgets.page` (the same
observation `benchmarks/panel_scale.py` times), against views worked out with the core's rules,
on the package's grid (the default) and on ipydatagrid's canvas grid where it is installed.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sinch_notebook.filters import SubprojectFilter
from sinch_notebook.models import Subproject
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.browse_columns import COLUMNS, display_frame
from sinch_notebook.widgets.page import browse_seen, reference_view, watch_browse
from sinch_notebook.widgets.table import SubprojectTable
from sinch_notebook.widgets.view import TableView

from .conftest import PanelFactory
from .helpers import connect_panel


@pytest.fixture(params=["own", "canvas"])
def connected(request: pytest.FixtureRequest, make_panel: PanelFactory, secret_sandbox: Sandbox):
    """A connected panel with Browse loaded, on each grid (the canvas one where installed)."""
    if request.param == "canvas":
        pytest.importorskip("ipydatagrid")
        panel = make_panel(grid="canvas")
    else:
        panel = make_panel()
    connect_panel(panel, secret_sandbox)
    assert panel.browser.rows, panel.log_text()
    return panel


def expected(
    sandbox: Sandbox, wanted: SubprojectFilter, column: str = "Updated", descending: bool = True
) -> tuple[int, list[list[str]]]:
    records = [Subproject.from_api(r) for r in sandbox.subprojects()]
    return reference_view(records, wanted, column, descending)


def test_the_page_shows_each_view_whole(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    page = watch_browse(browser)
    assert browse_seen(page, browser).shows(*expected(secret_sandbox, SubprojectFilter()))
    browser.name_filter.set_state({"value": "a"})  # a keystroke, as the page sends it
    assert browser.settle(flush=False)
    assert browse_seen(page, browser).shows(*expected(secret_sandbox, SubprojectFilter(text="a")))
    browser.grid.click_header("Name")
    wanted = SubprojectFilter(text="a")
    assert browse_seen(page, browser).shows(*expected(secret_sandbox, wanted, "Name", False))
    browser.clear_button.click()
    seen = browse_seen(page, browser)
    assert seen.shows(*expected(secret_sandbox, SubprojectFilter(), "Name", False))
    browser.show_deleted.value = True  # set from code
    everything = expected(secret_sandbox, SubprojectFilter(show_deleted=True), "Name", False)
    assert browse_seen(page, browser).shows(*everything)
    assert not seen.shows(*everything)  # the observation tells two views apart
    assert browse_seen(page, browser).model != seen.model  # each view is a new grid model


def test_while_a_view_is_prepared_the_page_says_so_and_a_click_opens_the_row_shown(
    connected: Panel, secret_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = connected.browser
    page = watch_browse(browser)
    before = browse_seen(page, browser)
    building, release = threading.Event(), threading.Event()
    build = TableView.build

    def slow_build(*args, **kwargs):  # a view that takes a while (100,000 rows, busy kernel)
        building.set()
        assert release.wait(30)
        return build(*args, **kwargs)

    monkeypatch.setattr(TableView, "build", slow_build)
    browser.name_filter.set_state({"value": "zz-no-such"})
    assert building.wait(30)
    during = browse_seen(page, browser)
    assert "Updating" in during.count_text
    assert during.rows == before.rows and during.first == before.first  # the old rows, whole
    page.click_row(browser.grid.grid, 2)  # the third row on the page
    release.set()
    assert browser.settle(flush=False) and connected.wait()
    assert connected.edit_form.opened is not None
    assert connected.edit_form.opened.subproject_id == during.first[2][-1]
    after = browse_seen(page, browser)
    assert after.shows(*expected(secret_sandbox, SubprojectFilter(text="zz-no-such")))
    assert "Updating" not in after.count_text and after.rows == 0


def test_a_click_on_rows_of_the_last_view_opens_the_row_shown(connected: Panel) -> None:
    """The kernel swapped views, the page still draws the old one's rows (their answer is on its
    way): the package's grid opens the row clicked, of the view the page drew it from."""
    browser = connected.browser
    if "_row_count" in browser.grid.grid.get_state():
        pytest.skip("ipydatagrid's front-end reports a selection of the kernel's current model")
    page = watch_browse(browser)
    drawn, shown = page.state(browser.grid.grid)["view"], browse_seen(page, browser).first
    browser.grid.click_header("Name")  # a new view: other rows at the top
    assert browse_seen(page, browser).first[1] != shown[1]
    page.click_row(browser.grid.grid, 1, view=drawn)  # sent before the page had the new view
    assert connected.wait() and connected.edit_form.opened is not None
    assert connected.edit_form.opened.subproject_id == shown[1][-1]


def test_a_view_is_row_numbers_read_a_window_at_a_time() -> None:
    records = [
        {
            "subprojectId": f"01ID{n:04d}",
            "displayName": ["Acme EU", "beta", "Zed", "acme us"][n % 4],
            "labels": {"tier": ["gold", "free"][n % 2], **({"region": "eu"} if n % 3 else {})},
            "createTime": f"2026-01-{1 + n % 28:02d}T10:00:00Z",
            "updateTime": f"2026-02-{1 + n % 27:02d}T10:00:00Z",
            "deleted": n % 5 == 0,
        }
        for n in range(300)
    ]
    table = SubprojectTable()
    table.load(records)
    subprojects = [Subproject.from_api(r) for r in records]
    wanted = SubprojectFilter(text="acme", label_key="region", show_deleted=True)
    view = TableView.build(table, wanted, "Name", True)
    by = next(c for c in COLUMNS if c.title == "Name").key
    kept = [sp for sp in sorted(subprojects, key=by, reverse=True) if wanted.matches(sp)]
    assert view.count == len(kept) and view.columns == [c.title for c in COLUMNS]
    assert view.ids() == [sp.subproject_id for sp in kept]
    assert view.window(10, 15) == display_frame(kept[10:15]).values.tolist()
    assert view.window(view.count - 2, view.count + 10) == display_frame(kept[-2:]).values.tolist()
    assert view.id_at(3) == kept[3].subproject_id and view.ids(3, 5) == view.ids()[3:5]
    with pytest.raises(IndexError):
        view.id_at(view.count)
    assert view.frame().values.tolist() == display_frame(kept).values.tolist()
    for column in ("Name", "Labels"):  # what sizes the rows: the longest texts, by length
        lengths = sorted(map(len, display_frame(kept)[column]), reverse=True)
        assert sorted(map(len, view.longest(column, 7)), reverse=True) == lengths[:7]
    with pytest.raises(ValueError):
        view.rows[0] = 1  # immutable: Browse swaps views, never edits one
    assert np.array_equal(TableView.build(table, wanted, "Name", True).rows, view.rows)


def test_the_canvas_grids_own_header_menu_sorts_and_filters_the_view(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    """ipydatagrid's funnel menu sends transforms; the page then gets rows of the view as
    transformed (built from the view when used), and a row click opens the row shown."""
    browser = connected.browser
    if "_row_count" not in browser.grid.grid.get_state():
        pytest.skip("the package's grid sorts from its headers and has no filter menu")
    page = watch_browse(browser)
    grid = browser.grid.grid
    frame = browser.shown.frame()
    first_name = sorted(frame["Name"])[0]
    grid.set_state({"_transforms": [{"type": "sort", "column": "Name", "desc": False}]})
    seen = browse_seen(page, browser)
    assert seen.rows == len(frame) and seen.first[0][0] == first_name
    grid.set_state(
        {
            "_transforms": [
                {"type": "filter", "column": "Name", "operator": "=", "value": first_name}
            ]
        }
    )
    seen = browse_seen(page, browser)
    assert seen.rows == (frame["Name"] == first_name).sum()
    assert {row[0] for row in seen.first} == {first_name}
    page.click_row(grid, 0)
    assert connected.wait() and connected.edit_form.opened is not None
    assert connected.edit_form.opened.subproject_id == seen.first[0][-1]
