"""`sn.panel(grid="canvas")`: Browse in ipydatagrid's canvas grid (the optional extra
sinch-notebook[canvas]), with the workarounds widgets/grid.py makes for its front-end."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel

pytest.importorskip("ipydatagrid")


@pytest.fixture
def connected(make_panel: PanelFactory, secret_sandbox: Sandbox) -> Panel:
    """A panel with the canvas grid, connected, with Browse loaded."""
    panel = make_panel(grid="canvas")
    connect_panel(panel, secret_sandbox)
    assert panel.browser.rows, panel.log_text()
    return panel


def test_the_canvas_grid_shows_the_view_sorts_and_opens_rows(connected: Panel) -> None:
    from sinch_notebook.widgets.grid import SubprojectGrid

    browser = connected.browser
    assert isinstance(browser.grid, SubprojectGrid)
    assert list(browser.grid._frame["ID"]) == browser.view_ids
    browser.grid.click_header("Name")
    assert list(browser.grid._frame["ID"]) == browser.view_ids
    names = [sp.display_name.casefold() for sp in browser.view]
    assert names == sorted(names)
    chosen = browser.view[2]
    browser.grid._on_selection({"new": [{"r1": 2, "r2": 2, "c1": 0, "c2": 4}]})  # as clicked
    assert connected.wait()
    assert connected.edit_form.opened is not None and connected.edit_form.opened.id == chosen.id
    assert browser.grid.grid.selections == []  # so the same row can be clicked again


def test_the_grid_model_keeps_a_column_per_field_and_no_rows(connected: Panel) -> None:
    """What the front-end gets as the grid's `_data`: every field of the schema as an empty
    column (ipydatagrid's front-end model breaks, and with it JupyterLab's "save widget state",
    when a streamed answer names columns its `_data` lacks), and never a row."""
    grid = connected.browser.grid.grid
    marks = []
    for rows in (connected.browser.view, connected.browser.view, connected.browser.view[:3], []):
        connected.browser.grid.show(rows)
        fields = [f["name"] for f in grid._data["schema"]["fields"]]
        *columns, mark = grid._data["data"]
        assert columns == fields
        assert {"Name", "ID", "ipydguuid"} <= set(fields)
        # and one more, new with every frame: the front-end then drops the rows it has
        assert mark.startswith(grid.VIEW_MARK) and mark not in marks
        marks.append(mark)
        state = grid.get_state()["_data"]
        assert all(column["value"] == [] for column in state["data"].values())
        assert grid._row_count == len(rows)


def test_a_click_on_a_body_cell_reaches_the_kernel_without_an_error(connected: Panel) -> None:
    """The front-end sends a body click with no `primary_key_row` (a streamed row has none)."""
    grid = connected.browser.grid.grid
    seen: list[dict] = []
    grid.on_cell_click(seen.append)
    click = {"event_type": "cell-click", "region": "body", "column": "Name"}
    grid._handle_custom_msg({**click, "column_index": 0, "row": 2, "cell_value": "x"}, [])
    assert seen and seen[-1]["primary_key_row"] is None and seen[-1]["row"] == 2
    assert connected.tabs.selected_index != connected.tab_index("Edit")  # a selection opens rows


def test_a_header_click_leaves_no_column_selected(connected: Panel) -> None:
    grid = connected.browser.grid
    connected.show_tab("Browse")
    grid._on_cell_click({"region": "column-header", "column": "Name", "row": 0})
    grid.grid.selections = [{"r1": 0, "r2": len(grid._frame) - 1, "c1": 0, "c2": 0}]  # as sent
    assert grid.grid.selections == []
    assert connected.wait()
    assert connected.tabs.selected_index == connected.tab_index("Browse")


@pytest.mark.parametrize("width", [790, 820, 932, 1200, 1600])
def test_the_columns_fit_the_width_the_page_reports(connected: Panel, width: int) -> None:
    """No empty band and no sideways scrolling at any width; the id always whole; rows as tall
    as the longest wrapped label set needs (the page reports the width: widgets/theme.py)."""
    from sinch_notebook.widgets.grid import FRAME, ID_WIDTH, LINE_HEIGHT, ROW_HEIGHT

    grid = connected.browser.grid
    connected.theme.report({"widths": {"sn-browse-grid": width}})
    widths = grid.grid.column_widths
    assert widths == grid.widths and widths["ID"] == ID_WIDTH
    assert width - FRAME - 2 <= sum(widths.values()) <= width - FRAME
    assert grid.grid.base_row_size in {ROW_HEIGHT + n * LINE_HEIGHT for n in range(3)}
    if width >= 1600:  # room for every label set on one line
        assert grid.grid.base_row_size == ROW_HEIGHT


def test_the_canvas_bulk_grid_edits_the_frame_and_refuses_at_the_grid(
    make_panel: PanelFactory,
    secret_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bulk on `grid="canvas"`: ipydatagrid's editable grid, its cell changes (as its front-end
    sends them) edit the frame and re-plan; a refused value goes back to the frame's."""
    import sinch_notebook as sn
    from sinch_notebook.widgets.grid import CanvasFrameGrid

    from .helpers import plain

    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    panel = make_panel(grid="canvas", namespace=namespace)
    connect_panel(panel, secret_sandbox)
    namespace["df"] = frame = sn.require_active().frame().head(3).reset_index(drop=True)
    panel.bulk_form.load("df")
    assert panel.wait()
    grid = panel.bulk_form.editor.grid
    assert isinstance(grid, CanvasFrameGrid)
    shown = grid.grid.data
    assert list(shown.columns[:3]) == ["subprojectId", "displayName", "delete"]
    assert list(shown["subprojectId"]) == list(frame["subprojectId"])
    grid._on_cell_change({"row": 1, "column": "displayName", "value": "Canvas Renamed"})
    assert panel.wait()
    assert frame.loc[1, "displayName"] == "Canvas Renamed" and grid.last_error is None
    assert "1 change planned" in plain(panel.bulk_form.status.value)
    grid._on_cell_change({"row": 0, "column": "delete", "value": "perhaps"})
    assert grid.last_error and "delete" in grid.last_error
    assert grid.grid.data.loc[0, "delete"] == ""  # the frame's value, back in the cell
    assert "delete" in plain(panel.bulk_form.editor.grid_note.value)


def test_the_canvas_grid_shows_hidden_characters_as_escapes() -> None:
    """The rows the canvas page is sent pass through the core's `visible` too."""
    import pandas as pd

    from sinch_notebook.widgets.browse_columns import display_frame
    from sinch_notebook.widgets.grid import SubprojectGrid
    from sinch_notebook.widgets.page import Page
    from sinch_notebook.widgets.view import FrameView

    grid = SubprojectGrid(on_open=lambda _: None, on_sort=lambda: None, visible_rows=5)
    frame = display_frame([])
    frame = pd.DataFrame([["Shop\u202eX", "k=v\x1b", "", "", "01ID"]], columns=frame.columns)
    grid.show_view(FrameView(frame))
    page = Page()
    page.watch(grid.grid)
    assert page.grid_rows(grid.grid, 0, 1) == [["Shop\\u202eX", "k=v\\x1b", "", "", "01ID"]]
