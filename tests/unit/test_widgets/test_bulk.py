"""The Bulk tab and Browse's "To DataFrame": pick a frame, review its Plan, Apply with progress."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel, plain


def truth(sandbox: Sandbox) -> dict[str, dict]:
    return {sp["subprojectId"]: sp for sp in sandbox.subprojects()}


@pytest.fixture
def bulk_panel(
    make_panel: PanelFactory,
    secret_sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Panel, dict]:
    """A connected panel over its own namespace; journals go to a temporary directory."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    panel = make_panel(namespace=namespace)
    connect_panel(panel, secret_sandbox)
    return panel, namespace


def plan_in_panel(panel: Panel, namespace: dict, name: str, frame: pd.DataFrame) -> None:
    """Put `frame` in the notebook as `name`, pick it in the Bulk tab and press Plan."""
    namespace[name] = frame
    panel.bulk_form.rescan()
    panel.bulk_form.variable.value = name
    panel.bulk_form.plan_button.click()
    assert panel.wait()


def test_to_dataframe_puts_the_current_view_in_a_variable(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    browser = panel.browser
    browser.label_key.value = "region"
    browser.label_value.value = "eu"
    browser.sort.value = "Name A–Z"
    view = [sp.id for sp in browser.view]
    assert 0 < len(view) < len(browser.rows)
    browser.frame_name.value = "eu_customers"
    browser.frame_button.click()
    assert panel.wait()

    frame = namespace["eu_customers"]
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["subprojectId"]) == view  # every page, in the view's order
    assert {"displayName", "createTime", "updateTime", "deleted"} <= set(frame.columns)
    assert "label.region" in frame.columns
    assert f"eu_customers = DataFrame of {len(view)} rows" in plain(browser.status.value)
    assert panel.bulk_form.variable.value == "eu_customers"  # ready to plan


