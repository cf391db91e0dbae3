"""The Bulk tab, `sn.edit(df)` and Browse's "To DataFrame": a frame in an editable grid, its
plan kept up to date, applied by the engine with the core's confirmations."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pandas as pd
import pytest

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.editor import FrameEditor

from .helpers import plain

CODE_HINTS = ("plan.apply", "force=True", "allow_mass_delete=", "result.failed", "sn.resume")


def truth(sandbox: Sandbox) -> dict[str, dict]:
    return {sp["subprojectId"]: sp for sp in sandbox.subprojects()}


def plan_in_panel(panel: Panel, namespace: dict, name: str, frame: pd.DataFrame) -> FrameEditor:
    """Put `frame` in the notebook as `name`, pick it in the Bulk tab, Load and plan."""
    namespace[name] = frame
    panel.bulk_form.rescan()
    panel.bulk_form.variable.value = name
    panel.bulk_form.plan_button.click()
    assert panel.wait()
    return panel.bulk_form.editor


def gui_text(editor: FrameEditor) -> str:
    return " ".join(
        plain(w.value)
        for w in (editor.plan_view, editor.status, editor.result_view, editor.confirm_text)
    )


def test_to_dataframe_puts_the_current_view_in_a_variable(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    browser = panel.browser
    browser.label_key.value = "region"
    browser.label_value.value = "eu"
    browser.sort_by("Name")
    view = [sp.id for sp in browser.view]
    assert 0 < len(view) < len(browser.rows)
    browser.frame_name.value = "eu_customers"
    browser.frame_button.click()
    assert panel.wait()

    frame = namespace["eu_customers"]
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["subprojectId"]) == view  # every row, in the view's order
    assert {"displayName", "createTime", "updateTime", "deleted"} <= set(frame.columns)
    assert f"eu_customers = DataFrame of {len(view)} rows" in plain(browser.status.value)
    assert panel.bulk_form.variable.value == "eu_customers"  # ready to plan


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
    frame = sn.require_active().frame()
    targets = list(frame["subprojectId"][:12])
    frame.loc[frame["subprojectId"].isin(targets), "label.tier"] = "platinum"
    new = pd.DataFrame([{"displayName": "Bulk Made AB", "label.region": "eu-north"}])
    namespace["not_a_frame"] = [1, 2, 3]
    namespace["edited"] = pd.concat([frame, new], ignore_index=True)
    panel.show_tab("Bulk")  # opening the tab looks for DataFrames
    assert panel.bulk_form.variable.options == ("edited",)
    editor = plan_in_panel(panel, namespace, "edited", namespace["edited"])
    assert "13 changes planned: review them, then Apply." in plain(editor.status.value)
    assert "Plan: 1 to create, 12 to update" in plain(editor.plan_view.value)
    assert "platinum" in editor.plan_view.value
    assert not editor.apply_button.disabled
    before = truth(secret_sandbox)

    seen: list[int] = []
    editor.progress.observe(lambda change: seen.append(change["new"]), names="value")
    editor.workers.value = 4
    editor.apply_button.click()  # no delete in the plan: no question
    assert panel.wait()

    after = truth(secret_sandbox)
    assert all(after[sid]["labels"]["tier"] == "platinum" for sid in targets)
    assert [sp for sp in after.values() if sp["displayName"] == "Bulk Made AB"]
    assert len(after) == len(before) + 1
    assert editor.progress.value == editor.progress.max == 13
    assert seen and seen[-1] == 13  # the bar was driven by apply's progress callback
    assert editor.progress.bar_style == "success"
    result = namespace["edited_result"]
    assert result.ok and editor.result is result
    shown = plain(editor.result_view.value)
    assert "Applied 13 changes in" in shown and "13 ok" in shown
    assert shown.count("13 ok") == 1 and "13 ok" not in plain(editor.status.value)  # once
    assert list(Path(".sinch").glob("journal-*.jsonl"))  # the API's journal, as with plan.apply
    assert editor.apply_button.disabled  # a plan applies once
    assert panel.wait()
    assert "Bulk Made AB" in {sp.display_name for sp in panel.browser.rows}  # Browse reloaded
    assert not any(hint in gui_text(editor) for hint in CODE_HINTS)


def test_editing_cells_in_the_grid_updates_the_plan_and_the_frame(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    editor = plan_in_panel(panel, namespace, "df", frame)
    assert "Nothing to apply" in plain(editor.status.value)
    columns = [c["title"] for c in editor.grid.columns]
    # id, name and the delete tick first: on screen however many label columns follow
    assert columns[:3] == ["subprojectId", "displayName", "delete"]
    assert {c for c in columns[3:]} == {c for c in frame.columns if c.startswith("label.")}
    assert "createTime" not in columns
    assert [c["title"] for c in editor.grid.columns if not c["editable"]] == ["subprojectId"]

    sid = frame.loc[0, "subprojectId"]
    editor.set_cell(0, "displayName", "Renamed In The Grid")
    assert panel.wait()
    assert frame.loc[0, "displayName"] == "Renamed In The Grid"  # the grid edits the frame
    assert "1 change planned: review it, then Apply." in plain(editor.status.value)
    assert "Renamed In The Grid" in editor.plan_view.value

    editor.set_cell(1, "label.tier", "")  # an emptied label cell removes the label
    assert panel.wait()
    assert "2 changes planned" in plain(editor.status.value)

    editor.add_row(displayName="Grid Made Oy")
    assert panel.wait()
    assert "Plan: 1 to create, 2 to update" in plain(editor.plan_view.value)
    assert editor.grid.count == len(frame)
    assert editor.grid.window(len(frame) - 1, len(frame))[0][1] == "Grid Made Oy"
    assert frame["deleted"].dtype == bool and not frame["deleted"].iloc[-1]  # stays boolean

    editor.apply_button.click()
    assert panel.wait()
    server = truth(secret_sandbox)
    assert server[sid]["displayName"] == "Renamed In The Grid"
    assert "tier" not in server[frame.loc[1, "subprojectId"]]["labels"]
    assert [sp for sp in server.values() if sp["displayName"] == "Grid Made Oy"]


def test_the_id_column_is_read_only(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    editor = plan_in_panel(panel, namespace, "df", frame)
    original = frame.loc[0, "subprojectId"]
    editor.set_cell(0, "subprojectId", "01NOTANIDXXXXXXXXXXXXXXXXX")
    assert panel.wait()
    assert frame.loc[0, "subprojectId"] == original
    assert editor.grid.window(0, 1)[0][0] == original  # the grid shows it back
    assert "read-only" in plain(editor.grid_note.value)
    assert "Nothing to apply" in plain(editor.status.value)


def test_a_delete_asks_first_and_cancel_sends_nothing(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    editor = plan_in_panel(panel, namespace, "df", frame)
    doomed = [frame.loc[n, "subprojectId"] for n in (2, 3)]
    editor.set_cell(2, "delete", True)
    editor.set_cell(3, "delete", True)
    assert panel.wait()
    secret_sandbox.reset_stats()

    editor.apply_button.click()
    assert editor.confirm_box.layout.display != "none"
    assert "including 2 deletes (there is no undelete)" in plain(editor.confirm_text.value)
    assert editor.confirm_button.description == "Yes, delete 2"
    assert editor.apply_button.disabled  # one question at a time
    editor.cancel_button.click()
    assert panel.wait()
    assert secret_sandbox.stats["operations"].get("delete", 0) == 0
    assert not any(truth(secret_sandbox)[sid]["deleted"] for sid in doomed)
    assert "Not applied: nothing was sent." in plain(editor.status.value)

    editor.apply_button.click()
    editor.confirm_button.click()
    assert panel.wait()
    assert all(truth(secret_sandbox)[sid]["deleted"] for sid in doomed)


def test_mass_delete_needs_the_switch_then_the_question(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    doomed = list(frame["subprojectId"][:11])
    frame["delete"] = frame["subprojectId"].isin(doomed)
    editor = plan_in_panel(panel, namespace, "cleanup", frame)
    assert "tick “allow mass delete”" in plain(editor.plan_view.value)
    editor.apply_button.click()
    assert "deletes 11 subprojects" in plain(editor.status.value)
    assert "allow mass delete" in plain(editor.status.value)
    assert editor.confirm_box.layout.display == "none"  # refused before asking
    assert not any(truth(secret_sandbox)[sid]["deleted"] for sid in doomed)

    editor.allow_mass_delete.value = True
    editor.apply_button.click()
    assert editor.confirm_button.description == "Yes, delete 11"
    editor.confirm_button.click()
    assert panel.wait()
    assert all(truth(secret_sandbox)[sid]["deleted"] for sid in doomed)


def test_conflicts_are_shown_in_the_panels_words_and_not_applied(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    sid = frame.loc[0, "subprojectId"]
    sn.require_active().update(sid, display_name="Changed Meanwhile")
    frame.loc[0, "label.tier"] = "platinum"
    editor = plan_in_panel(panel, namespace, "stale", frame)
    text = gui_text(editor)
    assert "Nothing to apply (1 conflict)" in text
    assert "⚠ Nothing to apply" in text and "✔" not in plain(editor.status.value)  # a warning
    assert "UTC" in text and "T" not in text.split("changed on the server at ")[1][:12]
    assert "changed on the server since the frame was read" in text
    assert not any(hint in text for hint in CODE_HINTS)
    assert editor.apply_button.disabled
    assert truth(secret_sandbox)[sid]["displayName"] == "Changed Meanwhile"


def test_failures_are_reported_and_retry_failed_applies_them(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    frame.loc[:2, "label.tier"] = "platinum"
    editor = plan_in_panel(panel, namespace, "edits", frame)
    secret_sandbox.inject(403, method="PATCH", times=1)
    editor.apply_button.click()
    assert panel.wait()
    result = namespace["edits_result"]
    assert not result.ok and result.counts["failed"] == 1
    assert editor.progress.bar_style == "warning"
    shown = plain(editor.result_view.value)
    assert "2 ok, 1 failed" in shown and "403" in shown and "Retry failed" in shown
    assert editor.retry_button.layout.display != "none" and not editor.retry_button.disabled

    editor.retry_button.click()
    assert panel.wait()
    assert namespace["edits_result"].ok
    assert all(
        truth(secret_sandbox)[sid]["labels"]["tier"] == "platinum"
        for sid in frame["subprojectId"][:3]
    )
    assert not any(hint in gui_text(editor) for hint in CODE_HINTS)


def test_a_frame_that_cannot_be_planned_is_a_message(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    editor = plan_in_panel(panel, namespace, "odd", pd.DataFrame({"nothing": [1, 2]}))
    assert "Could not plan: edited: needs a subprojectId column" in plain(editor.status.value)
    assert editor.apply_button.disabled


def test_switching_tabs_keeps_a_reviewed_plan(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    frame.loc[0, "displayName"] = "Renamed By Bulk"
    namespace["a_first"] = frame
    namespace["b_second"] = frame.copy()
    plan_in_panel(panel, namespace, "b_second", namespace["b_second"])
    namespace["c_third"] = frame.copy()
    panel.show_tab("Connect")
    panel.show_tab("Bulk")  # rescans: a new variable appears, the choice stays
    assert "c_third" in panel.bulk_form.variable.options
    assert panel.bulk_form.variable.value == "b_second"
    assert panel.bulk_form.plan is not None and not panel.bulk_form.apply_button.disabled


def test_apply_without_a_journal_when_unticked(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    frame.loc[0, "label.tier"] = "platinum"
    editor = plan_in_panel(panel, namespace, "one", frame)
    editor.keep_journal.value = False
    editor.apply_button.click()
    assert panel.wait()
    assert namespace["one_result"].ok
    assert namespace["one_result"].journal_path is None
    assert not Path(".sinch").exists()
    assert "Journal" not in plain(editor.status.value)


def _download(editor: FrameEditor) -> tuple[str, bytes]:
    link = editor.download.value
    name = re.search(r'download="([^"]+)"', link).group(1)
    return name, base64.b64decode(re.search(r"base64,([^\"]+)\"", link).group(1))


def test_the_plan_and_the_result_export_as_csv_and_excel(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    frame.loc[:1, "label.tier"] = "platinum"
    editor = plan_in_panel(panel, namespace, "two", frame)
    editor.export_plan_csv.click()
    name, data = _download(editor)
    assert name.startswith("sinch-plan-") and name.endswith(".csv")
    expected = pd.read_csv(io.StringIO(editor.plan.frame.to_csv(index=False)))
    assert sn.read_csv(data).equals(expected)
    assert editor.export_result_csv.disabled  # nothing applied yet
    editor.apply_button.click()
    assert panel.wait()
    editor.export_result_xlsx.click()
    name, data = _download(editor)
    assert name.endswith(".xlsx")
    exported = sn.read_excel(data)
    assert list(exported["status"]) == ["ok", "ok"]


def test_sn_edit_is_the_same_editor_outside_the_panel(secret_sandbox: Sandbox) -> None:
    client = secret_sandbox.connect()
    frame = client.frame()
    editor = sn.edit(frame)
    try:
        assert isinstance(editor, FrameEditor)
        assert editor.wait()
        editor.set_cell(0, "displayName", "Edited With sn.edit")
        assert editor.wait()
        assert "1 change planned" in plain(editor.status.value)
        editor.keep_journal.value = False
        editor.apply_button.click()
        assert editor.wait()
        assert editor.result is not None and editor.result.ok
        assert client.get(frame.loc[0, "subprojectId"]).display_name == "Edited With sn.edit"
    finally:
        editor.close()


def test_sn_edit_refuses_what_is_not_a_frame() -> None:
    with pytest.raises(sn.ValidationError, match="must be a pandas DataFrame"):
        sn.edit([1, 2, 3])


def test_rows_that_break_a_rule_are_counted_in_words(bulk_panel: tuple[Panel, dict]) -> None:
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    frame.loc[0, "displayName"] = "x" * 256
    editor = plan_in_panel(panel, namespace, "df", frame)
    assert "1 row breaks a rule: not applied" in plain(editor.plan_view.value)
    frame.loc[1, "displayName"] = "y" * 256
    editor.request_plan()
    assert panel.wait()
    assert "2 rows break a rule: not applied" in plain(editor.plan_view.value)
    assert not any(hint in gui_text(editor) for hint in CODE_HINTS)


def test_to_dataframe_counts_rows_and_columns_in_words(connected: Panel) -> None:
    browser = connected.browser
    browser.name_filter.value = browser.view[0].subproject_id
    browser.frame_name.value = "one"
    browser.frame_button.click()
    assert connected.wait()
    assert re.search(r"one = DataFrame of 1 row × \d+ columns", plain(browser.status.value))


def test_the_picker_lists_a_frame_made_after_the_panel_with_bulk_open() -> None:
    """Issue 33 item 14: `df` made in a later cell is listed without clicking anything."""
    from tests.magic_shell import fresh_shell

    with fresh_shell() as shell:
        panel = Panel(autoconnect=False)
        try:
            panel.show_tab("Bulk")
            assert panel.bulk_form.variable.options == ()
            assert shell.run_cell("import pandas as pd\ndf = pd.DataFrame({'a': [1]})").success
            assert panel.bulk_form.variable.options == ("df",)
        finally:
            panel.close()
        shell.run_cell("df2 = df.copy()")  # a closed panel no longer follows cells
        assert panel.bulk_form.variable.options == ("df",)


def test_a_cell_typed_in_the_page_is_checked_by_the_kernel_and_refused_at_the_cell(
    bulk_panel: tuple[Panel, dict],
) -> None:
    """What the grid's page sends for a typed cell ("edit"), and what it is answered: the
    kernel's check, shown at the cell when it fails; the frame and the plan follow when kept."""
    panel, namespace = bulk_panel
    frame = sn.require_active().frame()
    editor = plan_in_panel(panel, namespace, "df", frame)
    grid = editor.grid
    view = grid.view
    refused = grid.answer(
        {"type": "edit", "seq": 1, "row": 0, "column": "delete", "value": "perhaps"}
    )
    assert refused is not None and not refused["ok"]
    assert "delete" in refused["error"] and refused["value"] == "perhaps"
    assert "delete" not in frame.columns or not frame.loc[0, "delete"]
    assert grid.view == view  # nothing changed: the page keeps what it shows

    name = {"type": "edit", "seq": 2, "row": 0, "column": "displayName", "value": "Typed In"}
    kept = grid.answer(name)
    assert kept is not None and kept["ok"] and kept["value"] == "Typed In"
    assert frame.loc[0, "displayName"] == "Typed In" and grid.view > view
    tick = grid.answer({"type": "edit", "seq": 3, "row": 1, "column": "delete", "value": "✔"})
    assert tick is not None and tick["ok"] and tick["value"] == "✔"
    assert bool(frame.loc[1, "delete"])
    assert panel.wait()
    assert "2 changes planned" in plain(editor.status.value)
