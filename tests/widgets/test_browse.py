"""The Browse tab: the grid, filters, header sorting, a row opening Edit, export, 10,000 rows."""

from __future__ import annotations

import base64
import json
import re

import pytest

import sinch_notebook as sn
from sinch_notebook.display import short_time
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel, live_widgets, plain


def grid_ids(panel: Panel) -> list[str]:
    """The ids in the grid, top to bottom (what the front-end is sent when it scrolls)."""
    return list(panel.browser.grid._frame["ID"])


def live(sandbox: Sandbox) -> list[dict]:
    return [sp for sp in sandbox.subprojects() if not sp["deleted"]]


def test_the_grid_shows_every_match_and_the_count(
    connected: Panel, secret_sandbox: Sandbox
) -> None:
    browser = connected.browser
    alive = live(secret_sandbox)
    deleted = len(secret_sandbox.subprojects()) - len(alive)
    assert deleted > 0  # the demo data has some, so "hidden" is exercised
    count = plain(browser.count.value)
    assert f"Showing {len(alive)} of {len(alive)} subprojects ({deleted} deleted hidden)" in count
    assert "sorted by Updated, newest first" in count
    ids = grid_ids(connected)
    assert sorted(ids) == sorted(sp["subprojectId"] for sp in alive)
    first = next(sp for sp in alive if sp["subprojectId"] == ids[0])
    row = browser.grid._frame.iloc[0]
    assert row["Name"] == first["displayName"]
    key, value = sorted(first["labels"].items())[0]
    assert row["Labels"].startswith(f"{key}={value}")  # labels next to the name
    assert row["Updated"] == short_time(sn.models.parse_time(first["updateTime"]))
    assert list(browser.grid._frame.columns) == ["Name", "Labels", "Updated", "Created", "ID"]
    updated = [sp.update_time for sp in browser.view]
    assert updated == sorted(updated, reverse=True)


def test_the_grid_grows_with_the_rows_up_to_a_limit(connected: Panel) -> None:
    browser = connected.browser
    tall = int(browser.grid.grid.layout.height.rstrip("px"))
    browser.name_filter.value = browser.view[0].subproject_id
    short = int(browser.grid.grid.layout.height.rstrip("px"))
    assert short < tall
    assert tall >= 20 * 20  # 20 rows in view at once, not 4 or 5


