"""The package's grid (widgets/datagrid), kernel side: driven with the messages its page sends
("window", "sort", "open", "edit") and read through what it answers and its synced state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sinch_notebook.widgets.datagrid import DataGrid, FrameSource, WindowSource
from sinch_notebook.widgets.datagrid.sources import TableSource
from sinch_notebook.widgets.table import SubprojectTable


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


def test_the_browse_table_is_a_window_source() -> None:
    table = SubprojectTable()
    table.load(
        [
            {
                "subprojectId": f"01SP{n:022d}",
                "displayName": f"Shop {n}",
                "labels": {"region": "eu"} if n % 2 else {},
                "createTime": "2026-01-02T03:04:05Z",
                "updateTime": "2026-02-03T04:05:06Z",
                "deleted": n == 3,
            }
            for n in range(6)
        ]
    )
    rows = np.array([5, 3, 1])
    source = TableSource(table, rows)
    assert isinstance(source, WindowSource) and isinstance(FrameSource(frame(1)), WindowSource)
    assert source.count == 3 and source.columns == ["Name", "Labels", "Updated", "Created", "ID"]
    assert source.window(1, 3) == [
        [
            "Shop 3 (deleted)",
            "region=eu",
            "2026-02-03 04:05 UTC",
            "2026-01-02 03:04 UTC",
            table.ids[3],
        ],
        ["Shop 1", "region=eu", "2026-02-03 04:05 UTC", "2026-01-02 03:04 UTC", table.ids[1]],
    ]
    assert source.id_at(0) == table.ids[5] and source.id_at(3) is None


@pytest.mark.parametrize("name", ["grid.js", "grid.css"])
def test_the_front_end_ships_as_package_files(name: str) -> None:
    """No build step: the module and its CSS are files of the package, sent as the widget's
    `_esm` and `_css`; the module uses no JupyterLab API (it runs in Voila and VS Code too)."""
    from importlib.resources import files

    text = (files("sinch_notebook.widgets.datagrid") / name).read_text(encoding="utf-8")
    state = DataGrid().get_state()
    assert state["_esm" if name.endswith(".js") else "_css"] == text
    assert "@jupyterlab" not in text and "require(" not in text
