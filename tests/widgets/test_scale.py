"""Browse's columnar data path (table.py), keystroke coalescing, and the Bulk tab's re-plan of the
edited rows only: each checked against the one rule it must keep (the core's filter, `sorted()`
with the grid's keys, a full plan)."""

from __future__ import annotations

import random
import threading

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.bulk.plan import make_plan, replan_rows
from sinch_notebook.filters import SubprojectFilter
from sinch_notebook.models import Subproject
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.sandbox.seed import demo_subprojects
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.browse_columns import COLUMNS
from sinch_notebook.widgets.table import SubprojectTable
from sinch_notebook.widgets.worker import Debouncer

from .conftest import PanelFactory
from .helpers import connect_panel


def awkward_records() -> list[dict]:
    """Seeded records plus the cases folding and sorting get wrong: case, padding, ties, no
    labels, a missing time, unicode that casefolds to two letters, an unknown field."""
    records = demo_subprojects(400, "p", seed=5)
    records[0] = {**records[0], "displayName": "  STRASSE  ", "labels": {"Region": " EU-West "}}
    records[1] = {**records[1], "displayName": "straße", "labels": {}}
    records[2] = {**records[2], "displayName": records[3]["displayName"], "updateTime": None}
    records[4] = {**records[4], "extraField": {"kept": True}, "deleted": True}
    records[5] = {**records[5], "updateTime": records[6]["updateTime"]}
    return records


FILTERS = [
    SubprojectFilter(),
    SubprojectFilter(show_deleted=True),
    SubprojectFilter(text="strasse"),
    SubprojectFilter(text="ac"),
    SubprojectFilter(text="acme"),
    SubprojectFilter(text="  ACME "),
    SubprojectFilter(text="a", show_deleted=True),
    SubprojectFilter(label_key="region"),
    SubprojectFilter(label_key="REGION", label_value="eu"),
    SubprojectFilter(label_value="west"),
    SubprojectFilter(label_key="nope"),
    SubprojectFilter(labels={"tier": "gold", "region": ""}),
    SubprojectFilter(text="0", label_key="tier", label_value="e", show_deleted=True),
]


def test_select_keeps_exactly_what_the_cores_filter_keeps() -> None:
    records = awkward_records()
    table = SubprojectTable()
    table.load(records)
    subprojects = [Subproject.from_api(r) for r in records]
    for wanted in FILTERS:  # in this order: typing "a", "ac", "acme" refines the last search
        mask = table.select(wanted)
        expected = [wanted.matches(sp) for sp in subprojects]
        assert list(mask) == expected, wanted


@pytest.mark.parametrize("column", [c.title for c in COLUMNS])
@pytest.mark.parametrize("descending", [False, True])
def test_orders_are_sorted_with_the_grids_keys(column: str, descending: bool) -> None:
    records = awkward_records()
    table = SubprojectTable()
    table.load(records)
    key = next(c.key for c in COLUMNS if c.title == column)
    subprojects = [Subproject.from_api(r) for r in records]
    expected = sorted(range(len(records)), key=lambda i: key(subprojects[i]), reverse=descending)
    assert list(table.order(column, descending)) == expected


def test_records_come_back_as_loaded_and_upsert_replaces_or_appends() -> None:
    records = awkward_records()
    table = SubprojectTable()
    table.load(records)
    assert [table.record(i) for i in range(len(table))] == [Subproject.from_api(r) for r in records]
    assert table.record(4).extra == {"extraField": {"kept": True}}
    changed = Subproject.from_api(
        {**records[7], "displayName": "Renamed", "labels": {"new-key": "v"}}
    )
    table.upsert(changed)
    assert table.record(7) == changed and len(table) == len(records)
    assert (
        list(table.select(SubprojectFilter(label_key="new-key", show_deleted=True))).count(True)
        == 1
    )
    added = Subproject.from_api(
        {**records[8], "subprojectId": "01NEWROW", "displayName": "New", "deleted": False}
    )
    table.upsert(added)
    assert len(table) == len(records) + 1 and table.record(len(records)) == added
    mask = table.select(SubprojectFilter(text="renamed", show_deleted=True))
    assert [table.ids[i] for i in range(len(table)) if mask[i]] == [records[7]["subprojectId"]]
    assert [cells[0] for cells in table.cells_of(table.order("Name", False))].count("New") == 1


