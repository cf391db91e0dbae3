"""Bulk edits with the mouse: a DataFrame in an editable grid, its plan kept up to date as you
edit, then applied by the one engine with the core's confirmations.

    editor = sn.edit(df)   # in a notebook: change cells, add rows, tick "delete", then Apply

The grid edits `df` itself (what you change in the grid is in the frame, for pandas or
`client.plan(df)` afterwards). `subprojectId` is shown to tell rows apart and is read-only; the
other columns of the frame (times, parent) stay as they are and are not shown. Every edit asks
for a new plan in the background (edits made while one is planned are planned together next).

Planning again after an edit reuses the listing the last full plan read and plans only the edited
rows (`bulk.plan.replan_rows`): one cell of a 10,000-row frame is re-planned in milliseconds, not a
listing of the account; Load and plan, a new row and every apply read the server again, and the
apply's last-moment check still catches anything changed on the server meanwhile.

Applying is exactly `plan.apply(...)`: the plan's safety rule (`Plan.raise_if_unsafe`: more
than MASS_DELETE_THRESHOLD deletes need "allow mass delete") and the confirmation policy
(`confirm.before_deleting`: "Yes, delete N" / "Cancel") are the core's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from ..bulk.plan import make_plan, replan_rows
from ..errors import ValidationError
from ..frames import LABEL_PREFIX
from ..models import parse_bool
from . import controls as ui
from .applying import PlanRunner
from .browse_columns import HTML_ID_WIDTH
from .common import Context, amount, describe_error, message
from .datagrid import DataGrid
from .datagrid.sources import TICK, FrameSource
from .export import Download
from .plan_view import plan_html, plan_summary

if TYPE_CHECKING:
    from ..bulk import ApplyResult, Plan

READ_ONLY = ("subprojectId",)
COLUMN_WIDTHS = {"subprojectId": HTML_ID_WIDTH, "displayName": 240, "delete": 70}  # px
LABEL_WIDTH = 140  # px: "label.contract" whole in the header


def editable_columns(frame: pd.DataFrame) -> list[str]:
    """What the grid shows: the id, the name, `delete` (added), then every label column.

    `delete` comes before the labels so that it is on screen however many label columns the
    account has (they scroll sideways).
    """
    labels = [c for c in frame.columns if isinstance(c, str) and c.startswith(LABEL_PREFIX)]
    shown = [c for c in ("subprojectId", "displayName") if c in frame.columns]
    return [*shown, "delete", *labels]


def grid_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the grid shows it: text cells ('' for missing), `delete` as ticks."""
    out: dict[str, list[Any]] = {}
    for name in editable_columns(frame):
        if name == "delete":
            values = frame["delete"].tolist() if "delete" in frame.columns else [False] * len(frame)
            out[name] = [_tick(v) for v in values]
        else:
            out[name] = ["" if pd.isna(v) else str(v) for v in frame[name].tolist()]
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _tick(value: Any) -> bool:
    try:
        return bool(value) and not pd.isna(value)
    except (TypeError, ValueError):
        return bool(value)


