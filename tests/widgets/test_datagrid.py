"""The package's grid (widgets/datagrid), kernel side: driven with the messages its page sends
("window", "sort", "open", "edit") and read through what it answers and its synced state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sinch_notebook.widgets.datagrid import DataGrid, FrameSource, WindowSource
from sinch_notebook.widgets.datagrid.widget import KEPT_VIEWS
from sinch_notebook.widgets.table import SubprojectTable
from sinch_notebook.widgets.view import TableView


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"id-{n:06d}" for n in range(rows)],
            "name": [f"Name {n}" for n in range(rows)],
            "flag": [n % 2 == 0 for n in range(rows)],
            "note": [None if n % 3 else "x" for n in range(rows)],
        }
    )


def test_the_page_gets_the_window_it_asks_for_and_the_state_has_no_rows() -> None:
    grid = DataGrid(columns=[{"title": "id", "wrap": False, "width": 120}])
    grid.show(FrameSource(frame(100_000), "id"))
    assert grid.count == 100_000 and [c["title"] for c in grid.columns] == [
        "id",
        "name",
        "flag",
        "note",
    ]
    assert grid.columns[0] == {
        "title": "id",
        "width": 120,
        "min": 0,
        "wrap": False,
        "editable": False,
    }
    answer = grid.answer({"type": "window", "view": grid.view, "start": 99_990, "stop": 100_050})
    assert answer is not None and answer["view"] == grid.view and answer["start"] == 99_990
    assert len(answer["rows"]) == 10  # the view ends there
    assert answer["rows"][0] == ["id-099990", "Name 99990", "✔", "x"]
    assert answer["rows"][1] == ["id-099991", "Name 99991", "", ""]  # False and None: empty
    state = grid.get_state()
    assert "id-099990" not in json.dumps(state, default=str)
    data = {k: v for k, v in state.items() if k not in ("_esm", "_css")}
    assert len(json.dumps(data, default=str)) < 2_000


def test_a_window_is_bounded_and_a_new_view_is_counted() -> None:
    grid = DataGrid()
    grid.show(FrameSource(frame(5_000)))
    first, top = grid.view, grid.top
    assert len(grid.window(0, 5_000)) == 500  # one answer carries at most MAX_WINDOW rows
    assert grid.window(-5, 2) == grid.window(0, 2) and grid.window(4_999, 4_990) == []
    grid.show(FrameSource(frame(3)), top=False)  # an edit: the page stays where it is
    assert (grid.view, grid.top) == (first + 1, top)
    grid.show(FrameSource(frame(3)))
    assert (grid.view, grid.top) == (first + 2, top + 1)


def test_headers_sort_through_on_sort_or_by_themselves() -> None:
    asked: list[str] = []
    grid = DataGrid(on_sort=asked.append)
    grid.show(FrameSource(frame(3)))
    grid.answer({"type": "sort", "column": "name"})
    assert asked == ["name"]
    own = DataGrid()  # no on_sort: the grid keeps the sort state (the arrow, aria-sort)
    own.click_header("name")
    assert (own.sort_column, own.sort_descending) == ("name", False)
    own.click_header("name")
    assert (own.sort_column, own.sort_descending) == ("name", True)
    still = DataGrid(sortable=False, on_sort=asked.append)
    still.click_header("name")
    assert asked == ["name"] and still.sort_column == ""


def test_a_row_opens_by_its_id() -> None:
    opened: list[str] = []
    grid = DataGrid(on_open=opened.append, open_hint="Open")
    grid.show(FrameSource(frame(10), "id"))
    grid.answer({"type": "open", "row": 7})
    grid.answer({"type": "open", "row": 70})  # not a row: nothing opens
    assert opened == ["id-000007"]


def test_an_edit_is_checked_by_the_kernel_and_its_error_goes_back_to_the_cell() -> None:
    data = frame(4)

    def on_edit(row: int, column: str, value: str) -> str | None:
        if not value.strip():
            return f"{column}: must not be empty"
        data.loc[row, column] = value
        return None

    grid = DataGrid(columns=[{"title": "name", "editable": True}], on_edit=on_edit, sortable=False)
    grid.show(FrameSource(data, "id"))
    kept = grid.answer({"type": "edit", "seq": 1, "row": 2, "column": "name", "value": "New"})
    assert kept == {
        "type": "edited",
        "seq": 1,
        "row": 2,
        "column": "name",
        "ok": True,
        "error": "",
        "value": "New",
    }
    assert data.loc[2, "name"] == "New" and grid.last_error is None
    refused = grid.answer({"type": "edit", "seq": 2, "row": 1, "column": "name", "value": " "})
    assert refused is not None and not refused["ok"]
    assert refused["error"] == "name: must not be empty" and refused["value"] == " "
    read_only = grid.answer({"type": "edit", "seq": 3, "row": 1, "column": "id", "value": "x"})
    assert read_only is not None and read_only["error"] == "id is read-only."
    assert data.loc[1, "id"] == "id-000001"
    outside = grid.answer({"type": "edit", "seq": 4, "row": 9, "column": "name", "value": "x"})
    assert outside is not None and "not in the grid" in outside["error"]


def _table(n: int = 6, name: str = "Shop {n}") -> SubprojectTable:
    table = SubprojectTable()
    table.load(
        [
            {
                "subprojectId": f"01SP{i:022d}",
                "displayName": name.format(n=i),
                "labels": {"region": "eu"} if i % 2 else {},
                "createTime": "2026-01-02T03:04:05Z",
                "updateTime": "2026-02-03T04:05:06Z",
                "deleted": i == 3,
            }
            for i in range(n)
        ]
    )
    return table


def test_the_browse_view_is_a_window_source_the_grid_draws_as_it_is() -> None:
    table = _table()
    view = TableView(table, np.array([5, 3, 1]))
    assert isinstance(view, WindowSource) and isinstance(FrameSource(frame(1)), WindowSource)
    grid = DataGrid()
    grid.show(view)
    assert grid.count == 3 and [c["title"] for c in grid.columns] == view.columns
    assert grid.window(1, 3) == [
        [
            "Shop 3 (deleted)",
            "region=eu",
            "2026-02-03 04:05 UTC",
            "2026-01-02 03:04 UTC",
            table.ids[3],
        ],
        ["Shop 1", "region=eu", "2026-02-03 04:05 UTC", "2026-01-02 03:04 UTC", table.ids[1]],
    ]
    assert grid.row_id(0) == table.ids[5] and grid.row_id(3) is None


def test_every_cell_the_page_is_sent_shows_hidden_characters_as_escapes() -> None:
    """A bidi override or an ESC in a name would reorder or hide what the page shows: the grid
    sends every cell through the core's `visible`, whatever its source."""
    grid = DataGrid()
    grid.show(TableView(_table(2, name="Shop\u202e{n}\x1b[2J"), np.array([0, 1])))
    reply = grid.answer({"type": "window", "view": grid.view, "start": 0, "stop": 2})
    assert reply is not None
    assert [row[0] for row in reply["rows"]] == ["Shop\\u202e0\\x1b[2J", "Shop\\u202e1\\x1b[2J"]
    edited = DataGrid(columns=[{"title": "name", "editable": True}], on_edit=lambda *_: None)
    edited.show(FrameSource(pd.DataFrame({"name": ["a\u200bb"]})))
    assert edited.window(0, 1) == [["a\\u200bb"]]


