"""The Browse tab: every subproject in a sortable grid, filtered as you type.

The list is fetched once (deleted included, so "show deleted" needs no second request) and kept
as columns (`table.SubprojectTable`): the filter is the core's (`filters.SubprojectFilter`, the
same rules as `%sinch list`) run over whole columns, and each column's sort order is computed
once, so every filter, sort and "show deleted" at 100,000 subprojects takes milliseconds, as
the page sees it (`benchmarks/panel_scale.py`). Keystrokes in the filter fields are coalesced in
the kernel: a burst of them (a kernel gets them back to back after a busy moment) runs one
filter; a value set from code is applied at once.

A view (view.py) is the row numbers the filter and the sort select, nothing more: the grid
asks it for the cells of the rows on screen only (see browse_grid.py), so a view of 100,000
costs what its 20 visible rows cost. Each filter or sort makes a new view and swaps it in whole:
the grid's model and the count line change back to back; while a view is being prepared the
count line says so, and a row clicked meanwhile maps to the view the page draws. The grid is
the package's own (browse_grid.py, over datagrid/); `grid="canvas"` keeps ipydatagrid's canvas
grid (grid.py).
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from ..connection.active import active
from ..filters import SubprojectFilter
from ..frames import records_frame
from ..guards.compliance import compliance_frame, violations_by_id
from ..guards.policy import active_policy
from ..models import Subproject
from . import controls as ui
from .browse_grid import BrowseGrid
from .common import Context, amount, describe_error, message, shared_setting
from .export import Download
from .table import SubprojectTable
from .view import TableView
from .worker import Debouncer

if TYPE_CHECKING:
    import pandas as pd

VISIBLE_ROWS = 20
MAX_KEY_SUGGESTIONS = 500
FILTER_DELAY = 0.03  # s: keystrokes closer than this are one filter (a queued burst)


class BrowseView(widgets.VBox):
    """Filters, a count, the grid, "To DataFrame" and CSV / Excel export of the view."""

    def __init__(
        self,
        ctx: Context,
        *,
        on_open: Callable[[str], None] | None = None,
        on_frame: Callable[[str], None] | None = None,
        visible_rows: int = VISIBLE_ROWS,
        grid: Any = None,
    ) -> None:
        self.ctx = ctx
        self.on_open = on_open
        self.on_frame = on_frame
        self.on_view: Callable[[], None] | None = None  # after each view is shown
        self._lock = threading.RLock()  # one view change at a time, whichever thread asks
        self._table = SubprojectTable()
        self._view = TableView(self._table, np.empty(0, dtype=np.int64))  # the one shown
        self._loaded = False
        self._loading = False
        self._debouncer = Debouncer(self._apply_filters, FILTER_DELAY, threaded=ctx.worker.threaded)

        self.name_filter = ui.field(
            "", "sn-name-filter", placeholder="name or id contains…", width="16em"
        )
        self.label_key = ui.combobox("sn-label-key-filter", placeholder="label key")
        self.label_value = ui.field(
            "", "sn-label-value-filter", placeholder="label value contains…", width="13em"
        )
        self.show_deleted = ui.checkbox("show deleted", "sn-show-deleted")
        # the label policy's report (guards/compliance.py): id -> the rules it breaks
        self.violations_only = ui.checkbox("violations only", "sn-violations-only")
        self._violations: dict[str, str] | None = None
        self.clear_button = ui.button(
            "Clear filters", "sn-clear-filters", icon="times", tooltip="Show every subproject"
        )
        self.refresh_button = ui.button("Refresh", "sn-refresh", icon="refresh")
        self.count = ui.html("sn-browse-count")
        self.grid = grid or BrowseGrid(
            on_open=self._open, on_sort=self._apply, visible_rows=visible_rows
        )
        self.grid.on_open, self.grid.on_sort = self._open, self._apply
        self.frame_name = ui.field(
            "Variable", "sn-frame-name", value="subprojects_df", width="18em", label_width="5em"
        )
        self.frame_button = ui.button(
            "To DataFrame",
            "sn-to-frame",
            icon="table",
            tooltip="Put the subprojects shown (all of them, in this order) into a variable",
        )
        self.csv_button = ui.button("CSV", "sn-browse-csv", icon="download", tooltip="As CSV")
        self.excel_button = ui.button(
            "Excel", "sn-browse-excel", icon="download", tooltip="As an Excel workbook"
        )
        self.download = Download("sn-browse-download")
        self.status = ui.html("sn-browse-status")

        for control in (self.name_filter, self.label_key, self.label_value, self.show_deleted):
            control.observe(self.ctx.guard(self._on_filter), names="value")
        self.violations_only.observe(self._forget_violations, names="value")  # checked afresh
        self.violations_only.observe(self.ctx.guard(self._on_filter), names="value")
        self.clear_button.on_click(self.ctx.guard(lambda _b: self.clear_filters()))
        self.refresh_button.on_click(self.ctx.guard(lambda _b: self.refresh()))
        self.frame_button.on_click(self.ctx.guard(self._on_to_frame))
        self.csv_button.on_click(self.ctx.guard(lambda _b: self.export("csv")))
        self.excel_button.on_click(self.ctx.guard(lambda _b: self.export("xlsx")))

        super().__init__(
            [
                ui.row(
                    self.name_filter,
                    self.label_key,
                    self.label_value,
                    self.show_deleted,
                    self.violations_only,
                    self.clear_button,
                    self.refresh_button,
                ),
                self.count,
                self.grid,
                ui.row(
                    self.frame_name,
                    self.frame_button,
                    widgets.HTML("&nbsp;Export the view:"),
                    self.csv_button,
                    self.excel_button,
                ),
                self.download,
                self.status,
            ]
        )
        self.add_class("sn-browse")
        self._show(self._view)

    # -- data ----------------------------------------------------------------------------------

    @property
    def rows(self) -> list[Subproject]:
        """Every loaded subproject (deleted included), as records (built on demand)."""
        table = self._table
        return [table.record(i) for i in range(len(table))]

    @property
    def size(self) -> int:
        """How many subprojects are loaded (deleted included)."""
        return len(self._table)

    @property
    def view(self) -> list[Subproject]:
        """The subprojects that match the filters, in the grid's order (after typing settles)."""
        self.settle()
        view = self._view
        return [view.table.record(i) for i in view.rows]

    @property
    def view_ids(self) -> list[str]:
        """The ids of the view, in the grid's order."""
        self.settle()
        return self._view.ids()

    @property
    def view_size(self) -> int:
        """How many subprojects the view shows (no records built)."""
        return self._view.count

    @property
    def shown(self) -> TableView:
        """The view the grid and the count show now (a new one replaces it whole)."""
        return self._view

    def use_grid(self, grid: Any) -> None:
        """Show the view in `grid` instead (another grid of the same interface)."""
        with self._lock:
            old = self.grid
            grid.sort_column, grid.descending = old.sort_column, old.descending
            grid.on_open, grid.on_sort = self._open, self._apply
            self.grid = grid
            self.children = tuple(grid if child is old else child for child in self.children)
            self._show(self._view)
        old.close()

    @property
    def filter_runs(self) -> int:
        """How many times typing in the filters ran a filter (a burst of keys runs one)."""
        return self._debouncer.runs

    def settle(self, timeout: float | None = 60.0, *, flush: bool = True) -> bool:
        """Apply filter keystrokes still waiting (now; `flush=False` waits for their delay),
        and wait for one being applied."""
        return self._debouncer.settle(timeout, flush=flush)

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def filter(self) -> SubprojectFilter:
        """The filter the fields describe (the core's, shared with `%sinch list`)."""
        return SubprojectFilter(
            text=self.name_filter.value,
            label_key=self.label_key.value,
            label_value=self.label_value.value,
            show_deleted=self.show_deleted.value,
            ids=frozenset(self._violations or ()) if self.violations_only.value else None,
        )

    def refresh(self) -> None:
        """Reload every subproject from the server (in the background; once if asked twice)."""
        if self._loading:
            return
        self._loading = True
        self.refresh_button.disabled = True
        self.count.value = message("busy", "Loading subprojects…")
        self.ctx.submit(
            "Loading subprojects",
            self._load,
            failure="Could not load subprojects",
            status=self.count,
            after=self._loaded_or_not,
        )

    def upsert(self, subproject: Subproject) -> None:
        """Show a subproject created or changed by this panel without reloading everything."""
        with self._lock:
            self._table.upsert(subproject)
            self._violations = None
        if self._loaded:
            self._apply()

    def follow(self, subproject_id: str, subproject: Subproject | None) -> None:
        """A write made through the shared connection, by anyone: show it (None: deleted)."""
        if subproject is None:
            with self._lock:
                known = self._table.get(subproject_id)
            if known is None or known.deleted:
                return
            subproject = replace(known, deleted=True)
        self.upsert(subproject)

    def clear(self) -> None:
        with self._lock:
            self._table = SubprojectTable()
            self._loaded = False
            self._violations = None
        self._apply()

    def clear_filters(self) -> None:
        """Empty every filter (one view change, not four)."""
        self._quiet = True
        try:
            self.name_filter.value = ""
            self.label_key.value = ""
            self.label_value.value = ""
            self.show_deleted.value = False
            self.violations_only.value = False
        finally:
            self._quiet = False
        self._debouncer.cancel()
        self._apply()

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        """Sort the view by a column ("Name", "Labels", "Updated", "Created", "ID")."""
        self.grid.set_sort(column, descending)

    def _loaded_or_not(self) -> None:
        self._loading = False
        self.refresh_button.disabled = False

    def _load(self) -> None:
        client = self.ctx.client()
        items: list[dict[str, Any]] = []
        page_size = shared_setting("page_size", 1000)
        for page in client.iter_pages(show_deleted=True, page_size=page_size):
            items.extend(page)
            self.count.value = message("busy", f"Loading subprojects… {len(items):,}")
        table = SubprojectTable()
        table.load(items)
        del items
        with self._lock:
            self._table = table
            self._loaded = True
            self._violations = None
        self.label_key.options = table.label_keys()[:MAX_KEY_SUGGESTIONS]
        self._apply()
        threading.Thread(target=table.prepare_orders, name="sinch-browse-sort", daemon=True).start()
        live = table.live()
        self.ctx.log.info(
            f"Loaded {amount(len(table), 'subproject')} "
            f"({live:,} live, {len(table) - live:,} deleted)."
        )

    # -- filtering and rendering ---------------------------------------------------------------

    _quiet = False

    def _on_filter(self, change: Any) -> None:
        if self._quiet:
            return
        if change["owner"]._property_lock:
            # Sent by the front-end (ipywidgets applies those under this lock): a keystroke,
            # maybe one of a burst: coalesced, so the burst runs one filter. Until its view is
            # shown, the count says the one on screen is being replaced.
            self._updating()
            self._debouncer.request()
        else:  # set from code: the view follows at once, as code expects
            self._debouncer.cancel()
            self._apply()

    def _apply_filters(self) -> None:
        """What the debounced keystrokes run (a failure lands in the activity log)."""
        self.ctx.guard(self._apply)()

    def _apply(self) -> None:
        """Make the view the filters and the sort ask for and show it: vectorised index work
        over the loaded columns; no cell is made until the grid asks for the rows on screen."""
        with self._lock:
            self._updating()
            if self.violations_only.value and self._violations is None:
                self._violations = self._check_policy(self._table)
            notes = self._violations if self.violations_only.value else None
            view = TableView.build(
                self._table, self.filter, self.grid.sort_column, self.grid.descending, notes
            )
            self._show(view)

    def _updating(self) -> None:
        """Say that the view shown is being replaced (its rows stay clickable meanwhile)."""
        if self._loaded:
            self.count.value = message("busy", "Updating the view…")

    def _show(self, view: TableView) -> None:
        """Swap `view` in: the grid's model, then the count, back to back (nothing slow
        between them), and only then is it the view Browse reports."""
        self.download.value = ""  # a link to an older view would mislead
        text = self._count_text(view)
        self.grid.show_view(view)
        self.count.value = text
        self._view = view
        if self._loaded and self.on_view is not None:
            self.on_view()

    def _count_text(self, view: TableView) -> str:
        if not self._loaded:
            return message("muted", "Not loaded: connect, or press Refresh.")
        table = view.table
        everything = len(table)
        pool = everything if self.show_deleted.value else table.live()
        hidden = everything - pool
        extra = f" ({hidden:,} deleted hidden)" if hidden else ""
        if view.count:
            shown = f"Showing {view.count:,} of {amount(pool, 'subproject')}{extra}"
            hint = f" · {self.grid.sort_words} (click a column header to sort, a row to edit it)"
        else:
            shown = f"No subproject matches these filters (of {pool:,}{extra})"
            hint = " · Clear filters shows them all"
        return f"<b>{shown}</b>{hint}"

    def _forget_violations(self, _change: Any = None) -> None:
        with self._lock:
            self._violations = None

    def _check_policy(self, table: SubprojectTable) -> dict[str, str]:
        """The loaded subprojects against the active label policy: id -> the rules it breaks
        (the core's report); with no policy, says how to set one and shows none."""
        found = active_policy(active())
        if found is None:
            self.status.value = message(
                "warn", "No label policy: set %config Sinch.policy (or SINCH_POLICY) to a file."
            )
            return {}
        rows = (table.record(i) for i in range(len(table)))
        records = (
            {"subprojectId": r.subproject_id, "displayName": r.display_name, "labels": r.labels}
            for r in rows
            if not r.deleted
        )
        return violations_by_id(compliance_frame(found, records))

    # -- actions -------------------------------------------------------------------------------

    def _open(self, subproject_id: str) -> None:
        if self.on_open is not None:
            self.on_open(subproject_id)

    def view_frame(self) -> pd.DataFrame:
        """The view as a DataFrame in `client.frame()`'s shape, from the loaded records."""
        return records_frame([sp.to_dict() for sp in self.view])

    def export(self, kind: str) -> None:
        """A download link for the view as CSV ("csv") or Excel ("xlsx")."""
        if not self._loaded:
            self.download.value = message("error", "Nothing loaded yet: connect first.")
            return
        try:
            self.download.offer(self.view_frame(), "subprojects", kind)
        except Exception as err:  # openpyxl missing, usually: say so in the panel
            self.download.value = message("error", f"Could not export: {describe_error(err)}")
            return
        self.ctx.log.info(f"Exported {amount(self._view.count, 'subproject')} ({kind}).")

    def _on_to_frame(self, _button: widgets.Button | None = None) -> None:
        name = self.frame_name.value.strip()
        if not name.isidentifier() or keyword.iskeyword(name):
            self.status.value = message(
                "error", f"Variable: {name!r} is not a valid Python name (e.g. subprojects_df)."
            )
            return
        if not self._loaded:
            self.status.value = message("error", "Nothing loaded yet: connect first.")
            return
        ids = self.view_ids
        self.status.value = message("busy", f"Building a DataFrame of {amount(len(ids), 'row')}…")
        self.ctx.submit(
            "Building a DataFrame",
            self._to_frame,
            name,
            ids,
            self.show_deleted.value,
            failure="Could not build the DataFrame",
            status=self.status,
        )

    def _to_frame(self, name: str, ids: list[str], show_deleted: bool) -> None:
        frame = view_frame(self.ctx.client(), ids, show_deleted)
        self.ctx.namespace()[name] = frame
        size = f"{amount(len(frame), 'row')} × {amount(len(frame.columns), 'column')}"
        text = f"{name} = DataFrame of {size}"
        self.status.value = message("ok", text)
        self.ctx.log.info(text)
        if self.on_frame is not None:
            self.on_frame(name)


def view_frame(client: Any, ids: list[str], show_deleted: bool = True) -> pd.DataFrame:
    """`client.frame()` restricted to `ids`, in that order (the Browse view as a DataFrame).

    Fetched fresh rather than built from the loaded rows: a frame is usually edited and
    planned next, and a plan is best made from what the server has now.
    """
    frame = client.frame(show_deleted=show_deleted)
    position = {sid: n for n, sid in enumerate(ids)}
    picked = frame[frame["subprojectId"].isin(position)]
    order = picked["subprojectId"].map(position).sort_values(kind="stable").index
    return picked.loc[order].reset_index(drop=True)