def test_to_dataframe_includes_deleted_rows_only_when_shown(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    panel.browser.show_deleted.value = True
    panel.browser.frame_button.click()
    assert panel.wait()
    frame = namespace["subprojects_df"]
    assert len(frame) == len(secret_sandbox.subprojects())
    assert frame["deleted"].sum() > 0


def test_to_dataframe_rejects_a_bad_variable_name(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    for bad in ("1st", "class", "my frame", ""):
        panel.browser.frame_name.value = bad
        panel.browser.frame_button.click()
        assert panel.wait()
        assert "is not a valid Python name" in plain(panel.browser.status.value)
    assert namespace == {}


def test_plan_then_apply_with_progress(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    bulk = panel.bulk_form
    frame = sn.require_active().frame()
    targets = list(frame["subprojectId"][:12])
    frame.loc[frame["subprojectId"].isin(targets), "label.tier"] = "platinum"
    new = pd.DataFrame([{"displayName": "Bulk Made AB", "label.region": "eu-north"}])
    namespace["edited"] = pd.concat([frame, new], ignore_index=True)
    namespace["not_a_frame"] = [1, 2, 3]

    panel.tabs.selected_index = 4  # opening the tab looks for DataFrames
    assert bulk.variable.options == ("edited",)
    assert bulk.apply_button.disabled  # nothing planned yet
    bulk.variable.value = "edited"
    bulk.plan_button.click()
    assert panel.wait()
    assert "13 changes planned from edited (create 1 · update 12)" in plain(bulk.status.value)
    assert "platinum" in bulk.plan_html.value
    assert not bulk.apply_button.disabled
    before = truth(secret_sandbox)

    seen: list[int] = []
    bulk.progress.observe(lambda change: seen.append(change["new"]), names="value")
    bulk.workers.value = 4
    bulk.apply_button.click()
    assert panel.wait()

    after = truth(secret_sandbox)
    assert all(after[sid]["labels"]["tier"] == "platinum" for sid in targets)
    assert [sp for sp in after.values() if sp["displayName"] == "Bulk Made AB"]
    assert len(after) == len(before) + 1
    assert bulk.progress.value == bulk.progress.max == 13
    assert seen and seen[-1] == 13  # the bar was driven by apply's progress callback
    assert bulk.progress.bar_style == "success"
    assert "13 / 13" in bulk.progress_label.value
    assert "Applied: ok 13" in plain(bulk.status.value)
    result = namespace["edited_result"]
    assert result.ok and bulk.result is result
    assert bulk.result_html.value == result._repr_html_()
    assert list(Path(".sinch").glob("journal-*.jsonl"))  # the API's journal, as with plan.apply
    assert bulk.apply_button.disabled  # a plan applies once
    assert panel.wait()
    assert "Bulk Made AB" in {sp.display_name for sp in panel.browser.rows}  # Browse reloaded


def test_conflicts_are_shown_and_not_applied(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    sid = frame.loc[0, "subprojectId"]
    sn.require_active().update(sid, display_name="Changed Meanwhile")
    frame.loc[0, "label.tier"] = "platinum"
    plan_in_panel(panel, namespace, "stale", frame)
    assert "Nothing to apply from stale. Not applied: conflict 1" in plain(
        panel.bulk_form.status.value
    )
    assert panel.bulk_form.apply_button.disabled
    assert truth(secret_sandbox)[sid]["displayName"] == "Changed Meanwhile"


def test_mass_delete_needs_the_checkbox(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    bulk = panel.bulk_form
    frame = sn.require_active().frame()
    doomed = list(frame["subprojectId"][:11])
    frame["delete"] = frame["subprojectId"].isin(doomed)  # the bulk layer's delete column
    plan_in_panel(panel, namespace, "cleanup", frame)
    bulk.apply_button.click()
    assert panel.wait()
    assert "deletes 11 subprojects" in plain(bulk.status.value)
    assert "allow mass delete" in plain(bulk.status.value)
    assert not any(truth(secret_sandbox)[sid]["deleted"] for sid in doomed)
    assert not bulk.apply_button.disabled  # the reviewed plan is still there

    bulk.allow_mass_delete.value = True
    bulk.apply_button.click()
    assert panel.wait()
    assert all(truth(secret_sandbox)[sid]["deleted"] for sid in doomed)
    assert "ok 11" in plain(bulk.status.value)


def test_failures_are_reported_with_the_failed_plan(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    bulk = panel.bulk_form
    frame = sn.require_active().frame()
    frame.loc[:2, "label.tier"] = "platinum"
    plan_in_panel(panel, namespace, "edits", frame)
    secret_sandbox.inject(403, method="PATCH", times=1)
    bulk.apply_button.click()
    assert panel.wait()
    result = namespace["edits_result"]
    assert not result.ok and result.counts["failed"] == 1
    assert bulk.progress.bar_style == "warning"
    assert "failed 1" in plain(bulk.status.value) and "edits_result.failed" in plain(
        bulk.status.value
    )


def test_a_frame_that_cannot_be_planned_is_a_message(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    plan_in_panel(panel, namespace, "odd", pd.DataFrame({"nothing": [1, 2]}))
    assert "Could not plan odd" in plain(panel.bulk_form.status.value)
    assert panel.bulk_form.apply_button.disabled


def test_switching_tabs_keeps_a_reviewed_plan(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    frame.loc[0, "displayName"] = "Renamed By Bulk"
    namespace["a_first"] = frame
    namespace["b_second"] = frame.copy()
    panel.tabs.selected_index = 4
    panel.bulk_form.variable.value = "b_second"
    panel.bulk_form.plan_button.click()
    assert panel.wait()
    namespace["c_third"] = frame.copy()
    panel.tabs.selected_index = 0
    panel.tabs.selected_index = 4  # rescans: a new variable appears, the choice stays
    assert "c_third" in panel.bulk_form.variable.options
    assert panel.bulk_form.variable.value == "b_second"
    assert panel.bulk_form.plan is not None and not panel.bulk_form.apply_button.disabled


def test_apply_without_a_journal_when_unticked(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    bulk = panel.bulk_form
    frame = sn.require_active().frame()
    frame.loc[0, "label.tier"] = "platinum"
    plan_in_panel(panel, namespace, "one", frame)
    bulk.keep_journal.value = False
    bulk.apply_button.click()
    assert panel.wait()
    assert namespace["one_result"].ok
    assert namespace["one_result"].journal_path is None
    assert not Path(".sinch").exists()
    assert "Journal" not in plain(bulk.status.value)
