"""The Browse tab: table, filters, paging, sorting, opening in Edit, and 10,000 subprojects."""

from __future__ import annotations

import re

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.browse import table_html

from .conftest import PanelFactory
from .helpers import connect_panel, live_widgets


def table_ids(panel: Panel) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)"', panel.browser.table.value)


def live(sandbox: Sandbox) -> list[dict]:
    return [sp for sp in sandbox.subprojects() if not sp["deleted"]]


def test_the_table_shows_one_page_and_the_count(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    alive = live(secret_sandbox)
    deleted = len(secret_sandbox.subprojects()) - len(alive)
    assert deleted > 0  # the demo data has some, so "hidden" is exercised
    assert f"Showing 1–25 of {len(alive)}" in browser.count.value
    assert f"{len(alive) + deleted} loaded ({deleted} deleted hidden)" in browser.count.value
    ids = table_ids(connected)
    assert len(ids) == 25 and len(browser.select.options) == 25
    first = next(sp for sp in alive if sp["subprojectId"] == ids[0])
    row = browser.table.value.split(f'data-id="{ids[0]}"')[1].split("</tr>")[0]
    assert first["displayName"].replace("&", "&amp;") in row
    key, value = next(iter(first["labels"].items()))
    assert f"{key}={value}" in row
    assert first["createTime"][:10] in row and first["updateTime"][:10] in row
    for title in ("Name", "ID", "Labels", "Created (UTC)", "Updated (UTC)"):
        assert f">{title}</th>" in browser.table.value
    assert f"Page 1 of {-(-len(alive) // 25)}" in browser.page_label.value


def test_name_filter_matches_names_and_ids(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    word = live(secret_sandbox)[0]["displayName"].split()[0]
    expected = [
        sp for sp in live(secret_sandbox) if word.casefold() in sp["displayName"].casefold()
    ]
    browser.name_filter.value = word.upper()
    assert {sp.id for sp in browser.view} == {sp["subprojectId"] for sp in expected}
    assert f"of {len(expected)}" in browser.count.value

    one = expected[0]["subprojectId"]
    browser.name_filter.value = one.lower()
    assert [sp.id for sp in browser.view] == [one]

    browser.name_filter.value = "no such subproject anywhere"
    assert browser.view == []
    assert "No subprojects match" in browser.count.value
    assert browser.table.value == "" and browser.select.options == ()


def test_label_filters(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    alive = live(secret_sandbox)
    assert "region" in browser.label_key.options

    browser.label_key.value = "region"
    assert len(browser.view) == sum(1 for sp in alive if "region" in sp["labels"])

    browser.label_value.value = "EU"  # case-insensitive substring of the value
    expected = {
        sp["subprojectId"] for sp in alive if "eu" in sp["labels"].get("region", "").casefold()
    }
    assert expected and {sp.id for sp in browser.view} == expected

    browser.label_key.value = ""  # a value alone matches any label's value
    expected_any = {
        sp["subprojectId"]
        for sp in alive
        if any("eu" in v.casefold() for v in sp["labels"].values())
    }
    assert {sp.id for sp in browser.view} == expected_any

    browser.label_key.value = "no-such-key"
    assert browser.view == []


def test_show_deleted(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    everything = secret_sandbox.subprojects()
    browser.show_deleted.value = True
    assert len(browser.view) == len(everything)
    assert "hidden" not in browser.count.value
    browser.sort.value = "Name A–Z"
    browser.page_size.value = 200
    assert browser.table.value.count("deleted</span>") == sum(sp["deleted"] for sp in everything)
    assert any("(deleted)" in label for label, _ in browser.select.options)


def test_paging(connected: Panel, secret_sandbox: Sandbox) -> None:
    browser = connected.browser
    total = len(live(secret_sandbox))
    first_page = table_ids(connected)
    assert browser.prev_button.disabled and not browser.next_button.disabled

    pages = -(-total // 25)
    assert pages >= 3
    browser.next_button.click()
    assert f"Showing 26–50 of {total}" in browser.count.value
    assert not set(table_ids(connected)) & set(first_page)
    assert f"Page 2 of {pages}" in browser.page_label.value
    assert not browser.next_button.disabled and not browser.prev_button.disabled
    browser.go_to_page(pages - 1)
    assert f"Showing {(pages - 1) * 25 + 1}–{total} of {total}" in browser.count.value
    assert browser.next_button.disabled

    browser.go_to_page(0)
    assert table_ids(connected) == first_page
    assert browser.prev_button.disabled

    browser.page_size.value = 50
    assert len(table_ids(connected)) == 50
    browser.next_button.click()
    browser.name_filter.value = "a"  # a new filter starts again at page 1
    assert "Page 1 of" in browser.page_label.value
    seen = [sp.id for sp in browser.view]
    assert len(seen) == len(set(seen))


def test_sorting(connected: Panel) -> None:
    browser = connected.browser
    browser.sort.value = "Name A–Z"
    names = [sp.display_name.casefold() for sp in browser.view]
    assert names == sorted(names)
    browser.sort.value = "Newest first"
    created = [sp.create_time for sp in browser.view]
    assert created == sorted(created, reverse=True)
    browser.sort.value = "Oldest first"
    assert [sp.create_time for sp in browser.view] == sorted(created)


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
    assert "Could not load subprojects: 403" in connected.browser.count.value
    assert "Could not load subprojects" in connected.log_text()
    assert not connected.browser.refresh_button.disabled


def test_selecting_a_row_opens_it_in_edit(connected: Panel) -> None:
    browser = connected.browser
    browser.next_button.click()
    label, chosen = browser.select.options[3]
    browser.select.value = chosen
    assert connected.wait()
    assert connected.tabs.selected_index == 3  # the Edit tab
    edit = connected.edit_form
    assert edit.opened is not None and edit.opened.id == chosen
    assert edit.name.value in label
    assert edit.subproject_id.value == chosen
    assert browser.select.value is None  # so the same row can be picked again
    edit.clear()
    browser.select.value = chosen
    assert connected.wait()
    assert edit.opened is not None and edit.opened.id == chosen


def test_an_unexpected_error_in_a_handler_lands_in_the_log(connected: Panel) -> None:
    connected.browser.page_size.options = [25, 0]  # a page size of 0 divides by zero
    connected.browser.page_size.value = 0
    assert "unexpected ZeroDivisionError" in connected.log_text()


def test_names_are_escaped(connected: Panel, secret_sandbox: Sandbox) -> None:
    sn.require_active().create("<img src=x onerror=alert(1)>", labels={"<k>": "<v>"})
    connected.browser.refresh()
    assert connected.wait()
    html = connected.browser.table.value + table_html(connected.browser.view, 1)
    assert "<img" not in html and "&lt;img src=x" in html
    assert "&lt;k&gt;=&lt;v&gt;" in html


def test_ten_thousand_subprojects_cost_one_page_of_front_end_work(
    make_panel: PanelFactory,
) -> None:
    with Sandbox(subprojects=10_000, seed=1, retry_after=0) as sb:
        panel = make_panel()
        widgets_before = live_widgets()
        connect_panel(panel, sb)
        browser = panel.browser
        assert len(browser.rows) == 10_000
        alive = len(live(sb))
        assert f"Showing 1–25 of {alive:,}" in browser.count.value
        assert live_widgets() == widgets_before  # loading made no widget per row
        assert len(table_ids(panel)) == 25 and len(browser.select.options) == 25
        assert len(browser.table.value) < 50_000

        browser.page_size.value = 200
        browser.go_to_page(10_000)  # clamps to the last page
        last = -(-alive // 200)
        assert f"Page {last:,} of {last:,}" in browser.page_label.value
        browser.label_key.value = "tier"
        browser.label_value.value = "enterprise"
        assert 0 < len(browser.view) < alive
        assert live_widgets() == widgets_before
        assert sb.stats["operations"].get("list", 0) <= 11  # 10 pages of 1000 (+ verify)