def test_a_burst_of_requests_runs_once_and_a_request_while_running_once_more() -> None:
    ran: list[int] = []
    started, release = threading.Event(), threading.Event()

    def job() -> None:
        ran.append(1)
        if len(ran) == 2:
            started.set()
            release.wait(10)

    debouncer = Debouncer(job, 0.05)
    for _ in range(10):
        debouncer.request()
    assert debouncer.settle(flush=False)
    assert len(ran) == 1
    debouncer.request()
    assert started.wait(10)  # the second run is going on
    for _ in range(5):
        debouncer.request()  # arrive while it runs: one more run, not five
    release.set()
    assert debouncer.settle(flush=False)
    assert len(ran) == 3 and debouncer.runs == 3


def keystroke(widget, value) -> None:
    """A value as the front-end sends it (ipywidgets applies it under its property lock)."""
    widget.set_state({"value": value})


def test_keystrokes_from_the_front_end_filter_once_per_burst(connected: Panel) -> None:
    browser = connected.browser
    before = browser.filter_runs
    word = browser.view[0].display_name[:4]
    for n in range(1, len(word) + 1):
        keystroke(browser.name_filter, word[:n])
    assert browser.settle(flush=False)
    assert browser.filter_runs == before + 1
    assert browser.view and all(
        word.casefold() in sp.display_name.casefold() for sp in browser.view
    )
    browser.name_filter.value = "zzz-no-such"  # from code: applied at once, no debounce
    assert browser.view_size == 0 and browser.filter_runs == before + 1


def test_one_edited_cell_is_replanned_like_a_full_plan() -> None:
    with Sandbox(subprojects=80, seed=2) as sb:
        client = sn.connect(
            key_id=sb.key_id,
            key_secret=sb.env()["SINCH_KEY_SECRET"],
            project_id=sb.project_id,
            api_url=sb.url,
            auth_url=sb.token_url,
            activate=False,
        )
        frame = client.frame()
        frame.loc[3, "displayName"] = "x" * 300  # invalid: stays invalid, not re-planned
        server = client.records()
        plan = make_plan(client, frame, server=server)
        rng = random.Random(4)
        for _ in range(6):
            row = rng.choice([r for r in frame.index if r != 3])
            frame.loc[row, "displayName"] = f"Edited {rng.random():.6f}"
            frame.loc[row, "label.tier"] = rng.choice(["gold", pd.NA, "silver"])
            plan = replan_rows(plan, frame, [row], server)
            assert plan is not None
            full = make_plan(client, frame, server=server)
            assert plan.summary() == full.summary() and plan.unchanged == full.unchanged
            assert sorted(c.key for c in plan.changes) == sorted(c.key for c in full.changes)
            assert {c.key: c.fields for c in plan.changes} == {
                c.key: c.fields for c in full.changes
            }
        assert replan_rows(plan, frame, [3], server) is None  # invalid before: a full plan
        twice = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
        assert replan_rows(plan, twice, [0], server) is None  # a duplicated id: a full plan


def test_the_bulk_tab_replans_an_edit_without_listing_the_account(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    namespace: dict = {}
    panel = make_panel(namespace=namespace)
    connect_panel(panel, secret_sandbox)
    namespace["df"] = sn.require_active().frame()
    panel.bulk_form.load("df")
    assert panel.wait()
    assert panel.bulk_form.plan is not None and len(panel.bulk_form.plan) == 0
    requests = secret_sandbox.stats["requests"]
    panel.bulk_form.editor.set_cell(2, "displayName", "Edited in the grid")
    assert panel.wait()
    assert len(panel.bulk_form.plan) == 1
    assert secret_sandbox.stats["requests"] == requests  # planned without a listing
    panel.bulk_form.apply_button.click()
    assert panel.wait()
    assert panel.bulk_form.result is not None and panel.bulk_form.result.ok
    requests = secret_sandbox.stats["requests"]
    panel.bulk_form.editor.set_cell(2, "displayName", "Edited again")
    assert panel.wait()
    # After an apply the plan reads the server again, which now has the frame's row newer
    # than the frame: a conflict, as a full plan says.
    assert secret_sandbox.stats["requests"] > requests
    assert len(panel.bulk_form.plan.conflicts) == 1
