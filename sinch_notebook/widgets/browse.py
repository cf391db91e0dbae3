"""The Browse tab: every subproject in a sortable grid, filtered as you type.

The list is fetched once (deleted included, so "show deleted" needs no second request) and kept
as `Subproject` records; the filter is the core's (`filters.SubprojectFilter`, the same rules as
`%sinch list`). The grid streams only the rows on screen to the browser (see grid.py), so the
number of widgets and the front-end's work do not grow with the account.
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..filters import SubprojectFilter
from ..frames import records_frame
from ..models import Subproject
from . import controls as ui
from .common import Context, amount, describe_error, message, shared_setting
from .export import Download
from .grid import SubprojectGrid

if TYPE_CHECKING:
    import pandas as pd

VISIBLE_ROWS = 20
MAX_KEY_SUGGESTIONS = 500


class BrowseView(widgets.VBox):
    """Filters, a count, the grid, "To DataFrame" and CSV / Excel export of the view."""

    def __init__(
        self,
        ctx: Context,
        *,
        on_open: Callable[[str], None] | None = None,
        on_frame: Callable[[str], None] | None = None,
        visible_rows: int = VISIBLE_ROWS,
    ) -> None:
        self.ctx = ctx
        self.on_open = on_open
        self.on_frame = on_frame
        self._lock = threading.Lock()
        self._rows: dict[str, Subproject] = {}
        self._view: list[Subproject] = []
        self._loaded = False
        self._loading = False

        self.name_filter = ui.field(
            "", "sn-name-filter", placeholder="name or id contains…", width="16em"
        )
        self.label_key = ui.combobox("sn-label-key-filter", placeholder="label key")
        self.label_value = ui.field(
            "", "sn-label-value-filter", placeholder="label value contains…", width="13em"
        )
        self.show_deleted = ui.checkbox("show deleted", "sn-show-deleted")
        self.clear_button = ui.button(
            "Clear filters", "sn-clear-filters", icon="times", tooltip="Show every subproject"
        )
        self.refresh_button = ui.button("Refresh", "sn-refresh", icon="refresh")
        self.count = ui.html("sn-browse-count")
        self.grid = SubprojectGrid(
            on_open=self._open, on_sort=self._apply, visible_rows=visible_rows
        )
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
        self._render()

    # -- data ----------------------------------------------------------------------------------

    @property
    def rows(self) -> list[Subproject]:
        """Every loaded subproject (deleted included)."""
        with self._lock:
            return list(self._rows.values())

    @property
    def view(self) -> list[Subproject]:
        """The subprojects that match the filters, in the grid's order."""
        return list(self._view)

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
            self._rows[subproject.subproject_id] = subproject
        if self._loaded:
            self._apply()

    def follow(self, subproject_id: str, subproject: Subproject | None) -> None:
        """A write made through the shared connection, by anyone: show it (None: deleted)."""
        if subproject is None:
            with self._lock:
                known = self._rows.get(subproject_id)
            if known is None or known.deleted:
                return
            subproject = replace(known, deleted=True)
        self.upsert(subproject)

    def clear(self) -> None:
        with self._lock:
            self._rows = {}
        self._loaded = False
        self._apply()

    def clear_filters(self) -> None:
        """Empty every filter (one view change, not four)."""
        self._quiet = True
        try:
            self.name_filter.value = ""
            self.label_key.value = ""
            self.label_value.value = ""
            self.show_deleted.value = False
        finally:
            self._quiet = False
        self._apply()

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        """Sort the view by a column ("Name", "Labels", "Updated", "Created", "ID")."""
        self.grid.set_sort(column, descending)

    def _loaded_or_not(self) -> None:
        self._loading = False
        self.refresh_button.disabled = False

    def _load(self) -> None:
        client = self.ctx.client()
        rows: dict[str, Subproject] = {}
        page_size = shared_setting("page_size", 1000)
        for page in client.iter_pages(show_deleted=True, page_size=page_size):
            for item in page:
                sp = Subproject.from_api(item)
                rows[sp.subproject_id] = sp
            self.count.value = message("busy", f"Loading subprojects… {len(rows):,}")
        with self._lock:
            self._rows = rows
        self._loaded = True
        keys = sorted({key for sp in rows.values() for key in sp.labels})
        self.label_key.options = keys[:MAX_KEY_SUGGESTIONS]
        self._apply()
        deleted = sum(1 for sp in rows.values() if sp.deleted)
        self.ctx.log.info(
            f"Loaded {amount(len(rows), 'subproject')} "
            f"({len(rows) - deleted:,} live, {deleted:,} deleted)."
        )

    # -- filtering and rendering ---------------------------------------------------------------

    _quiet = False

    def _on_filter(self, _change: Any) -> None:
        if not self._quiet:
            self._apply()

    def _apply(self) -> None:
        wanted = self.filter
        view = self.grid.sort([sp for sp in self.rows if wanted.matches(sp)])
        self._view = view
        self._render()

    def _render(self) -> None:
        self.download.value = ""  # a link to an older view would mislead
        if not self._loaded:
            self.count.value = message("muted", "Not loaded: connect, or press Refresh.")
            self.grid.show([])
            return
        rows = self.rows
        wanted = self.filter
        pool = [sp for sp in rows if wanted.show_deleted or not sp.deleted]
        hidden = 0 if wanted.show_deleted else len(rows) - len(pool)
        extra = f" ({hidden:,} deleted hidden)" if hidden else ""
        if self._view:
            shown = f"Showing {len(self._view):,} of {amount(len(pool), 'subproject')}{extra}"
            hint = f" · {self.grid.sort_words} (click a column header to sort, a row to edit it)"
        else:
            shown = f"No subproject matches these filters (of {len(pool):,}{extra})"
            hint = " · Clear filters shows them all"
        self.count.value = f"<b>{shown}</b>{hint}"
        self.grid.show(self._view)

    # -- actions -------------------------------------------------------------------------------

    def _open(self, subproject_id: str) -> None:
        if self.on_open is not None:
            self.on_open(subproject_id)

    def view_frame(self) -> pd.DataFrame:
        """The view as a DataFrame in `client.frame()`'s shape, from the loaded records."""
        return records_frame([sp.to_dict() for sp in self._view])

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
        self.ctx.log.info(f"Exported {amount(len(self._view), 'subproject')} ({kind}).")

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
        ids = [sp.subproject_id for sp in self._view]
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
