"""The app's panel (`sinch-notebook app`, `Panel(for_code=False)`) speaks to people who do not
code (issue 33 item 9): no DataFrames, pandas, variables, journal paths or worker counts on
the page; a heading says what the page is; a row left out of an uploaded file is said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest

from sinch_notebook import files
from sinch_notebook.sandbox import Sandbox
from sinch_notebook.widgets import Panel

from .conftest import PanelFactory
from .helpers import connect_panel, plain

CODE_WORDS = ("DataFrame", "pandas", "variable", "Workers", "journal.jsonl", "uploaded_df")


def shown_text(widget: Any) -> str:
    """Every word a person can see in `widget` (hidden parts left out)."""
    if not isinstance(widget, widgets.Widget) or widget.layout.display == "none":
        return ""
    parts = []
    for name in ("description", "tooltip", "placeholder"):
        parts.append(str(getattr(widget, name, "") or ""))
    if isinstance(widget, widgets.HTML):
        parts.append(plain(widget.value))
    if isinstance(widget, widgets.Tab):
        parts.extend(str(t) for t in widget.titles)
    if isinstance(widget, widgets.Dropdown):
        parts.extend(str(label) for label in widget._options_labels)
    for child in getattr(widget, "children", ()):
        parts.append(shown_text(child))
    return " ".join(p for p in parts if p)


@pytest.fixture
def app(make_panel: PanelFactory, secret_sandbox: Sandbox, tmp_path: Path, monkeypatch) -> Panel:
    monkeypatch.chdir(tmp_path)
    panel = make_panel(for_code=False)
    connect_panel(panel, secret_sandbox)
    return panel


def test_the_app_says_what_it_is_in_plain_words(app: Panel, secret_sandbox: Sandbox) -> None:
    assert "Sinch subprojects" in plain(app.children[0].value)
    frame = secret_sandbox.connect(activate=False).frame()
    frame = frame[~frame["deleted"]].reset_index(drop=True)
    frame.loc[0, "displayName"] = "Renamed in a spreadsheet"
    left_out = frame.loc[1, "displayName"]
    form = app.bulk_form
    form.load_file("edited.csv", files.csv_bytes(frame.drop(index=1)))
    assert app.wait()
    said = plain(form.picker_status.value)
    assert said.startswith("⚠ edited.csv: ") and repr(left_out) in said
    assert "It leaves 1 subproject of the account as they are" in said
    assert "set its delete column to true" in said
    assert form.plan is not None and len(form.plan) == 1
    form.apply_button.click()
    assert app.wait()
    assert form.result is not None and form.result.ok
    assert "Done: Applied 1 change" in plain(form.editor.status.value)
    for tab in range(len(app.tabs.children)):
        app.tabs.selected_index = tab
        text = shown_text(app)
        assert not [w for w in CODE_WORDS if w in text], (tab, [w for w in CODE_WORDS if w in text])


def test_the_notebook_panel_keeps_its_words_for_code(
    make_panel: PanelFactory, secret_sandbox: Sandbox
) -> None:
    panel = make_panel()
    connect_panel(panel, secret_sandbox)
    text = shown_text(panel)
    assert "DataFrame" in text and "Workers" in text and "Sinch subprojects" not in text
