"""The Browse tab: the grid, filters, header sorting, a row opening Edit, export, 10,000 rows."""

from __future__ import annotations

import base64
import json
import re

import sinch_notebook as sn
from sinch_notebook.display import short_time
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel, live_widgets, plain


def grid_ids(panel: Panel) -> list[str]:
    """The ids in the grid, top to bottom (what the front-end is sent when it scrolls)."""
    return panel.browser.grid.column("ID")


def grid_row(panel: Panel, number: int) -> dict[str, str]:
    """Row `number` of the grid as the page is sent it, by column title."""
    grid = panel.browser.grid.grid
    (cells,) = grid.answer({"type": "window", "start": number, "stop": number + 1})["rows"]
    return dict(zip([c["title"] for c in grid.columns], cells, strict=True))


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
    row = grid_row(connected, 0)
    assert row["Name"] == first["displayName"]
    key, value = sorted(first["labels"].items())[0]
    assert row["Labels"].startswith(f"{key}={value}")  # labels next to the name
    assert row["Updated"] == short_time(sn.models.parse_time(first["updateTime"]))
    assert list(row) == ["Name", "Labels", "Updated", "Created", "ID"]
    updated = [sp.update_time for sp in browser.view]
    assert updated == sorted(updated, reverse=True)


def test_the_grid_grows_with_the_rows_up_to_a_limit(connected: Panel) -> None:
    """The page sizes the grid to its rows, up to `max_rows` one-line rows (the browser tests
    measure it); the kernel tells it how many rows there are and the limit."""
    browser = connected.browser
    grid = browser.grid.grid
    assert grid.count == browser.view_size > 20 and grid.max_rows == 20
    browser.name_filter.value = browser.view[0].subproject_id
    assert grid.count == 1


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
    assert browser.grid.layout.display != "none" and browser.grid.grid.columns
    assert browser.grid.grid.count == 0

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
    names = browser.grid.column("Name")
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
    # what the page sends for a header click (or Enter on it)
    assert browser.grid.grid.answer({"type": "sort", "column": "ID"}) is None
    assert [sp.id for sp in browser.view] == sorted(sp.id for sp in browser.view)
    grid = browser.grid.grid  # the header shows the sort: its arrow and aria-sort
    assert (grid.sort_column, grid.sort_descending) == ("ID", False)
    assert "sorted by ID, A–Z" in grid.caption
    assert connected.wait()
    assert connected.tabs.selected_index == 1  # still Browse: a header click opens nothing


def test_a_row_click_opens_it_in_edit(connected: Panel) -> None:
    browser = connected.browser
    browser.sort_by("Name")
    chosen = browser.view[3]
    browser.grid.grid.answer({"type": "open", "row": 3})  # what the page sends: click or Enter
    assert connected.wait()
    assert connected.tabs.selected_index == connected.tab_index("Edit")
    edit = connected.edit_form
    assert edit.opened is not None and edit.opened.id == chosen.id
    assert edit.subproject_id.value == chosen.id
    edit.clear()  # the same row opens again
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
        grid = browser.grid.grid
        state = {k: v for k, v in grid.get_state().items() if k not in ("_esm", "_css")}
        text = json.dumps(state, default=str)
        assert len(text) < 3_000  # the saved widget state holds no rows (and its code once)
        assert browser.view[0].subproject_id not in json.dumps(grid.get_state(), default=str)
        assert len(grid.answer({"type": "window", "start": 9_000, "stop": 9_040})["rows"]) == 40
        browser.grid.click_header("Name")
        browser.label_key.value = "tier"
        browser.label_value.value = "enterprise"
        assert 0 < len(browser.view) < alive
        assert live_widgets() == widgets_before
        assert sb.stats["operations"].get("list", 0) <= 11  # 10 pages of 1000 (+ verify)