def test_a_row_opens_from_the_view_the_page_drew_it_from() -> None:
    """The page clicks a row of the view it drew while the kernel already shows a newer one:
    the row it showed opens, not the row now at that place."""
    table, opened = _table(), []
    grid = DataGrid(open_hint="Open", on_open=opened.append)
    grid.show(TableView(table, np.array([0, 1, 2])))
    drawn = grid.view
    grid.show(TableView(table, np.array([2, 1, 0])))  # a new sort; the page has not redrawn
    grid.answer({"type": "open", "row": 0, "view": drawn})
    grid.answer({"type": "open", "row": 0, "view": grid.view})
    grid.open_row(1)  # from code: the view shown now
    assert opened == [table.ids[0], table.ids[2], table.ids[1]]
    for _ in range(KEPT_VIEWS):
        grid.redraw()
    grid.answer({"type": "open", "row": 0, "view": drawn})  # too old to know: nothing opens
    assert len(opened) == 3


@pytest.mark.parametrize("name", ["grid.js", "grid.css"])
def test_the_front_end_ships_as_package_files(name: str) -> None:
    """No build step: the module and its CSS are files of the package, sent as the widget's
    `_esm` and `_css`; the module uses no JupyterLab API (it runs in Voila and VS Code too)."""
    from importlib.resources import files

    text = (files("sinch_notebook.widgets.datagrid") / name).read_text(encoding="utf-8")
    state = DataGrid().get_state()
    assert state["_esm" if name.endswith(".js") else "_css"] == text
    assert "@jupyterlab" not in text and "require(" not in text
