"""The Bulk tab saves the plan it shows and opens a plan file (a path or an upload), then applies
it under the same rules: once, refused when stale, mass updates only when ticked (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .helpers import SECRET, plain, send_file


def renamed(sandbox: Sandbox, count: int) -> pd.DataFrame:
    frame = sandbox.connect(activate=False).frame()
    frame = frame[~frame["deleted"]].reset_index(drop=True)
    frame.loc[: count - 1, "displayName"] = [f"From a file {i}" for i in range(count)]
    return frame


def plan_frame(panel: Panel, namespace: dict, frame: pd.DataFrame) -> None:
    namespace["edited"] = frame
    panel.bulk_form.rescan()
    panel.bulk_form.variable.value = "edited"
    panel.bulk_form.plan_button.click()
    assert panel.wait()


def text(panel: Panel) -> str:
    form = panel.bulk_form
    return " ".join(
        plain(w.value) for w in (form.picker_status, form.editor.plan_view, form.editor.status)
    )


def names(sandbox: Sandbox) -> dict[str, str]:
    return {r["subprojectId"]: r["displayName"] for r in sandbox.subprojects()}


def test_save_then_open_then_apply_once(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    panel, namespace = bulk_panel
    frame = renamed(secret_sandbox, 2)
    plan_frame(panel, namespace, frame)
    form = panel.bulk_form
    shown = form.editor.plan_view.value
    form.plan_path.value = "change.json"
    form.save_button.click()
    assert (tmp_path / "change.json").exists()
    assert "Saved the plan to change.json" in text(panel)
    assert SECRET not in (tmp_path / "change.json").read_text()

    form.plan_path.value = "change.json"
    form.open_button.click()
    assert form.plan is not None and form.plan.loaded
    assert form.editor.plan_view.value == shown  # reviews exactly like the original
    assert not form.apply_button.disabled
    form.apply_button.click()
    assert panel.wait()
    assert form.result is not None and form.result.ok, text(panel)
    assert names(secret_sandbox)[frame.loc[0, "subprojectId"]] == "From a file 0"
    assert (tmp_path / "change.journal.jsonl").exists()

    form.open_button.click()  # the same file again
    form.apply_button.click()
    assert panel.wait()
    assert "already applied" in plain(form.editor.status.value)


def test_an_uploaded_plan_is_kept_beside_its_journal_and_applied(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    panel, _namespace = bulk_panel
    frame = renamed(secret_sandbox, 1)
    client = secret_sandbox.connect(activate=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    content = client.plan(frame).save(elsewhere / "upload.json").read_bytes()
    form = panel.bulk_form
    send_file(form.upload, "upload.json", content)  # what the page sends after an upload
    assert (tmp_path / "upload.json").read_bytes() == content
    assert form.plan is not None and "Opened" in text(panel)
    form.apply_button.click()
    assert panel.wait()
    assert form.result is not None and form.result.ok, text(panel)
    assert (tmp_path / "upload.journal.jsonl").exists()


def test_a_stale_plan_file_is_refused_in_the_panel(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    panel, _namespace = bulk_panel
    frame = renamed(secret_sandbox, 1)
    client = secret_sandbox.connect(activate=False)
    client.plan(frame).save(tmp_path / "change.json")
    client.update(frame.loc[0, "subprojectId"], display_name="Someone else")
    form = panel.bulk_form
    form.open_plan("change.json")
    form.apply_button.click()
    assert panel.wait()
    assert "is stale" in plain(form.editor.status.value)
    assert names(secret_sandbox)[frame.loc[0, "subprojectId"]] == "Someone else"


def test_mass_update_needs_the_checkbox(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, namespace = bulk_panel
    live = sum(1 for r in secret_sandbox.subprojects() if not r["deleted"])
    count = int(live * 0.3) + 1
    frame = renamed(secret_sandbox, count)
    plan_frame(panel, namespace, frame)
    form = panel.bulk_form
    assume = f"Updates {count:,} of the project's {live:,} live subprojects"
    assert assume in plain(form.editor.plan_view.value)
    form.apply_button.click()
    assert panel.wait()
    status = plain(form.editor.status.value)
    assert f"updates {count:,} of the project's {live:,} live subprojects" in status
    assert "allow mass update" in status
    assert names(secret_sandbox)[frame.loc[0, "subprojectId"]] != "From a file 0"
    form.editor.runner.allow_mass_update.value = True
    form.apply_button.click()
    assert panel.wait()
    assert form.result is not None and form.result.ok
    assert names(secret_sandbox)[frame.loc[0, "subprojectId"]] == "From a file 0"


def test_an_upload_never_overwrites_a_different_file(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    panel, _namespace = bulk_panel
    (tmp_path / "change.json").write_text("mine")
    content = b'{"format": "sinch-notebook plan"}'
    send_file(panel.bulk_form.upload, "change.json", content)
    assert (tmp_path / "change.json").read_text() == "mine"
    assert "a different change.json is already in the working folder" in text(panel)
    assert panel.bulk_form.plan is None


def test_a_refused_upload_is_said_in_the_tab_and_not_kept(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    """Issue 33 item 5: the refusal replaces the tab's old "Done", and the file is not kept."""
    panel, namespace = bulk_panel
    plan_frame(panel, namespace, renamed(secret_sandbox, 1))
    form = panel.bulk_form
    form.apply_button.click()
    assert panel.wait()
    assert form.result is not None and form.result.ok
    assert plain(form.editor.status.value)  # the apply's outcome is shown
    send_file(form.upload, "broken.json", b'{"format": "nonsense"}')
    assert not (tmp_path / "broken.json").exists()
    assert "broken.json not opened" in plain(form.picker_status.value)
    assert plain(form.editor.status.value) == ""  # no old green Done beside the refusal


def test_save_plan_confirmation_replaces_the_old_status(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    panel, namespace = bulk_panel
    plan_frame(panel, namespace, renamed(secret_sandbox, 1))
    form = panel.bulk_form
    assert "planned" in plain(form.editor.status.value)
    form.save_button.click()
    assert "Saved the plan to change.json" in plain(form.picker_status.value)
    assert plain(form.editor.status.value) == ""
    form.plan_button.click()  # a new outcome: the confirmation goes
    assert panel.wait()
    assert plain(form.picker_status.value) == ""
    assert "planned" in plain(form.editor.status.value)


def test_a_refused_open_is_said_in_the_tab(bulk_panel: tuple[Panel, dict], tmp_path: Path) -> None:
    panel, _namespace = bulk_panel
    form = panel.bulk_form
    form.plan_path.value = "missing.json"
    form.open_button.click()
    assert "Not opened" in plain(form.picker_status.value)