class EditedFrame(FrameSource):
    """The edited frame as the grid reads it (a `WindowSource`): `grid_frame`'s columns, made
    for the rows asked for only, so an edit in a 10,000-row frame converts one window, not all."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__(frame, "subprojectId")
        self._columns = editable_columns(frame)

    @property
    def columns(self) -> list[str]:
        return self._columns

    def window(self, start: int, stop: int) -> list[list[str]]:
        return FrameSource(grid_frame(self.frame.iloc[start:stop])).window(0, stop - start)


class FrameEditor(widgets.VBox):
    """An editable grid over a DataFrame, its live plan, and Apply with confirmation."""

    def __init__(
        self,
        ctx: Context,
        *,
        on_applied: Callable[[ApplyResult], None] | None = None,
        result_name: Callable[[], str] = lambda: "bulk_result",
        visible_rows: int = 12,
        canvas: bool = False,
    ) -> None:
        self.ctx = ctx
        self.on_applied = on_applied
        self.result_name = result_name
        self.visible_rows = visible_rows
        self.frame: pd.DataFrame | None = None
        self._connected = False
        self._plan_wanted = False
        self._plan_lock = threading.Lock()
        self._server: dict[str, dict[str, Any]] | None = None  # the last full plan's listing
        self._dirty: set[Any] | None = None  # rows edited since the last plan; None: all
        self._unsubscribe: Callable[[], None] | None = None

        grid_class: Any = DataGrid
        if canvas:  # ipydatagrid's canvas grid (sn.panel(grid="canvas"), the [canvas] extra)
            from .grid import CanvasFrameGrid

            grid_class = CanvasFrameGrid
        self.grid = grid_class(
            caption="The DataFrame's rows: Enter or typing edits a cell, Escape cancels.",
            max_rows=visible_rows,
            sortable=False,  # rows are the frame's positions, as edits and plans name them
            empty_text="No DataFrame loaded",
            on_edit=self.ctx.guard(self._on_grid_edit),
        )
        self.grid.add_class("sn-edit-grid")
        self.add_row_button = ui.button(
            "Add row", "sn-grid-add-row", icon="plus", tooltip="A new subproject: type its name"
        )
        self.grid_note = ui.html("sn-grid-note")
        self.plan_view = ui.html("sn-bulk-plan-view", max_height="24em", overflow="auto")
        self.status = ui.html("sn-bulk-status")
        self.export_plan_csv = ui.button("Plan as CSV", "sn-export-plan-csv", icon="download")
        self.export_plan_xlsx = ui.button("Plan as Excel", "sn-export-plan-xlsx", icon="download")
        self.export_result_csv = ui.button("Result as CSV", "sn-export-result-csv", icon="download")
        self.export_result_xlsx = ui.button(
            "Result as Excel", "sn-export-result-xlsx", icon="download"
        )
        self.download = Download("sn-bulk-download")

        self.add_row_button.on_click(self.ctx.guard(lambda _b: self.add_row()))
        for item, what, kind in (
            (self.export_plan_csv, "plan", "csv"),
            (self.export_plan_xlsx, "plan", "xlsx"),
            (self.export_result_csv, "result", "csv"),
            (self.export_result_xlsx, "result", "xlsx"),
        ):
            item.on_click(self.ctx.guard(lambda _b, w=what, k=kind: self.export(w, k)))

        self.runner = PlanRunner(
            ctx,
            prefix="sn-bulk",
            result_name=result_name,
            on_applied=self._applied,
            on_state=self._update,
            on_retry=self._show_plan,
            status=self.status,
            trailing=(
                self.export_plan_csv,
                self.export_plan_xlsx,
                self.export_result_csv,
                self.export_result_xlsx,
            ),
        )
        runner = self.runner  # its parts, under the names tests and users reach for
        self.workers, self.allow_mass_delete = runner.workers, runner.allow_mass_delete
        self.keep_journal, self.apply_button = runner.keep_journal, runner.apply_button
        self.confirm_text, self.confirm_box = runner.confirm_text, runner.confirm_box
        self.confirm_button, self.cancel_button = runner.confirm_button, runner.cancel_button
        self.progress, self.progress_label = runner.progress, runner.progress_label
        self.result_view, self.retry_button = runner.result_view, runner.retry_button

        super().__init__(
            [
                self.grid,
                ui.row(self.add_row_button, self.grid_note),
                self.plan_view,
                runner,
                self.download,
            ]
        )
        self.add_class("sn-frame-editor")
        self._update()

    def __repr__(self) -> str:
        rows = 0 if self.frame is None else len(self.frame)
        return f"FrameEditor({rows} rows)"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Where the grid is not drawn (before the cell runs, GitHub), say what to do."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            rows = 0 if self.frame is None else len(self.frame)
            bundle["text/plain"] = (
                f"[Sinch grid editor ({rows} rows): run this cell in Jupyter to show it; "
                "widgets need a running kernel]"
            )
        return bundle

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Wait for background work (planning, applying); False on timeout."""
        return self.ctx.worker.wait(timeout)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        super().close()

    # -- the frame -----------------------------------------------------------------------------

    def set_frame(self, frame: pd.DataFrame | None, plan: bool = True) -> None:
        """Edit `frame` (in place) from now on; None shows nothing."""
        self.frame = frame
        with self._plan_lock:
            self._server, self._dirty = None, None
        self._forget_plan()
        self.runner.forget_result()
        self._show_grid()
        if frame is not None and plan:
            self._queue_plan()
        self._update()

    def _show_grid(self, top: bool = True) -> None:
        """Show the frame (`top`: from its first row; after an edit, where the page is)."""
        frame = self.frame
        if frame is None:
            self.grid.show(FrameSource(pd.DataFrame({"displayName": []})))
            self.grid_note.value = ""
            return
        source = EditedFrame(frame)
        self.grid.set_columns(
            [
                {
                    "title": name,
                    "width": COLUMN_WIDTHS.get(name, LABEL_WIDTH),
                    "wrap": name != "subprojectId",
                    "editable": name not in READ_ONLY,
                }
                for name in source.columns
            ]
        )
        self.grid.show(source, top=top)
        self.grid_note.value = (
            '<span class="sn-note">Double-click a cell, press Enter on it or type to edit it; '
            "type true in <b>delete</b> to delete a row; subprojectId is read-only.</span>"
        )

    def add_row(self, **values: Any) -> None:
        """A new row (a subproject to create); `values` fills cells, e.g. displayName="Acme"."""
        frame = self.frame
        if frame is None:
            return
        label = (
            int(frame.index.max()) + 1
            if len(frame) and pd.api.types.is_integer_dtype(frame.index)
            else len(frame)
        )
        # A new subproject is neither deleted nor to delete: boolean columns (`deleted`,
        # `delete`) get False, so they stay boolean (pandas refuses NA in a bool column).
        flags = {c: False for c in frame.columns if pd.api.types.is_bool_dtype(frame[c].dtype)}
        frame.loc[label] = pd.Series({**flags, **values}, dtype=object).reindex(frame.columns)
        self._touched(None)
        self._show_grid()
        self._queue_plan()

    def set_cell(self, row: int, column: str, value: Any) -> None:
        """What an edit of one grid cell does (row = position, as the grid numbers rows)."""
        if self._edit(row, column, value):
            self._queue_plan()
        self._show_grid(top=False)

    def _on_grid_edit(self, row: int, column: str, value: str) -> str | None:
        """A cell typed in the page: None when kept, else what to show at the cell."""
        if column == "delete" and value.strip() in ("", TICK):
            value = "true" if value.strip() == TICK else "false"  # the tick as shown, kept
        try:
            kept = self._edit(row, column, value)
        except ValidationError as err:
            self.grid_note.value = message("error", str(err))
            return str(err)
        if not kept:
            return f"{column} cannot be edited here."
        self._queue_plan()
        self._show_grid(top=False)
        return None

    def _edit(self, row: int, column: str, value: Any) -> bool:
        """Apply one cell's edit to the frame; False when it is refused (read-only)."""
        frame = self.frame
        if frame is None or not 0 <= row < len(frame):
            return False
        label = frame.index[row]
        if column in READ_ONLY or column not in editable_columns(frame):
            self.grid_note.value = message(
                "warn", f"{column} is read-only: it says which subproject a row is."
            )
            return False
        if column == "delete":
            if "delete" not in frame.columns:
                frame["delete"] = False
                self._touched(None)  # a new column: every row's plan reads it
            tick = parse_bool(value, "delete") if isinstance(value, str) else bool(value)
            frame.at[label, "delete"] = tick
            self._touched(label)
            return True
        text = "" if value is None else str(value)
        blank = text.strip() == "" and column != "displayName"
        frame.at[label, column] = pd.NA if blank else text
        self._touched(label)
        return True

    def _touched(self, label: Any) -> None:
        """Row `label` was edited (None: the whole frame must be planned again)."""
        with self._plan_lock:
            if label is None:
                self._dirty = None
            elif self._dirty is not None:
                self._dirty.add(label)

    # -- the plan ------------------------------------------------------------------------------

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        with self._plan_lock:
            self._server, self._dirty = None, None  # another account, maybe
        self.runner.set_connected(connected)

    def request_plan(self) -> None:
        """Plan the whole frame as it is now (after pandas edits; in the background, edits
        meanwhile are planned next)."""
        self._touched(None)
        self._queue_plan()

    def _queue_plan(self) -> None:
        """Plan what changed: the rows edited in the grid since the last plan (see `_plan`)."""
        if self.frame is None or not self._connected:
            self._update()
            return
        with self._plan_lock:
            if self._plan_wanted:
                return  # a plan job is queued: it reads the frame when it runs
            self._plan_wanted = True
        self.status.value = message("busy", "Planning…")
        self.ctx.submit(
            "Planning a bulk edit",
            self._plan,
            failure="Could not plan",
            status=self.status,
            after=self._update,
        )

    def _plan(self) -> None:
        with self._plan_lock:
            self._plan_wanted = False
            rows, self._dirty = self._dirty, set()
            server = self._server
        frame = self.frame
        if frame is None:
            return
        client = self.ctx.client()
        previous = self.plan
        plan = None
        if (
            rows is not None
            and server is not None
            and previous is not None
            and not previous.applied
        ):
            # Nothing edited since the plan shown: that plan still stands.
            plan = replan_rows(previous, frame.copy(), rows, server) if rows else previous
        if plan is None:
            if server is None or (previous is not None and previous.applied):
                server = client.records()
                with self._plan_lock:
                    self._server = server
            plan = make_plan(client, frame.copy(), server=server)
        self._show_plan(plan)
        if plan.readiness == "ready":
            them = "it" if len(plan) == 1 else "them"
            self.status.value = message(
                "info", f"{amount(len(plan), 'change')} planned: review {them}, then Apply."
            )
        else:
            # All conflicts or invalid rows is a warning, not a success.
            kind = "warn" if plan.readiness == "held" else "ok"
            self.status.value = message(kind, f"Nothing to apply ({plan_summary(plan)}).")

    def show_plan(self, plan: Plan) -> None:
        """Review and offer a plan that comes from elsewhere (a plan file): no frame to edit."""
        self.set_frame(None)
        self._show_plan(plan)
        self._update()

    def _show_plan(self, plan: Plan) -> None:
        """The plan Apply sends, shown for review."""
        self.runner.offer(plan)
        self.plan_view.value = plan_html(plan)

    def _forget_plan(self) -> None:
        self.runner.offer(None)
        self.plan_view.value = ""

    @property
    def plan(self) -> Plan | None:
        return self.runner.plan

    @property
    def result(self) -> ApplyResult | None:
        return self.runner.result

    # -- state ---------------------------------------------------------------------------------

    def _update(self) -> None:
        self.add_row_button.disabled = self.frame is None or self.runner.busy
        for item in (self.export_plan_csv, self.export_plan_xlsx):
            item.disabled = self.plan is None
        for item in (self.export_result_csv, self.export_result_xlsx):
            item.disabled = self.result is None

    def _applied(self, result: ApplyResult) -> None:
        if self.on_applied is not None:
            self.on_applied(result)

    # -- export --------------------------------------------------------------------------------

    def export(self, what: str, kind: str) -> None:
        """A download link for the plan or the result ("plan" / "result"), CSV or Excel."""
        source = self.plan if what == "plan" else self.result
        if source is None:
            self.download.value = message("error", f"No {what} to export yet.")
            return
        try:
            self.download.offer(source.frame, f"sinch-{what}", kind)
        except Exception as err:
            self.download.value = message("error", f"Could not export: {describe_error(err)}")


def edit(frame: pd.DataFrame, *, workers: int | None = None) -> FrameEditor:
    """`sn.edit(df)`: edit `df` in a grid, see its plan as you edit, apply it (active connection).

    The grid changes `df` itself; the result of an apply is in `editor.result`.
    """
    from ..connection.active import active, on_change
    from .output import PanelLog
    from .worker import Worker

    if not isinstance(frame, pd.DataFrame):
        from ..errors import ValidationError

        raise ValidationError(
            "frame", f"must be a pandas DataFrame (from client.frame()), got {type(frame).__name__}"
        )
    panel_log = PanelLog()
    holder: dict[str, Any] = {}
    ctx = Context(log=panel_log, worker=Worker(panel_log), namespace=lambda: holder)
    editor = FrameEditor(ctx, result_name=lambda: "result")
    if workers is not None:
        editor.workers.value = workers
    editor.set_connected(active() is not None)
    editor._unsubscribe = on_change(lambda client: editor.set_connected(client is not None))
    editor.set_frame(frame)
    editor.children = (*editor.children, panel_log.widget)
    return editor