def test_name_filter_matches_names_and_ids(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    word = live(secret_sandbox)[0]["displayName"].split()[0]
    expected = [
        sp for sp in live(secret_sandbox) if word.casefold() in sp["displayName"].casefold()
    ]
    browser.name_filter.value = word.upper()
    assert {sp.id for sp in browser.view} == {sp["subprojectId"] for sp in expected}
    assert f"Showing {len(expected)} of" in plain(browser.count.value)

    one = expected[0]["subprojectId"]
    browser.name_filter.value = one.lower()
    assert [sp.id for sp in browser.view] == [one]


def test_no_match_keeps_the_grid_and_says_how_to_get_rows_back(connected: Panel) -> None:
    browser = connected.browser
    browser.name_filter.value = "no such subproject anywhere"
    browser.label_key.value = "region"
    assert browser.view == []
    count = plain(browser.count.value)
    assert "No subproject matches these filters" in count and "Clear filters" in count
    assert browser.grid.layout.display != "none" and list(browser.grid._frame.columns)

    browser.clear_button.click()
    assert browser.name_filter.value == "" and browser.label_key.value == ""
    assert len(browser.view) == len([sp for sp in browser.rows if not sp.deleted])


def test_label_filters_are_the_cores(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    alive = live(secret_sandbox)
    assert "region" in browser.label_key.options
    browser.label_key.value = "REGION"  # the key ignoring case, as %sinch list --label does
    assert len(browser.view) == sum(1 for sp in alive if "region" in sp["labels"])
    browser.label_value.value = "EU"
    expected = {
        sp["subprojectId"] for sp in alive if "eu" in sp["labels"].get("region", "").casefold()
    }
    assert expected and {sp.id for sp in browser.view} == expected
    filt = browser.filter
    assert all(filt.matches(sp) for sp in browser.view)


def test_show_deleted(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    everything = secret_sandbox.subprojects()
    browser.show_deleted.value = True
    assert len(browser.view) == len(everything)
    assert "hidden" not in browser.count.value
    names = list(browser.grid._frame["Name"])
    assert sum(name.endswith("(deleted)") for name in names) == sum(
        sp["deleted"] for sp in everything
    )


def test_a_header_click_sorts_the_whole_view_and_a_second_reverses(connected: Panel) -> None:
    browser = connected.browser
    connected.show_tab("Browse")
    browser.grid.click_header("Name")
    names = [sp.display_name.casefold() for sp in browser.view]
    assert names == sorted(names)
    assert grid_ids(connected) == [sp.id for sp in browser.view]
    assert "sorted by Name, A–Z" in plain(browser.count.value)
    browser.grid.click_header("Name")
    assert [sp.display_name.casefold() for sp in browser.view] == sorted(names, reverse=True)
    browser.grid.click_header("Created")  # times start newest first
    created = [sp.create_time for sp in browser.view]
    assert created == sorted(created, reverse=True)
    # what the front-end sends for a header click: a cell-click in the column-header region
    browser.grid._on_cell_click({"region": "column-header", "column": "ID", "row": 0})
    browser.grid._on_selection({"new": [{"r1": 0, "r2": 60, "c1": 4, "c2": 4}]})  # ignored
    assert [sp.id for sp in browser.view] == sorted(sp.id for sp in browser.view)
    assert connected.wait()
    assert connected.tabs.selected_index == 1  # still Browse: a header click opens nothing


def test_a_row_click_opens_it_in_edit(connected: Panel) -> None:
    browser = connected.browser
    browser.sort_by("Name")
    chosen = browser.view[3]
    browser.grid._on_selection({"new": [{"r1": 3, "r2": 3, "c1": 0, "c2": 4}]})  # as clicked
    assert connected.wait()
    assert connected.tabs.selected_index == connected.tab_index("Edit")
    edit = connected.edit_form
    assert edit.opened is not None and edit.opened.id == chosen.id
    assert edit.subproject_id.value == chosen.id
    assert browser.grid.grid.selections == []  # so the same row can be clicked again
    edit.clear()
    browser.grid.click_row(3)
    assert connected.wait()
    assert edit.opened is not None and edit.opened.id == chosen.id


def test_refresh_shows_changes_made_elsewhere(connected: Panel, secret_sandbox: Sandbox) -> None:
    other = secret_sandbox.connect(activate=False)
    made = other.create("Made Elsewhere GmbH", labels={"region": "eu-central"})
    assert made.id not in {sp.id for sp in connected.browser.rows}
    connected.browser.refresh_button.click()
    assert connected.wait()
    connected.browser.name_filter.value = "made elsewhere"
    assert [sp.id for sp in connected.browser.view] == [made.id]


def test_a_load_failure_is_a_message(connected: Panel, secret_sandbox: Sandbox) -> None:
    secret_sandbox.inject(403, method="GET", path_contains="/subprojects")
    connected.browser.refresh_button.click()
    assert connected.wait()
    assert "Could not load subprojects: 403" in plain(connected.browser.count.value)
    assert "Could not load subprojects" in connected.activity.newest()
    assert not connected.browser.refresh_button.disabled


def test_a_network_failure_is_in_plain_words(connected: Panel, secret_sandbox: Sandbox) -> None:
    sn.require_active().retry = sn.RetryPolicy(retries=0)
    secret_sandbox.stop()
    connected.browser.refresh_button.click()
    assert connected.wait()
    text = plain(connected.browser.count.value)
    assert "the connection was refused" in text
    assert "urllib3" not in text and "HTTPConnectionPool" not in text and "Errno" not in text


def _download(panel: Panel) -> tuple[str, bytes]:
    link = panel.browser.download.value
    name = re.search(r'download="([^"]+)"', link).group(1)
    data = re.search(r'href="data:[^;]+;base64,([^"]+)"', link).group(1)
    return name, base64.b64decode(data)


def test_export_the_view_as_csv_and_excel_and_both_plan_no_change(connected: Panel) -> None:
    browser = connected.browser
    browser.label_key.value = "region"
    browser.label_value.value = "eu"
    browser.csv_button.click()
    name, data = _download(connected)
    assert name.startswith("subprojects-") and name.endswith(".csv")
    from_csv = sn.read_csv(data)  # the documented reader
    assert list(from_csv["subprojectId"]) == [sp.id for sp in browser.view]
    assert len(sn.plan(from_csv)) == 0

    browser.excel_button.click()
    name, data = _download(connected)
    assert name.endswith(".xlsx")
    from_excel = sn.read_excel(data)
    assert list(from_excel["subprojectId"]) == [sp.id for sp in browser.view]
    plan = sn.plan(from_excel)
    assert len(plan) == 0 and not plan.conflicts and not plan.invalid, str(plan)
    assert "Exported" in connected.activity.newest()

    browser.name_filter.value = "x"  # the link was for the old view: it goes
    assert browser.download.value == ""


def test_ten_thousand_subprojects_stay_in_the_kernel(make_panel: PanelFactory) -> None:
    with Sandbox(subprojects=10_000, seed=1, retry_after=0) as sb:
        panel = make_panel()
        widgets_before = live_widgets()
        connect_panel(panel, sb)
        browser = panel.browser
        assert len(browser.rows) == 10_000
        alive = len(live(sb))
        assert f"Showing {alive:,} of {alive:,}" in plain(browser.count.value)
        assert live_widgets() == widgets_before  # loading made no widget per row
        state = json.dumps(browser.grid.grid.get_state(), default=str)
        assert len(state) < 10_000  # the saved widget state holds no rows
        assert browser.view[0].subproject_id not in state
        browser.grid.click_header("Name")
        browser.label_key.value = "tier"
        browser.label_value.value = "enterprise"
        assert 0 < len(browser.view) < alive
        assert live_widgets() == widgets_before
        assert sb.stats["operations"].get("list", 0) <= 11  # 10 pages of 1000 (+ verify)


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
