"""The Bulk tab takes a desired-state file upload: its diff is shown as the plan and applied with
the same buttons and confirmations; once applied, the sync is recorded for the next diff."""

from __future__ import annotations

from pathlib import Path

import sinch_notebook as sn
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .helpers import plain, send_file


def uploaded(panel: Panel, name: str, content: bytes) -> None:
    send_file(panel.bulk_form.desired.upload, name, content)  # what the page sends


def shown(panel: Panel) -> str:
    form = panel.bulk_form
    return " ".join(
        plain(w.value) for w in (form.picker_status, form.editor.plan_view, form.editor.status)
    )


def test_an_uploaded_desired_state_is_planned_applied_and_recorded(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox, tmp_path: Path
) -> None:
    panel, _namespace = bulk_panel
    client = secret_sandbox.connect(activate=False)
    text = sn.dump(client=client)
    text = text.replace("\n    name: ", "\n    name: From YAML ", 1)
    text += "  - name: Made by the panel\n    key: {customer-id: P-1}\n    labels: {}\n"
    uploaded(panel, "subprojects.yaml", text.encode())
    form = panel.bulk_form
    assert (tmp_path / "subprojects.yaml").read_text() == text
    assert form.plan is not None and form.plan.origin == "desired"
    assert "1 differ, 0 unmanaged, 0 missing, coverage 100%" in shown(panel)
    assert "Made by the panel" in plain(form.editor.plan_view.value)
    assert sorted(c.op for c in form.plan.changes) == ["create", "update"]
    assert not form.apply_button.disabled
    form.apply_button.click()
    assert panel.wait()
    assert form.result is not None and form.result.ok, shown(panel)
    live = [r for r in secret_sandbox.subprojects() if not r["deleted"]]
    assert [r for r in live if r["displayName"] == "Made by the panel"]
    assert "Synced subprojects.yaml: recorded snapshot 1" in shown(panel)
    assert sn.open_store(tmp_path / ".sinch" / "history.sqlite").snapshot_infos()[-1].tag == "sync"
    d = sn.desired(tmp_path / "subprojects.yaml").diff(client)
    assert d.in_sync and d.drift is not None and not len(d.drift)


def test_a_broken_upload_is_one_line_and_plans_nothing(
    bulk_panel: tuple[Panel, dict], secret_sandbox: Sandbox
) -> None:
    panel, _namespace = bulk_panel
    uploaded(panel, "bad.yaml", b"project: demo-project\nsubprojects:\n  - id: A\n    lables: {}\n")
    assert panel.bulk_form.plan is None
    assert "bad.yaml: line 4: subproject: unknown key 'lables'; did you mean labels?" in (
        panel.log_text()
    )
