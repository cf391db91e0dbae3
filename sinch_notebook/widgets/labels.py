"""A reusable labels editor: key/value rows, each validated as you type, duplicates flagged.

The rules are the API's and live in the core (`models.validate_labels`); each row is checked
with it, and so is the whole set (the number of labels). A row left completely empty is
ignored rather than an error, so adding a row and not using it never blocks a form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets

from ..display import plural
from ..models import validate_labels
from .common import close_tree, esc, message, rule_broken
from .controls import button, field, show, with_class


def _rule_broken(labels: Mapping[str, str], field_name: str = "labels") -> str:
    """The core's words for what is wrong with `labels` ('' when nothing)."""
    return rule_broken(validate_labels, labels, field_name)


class LabelRow(widgets.VBox):
    """One key/value pair with a remove button and its own error line."""

    def __init__(self, key: str = "", value: str = "") -> None:
        self.key = field("", "sn-label-key", value=key, placeholder="key", width="14em")
        self.value = field("", "sn-label-value", value=value, placeholder="value", width="18em")
        self.remove = button(
            "", "sn-label-remove", icon="trash", tooltip="Remove this label", width="3em"
        )
        self.error = with_class(widgets.HTML(), "sn-label-error")
        super().__init__([widgets.HBox([self.key, self.value, self.remove]), self.error])
        self.add_class("sn-label-row")

    @property
    def blank(self) -> bool:
        return not self.key.value and not self.value.value

    def problem(self) -> str:
        """What is wrong with this row on its own ('' when fine or blank)."""
        if self.blank:
            return ""
        return _rule_broken({self.key.value: self.value.value}, "label")


class LabelsEditor(widgets.VBox):
    """Edit a `dict[str, str]` of labels; `labels`, `valid` and `errors` describe the result."""

    def __init__(self, labels: Mapping[str, str] | None = None) -> None:
        self.rows_box = widgets.VBox()
        self.add_button = button("Add label", "sn-add-label", icon="plus")
        self.summary = with_class(widgets.HTML(), "sn-labels-summary")
        self.rows: list[LabelRow] = []
        self._listeners: list[Callable[[], None]] = []
        self._quiet = False
        self.add_button.on_click(lambda _b: self.add_row())
        super().__init__([self.rows_box, widgets.HBox([self.add_button, self.summary])])
        self.add_class("sn-labels-editor")
        self.set_labels(labels or {})

    # -- public -------------------------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every edit (typing, adding or removing a row)."""
        self._listeners.append(listener)

    def add_row(self, key: str = "", value: str = "") -> LabelRow:
        row = LabelRow(key, value)
        row.key.observe(self._changed, names="value")
        row.value.observe(self._changed, names="value")
        row.remove.on_click(lambda _b, r=row: self.remove_row(r))
        self.rows.append(row)
        self.rows_box.children = (*self.rows_box.children, row)
        self._changed()
        return row

    def remove_row(self, row: LabelRow) -> None:
        if row not in self.rows:
            return
        self.rows.remove(row)
        self.rows_box.children = tuple(r for r in self.rows_box.children if r is not row)
        close_tree(row)
        self._changed()

    def set_labels(self, labels: Mapping[str, str]) -> None:
        """Replace every row with `labels` (one row per pair, in order)."""
        self._quiet = True
        try:
            old, self.rows = self.rows, []
            self.rows_box.children = ()
            for item in old:
                close_tree(item)
            for key, value in labels.items():
                self.add_row(str(key), str(value))
        finally:
            self._quiet = False
        self._changed()

    def clear(self) -> None:
        self.set_labels({})

    @property
    def labels(self) -> dict[str, str]:
        """The labels as they would be sent: non-blank rows, in order (last duplicate wins)."""
        return {row.key.value: row.value.value for row in self.rows if not row.blank}

    @property
    def errors(self) -> list[str]:
        """Every problem, one line each, naming the row."""
        found: list[str] = []
        for number, row in enumerate(self.rows, 1):
            problem = self._row_problem(row)
            if problem:
                found.append(f"row {number}: {problem}")
        if not found:
            whole = _rule_broken(self.labels)
            if whole:
                found.append(whole)
        return found

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def disabled(self) -> bool:
        return self.add_button.disabled

    @disabled.setter
    def disabled(self, value: bool) -> None:
        self.add_button.disabled = value
        for row in self.rows:
            row.key.disabled = row.value.disabled = row.remove.disabled = value

    # -- internals ----------------------------------------------------------------------------

    def _row_problem(self, row: LabelRow) -> str:
        problem = row.problem()
        if problem or row.blank:
            return problem
        twins = [n for n, other in enumerate(self.rows, 1) if other.key.value == row.key.value]
        if len(twins) > 1:
            return f"duplicate key {row.key.value!r} (rows {', '.join(map(str, twins))})"
        return ""

    def _changed(self, _change: object = None) -> None:
        if self._quiet:
            return
        for row in self.rows:
            problem = self._row_problem(row)
            row.error.value = message("error", problem) if problem else ""
            show(row.error, bool(problem))
        count = sum(1 for row in self.rows if not row.blank)
        text = plural(count, "label")
        whole = "" if any(self._row_problem(r) for r in self.rows) else _rule_broken(self.labels)
        self.summary.value = (
            message("error", whole) if whole else f'<span style="opacity:.7">{esc(text)}</span>'
        )
        for listener in list(self._listeners):
            listener()
