"""The Browse tab: every subproject, filtered and sorted in the kernel, shown one page at a time.

The list is fetched once (deleted included, so "show deleted" needs no second request) and kept
as `Subproject` records. Filters run over those records in Python; only the current page is
rendered, as one HTML table plus one Select listing the same rows for opening in Edit. So the
number of widgets is fixed and 10,000 subprojects cost the same front-end work as 10.
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..models import Subproject
from .common import (
    Context,
    button,
    checkbox,
    describe_error,
    esc,
    format_time,
    message,
    shared_setting,
    with_class,
)

if TYPE_CHECKING:
    import pandas as pd

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SORTS: dict[str, tuple[Callable[[Subproject], Any], bool]] = {
    "Recently updated": (lambda sp: sp.update_time or _EPOCH, True),
    "Newest first": (lambda sp: sp.create_time or _EPOCH, True),
    "Oldest first": (lambda sp: sp.create_time or _EPOCH, False),
    "Name A–Z": (lambda sp: (sp.display_name.casefold(), sp.subproject_id), False),
}
PAGE_SIZES = (25, 50, 100, 200)
MAX_LABEL_CHIPS = 6
_CELL = "padding:3px 8px;border-bottom:1px solid var(--jp-border-color2,#e0e0e0);"
_HEAD = _CELL + "text-align:left;font-weight:600;white-space:nowrap;"
_CHIP = (
    "display:inline-block;padding:0 5px;margin:1px 2px;border-radius:3px;font-size:90%;"
    "line-height:1.5;background:var(--jp-layout-color2,#eeeeee);white-space:nowrap;"
)


def matches(
    sp: Subproject, name: str, label_key: str, label_value: str, show_deleted: bool
) -> bool:
    """The Browse filters: name/id substring, label key (exact) and value substring, deleted."""
    if sp.deleted and not show_deleted:
        return False
    if name and name not in sp.display_name.casefold() and name not in sp.subproject_id.casefold():
        return False
    if label_key:
        if label_key not in sp.labels:
            return False
        return not label_value or label_value in sp.labels[label_key].casefold()
    if label_value:
        return any(label_value in value.casefold() for value in sp.labels.values())
    return True


def _labels_html(labels: dict[str, str]) -> str:
    items = list(labels.items())
    chips = "".join(
        f'<span style="{_CHIP}">{esc(k)}={esc(v)}</span>' for k, v in items[:MAX_LABEL_CHIPS]
    )
    if len(items) > MAX_LABEL_CHIPS:
        chips += f' <span style="opacity:.7">+{len(items) - MAX_LABEL_CHIPS} more</span>'
    return chips


def table_html(rows: list[Subproject], first_number: int) -> str:
    """One page of subprojects as an HTML table (every value escaped)."""
    head = "".join(
        f'<th style="{_HEAD}">{title}</th>'
        for title in ("#", "Name", "ID", "Labels", "Created (UTC)", "Updated (UTC)")
    )
    body = []
    for number, sp in enumerate(rows, first_number):
        name = esc(sp.display_name)
        style = ""
        if sp.deleted:
            name = f'<s>{name}</s> <span style="color:#c62828">deleted</span>'
            style = ' style="opacity:.6"'
        body.append(
            f'<tr data-id="{esc(sp.subproject_id)}"{style}>'
            f'<td style="{_CELL}opacity:.6">{number}</td>'
            f'<td style="{_CELL}">{name}</td>'
            f'<td style="{_CELL}"><code>{esc(sp.subproject_id)}</code></td>'
            f'<td style="{_CELL}">{_labels_html(sp.labels)}</td>'
            f'<td style="{_CELL}white-space:nowrap">{format_time(sp.create_time)}</td>'
            f'<td style="{_CELL}white-space:nowrap">{format_time(sp.update_time)}</td>'
            "</tr>"
        )
    return (
        '<table class="sn-table" style="border-collapse:collapse;width:100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


class BrowseView(widgets.VBox):
    """Filters, a count, one page of the table, a pager, a row picker and "To DataFrame"."""

    def __init__(
        self,
        ctx: Context,
        *,
        on_open: Callable[[str], None] | None = None,
        on_frame: Callable[[str], None] | None = None,
        page_size: int = 25,
    ) -> None:
        self.ctx = ctx
        self.on_open = on_open
        self.on_frame = on_frame
        self._lock = threading.Lock()
        self._render_lock = threading.RLock()
        self._rows: dict[str, Subproject] = {}
        self._view: list[Subproject] = []
        self._page = 0
        self._loaded = False
        self._loading = False
        self._rendering = False

        self.name_filter = with_class(
            widgets.Text(placeholder="name or id contains…", layout=widgets.Layout(width="16em")),
            "sn-name-filter",
        )
        self.label_key = with_class(
            widgets.Combobox(
                placeholder="label key", ensure_option=False, layout=widgets.Layout(width="10em")
            ),
            "sn-label-key-filter",
        )
        self.label_value = with_class(
            widgets.Text(placeholder="label value contains…", layout=widgets.Layout(width="13em")),
            "sn-label-value-filter",
        )
        self.show_deleted = checkbox("show deleted", "sn-show-deleted")
        self.refresh_button = button("Refresh", "sn-refresh", icon="refresh")
        self.sort = with_class(
            widgets.Dropdown(
                options=list(SORTS),
                description="Sort",
                layout=widgets.Layout(width="20em"),
                style={"description_width": "4em"},
            ),
            "sn-sort",
        )
        sizes = sorted({*PAGE_SIZES, page_size})
        self.page_size = with_class(
            widgets.Dropdown(
                options=sizes,
                value=page_size,
                description="Per page",
                layout=widgets.Layout(width="11em"),
            ),
            "sn-page-size",
        )
        self.count = with_class(widgets.HTML(), "sn-browse-count")
        self.table = with_class(
            widgets.HTML(layout=widgets.Layout(max_height="28em", overflow="auto")),
            "sn-browse-table",
        )
        self.prev_button = button("", "sn-prev-page", icon="chevron-left", tooltip="Previous")
        self.next_button = button("", "sn-next-page", icon="chevron-right", tooltip="Next page")
        self.prev_button.layout.width = self.next_button.layout.width = "3em"
        self.page_label = with_class(widgets.HTML(), "sn-page-label")
        self.select = with_class(
            widgets.Select(
                options=[],
                rows=8,
                description="Open in Edit",
                layout=widgets.Layout(width="40em"),
                style={"description_width": "7em"},
            ),
            "sn-browse-select",
        )
        self.frame_name = with_class(
            widgets.Text(
                value="subprojects_df",
                description="Variable",
                layout=widgets.Layout(width="18em"),
                style={"description_width": "5em"},
            ),
            "sn-frame-name",
        )
        self.frame_button = button(
            "To DataFrame",
            "sn-to-frame",
            icon="table",
            tooltip="Put the current view (all pages) into a notebook variable",
        )
        self.status = with_class(widgets.HTML(), "sn-browse-status")

        for control in (self.name_filter, self.label_key, self.label_value, self.show_deleted):
            control.observe(self.ctx.guard(self._on_filter), names="value")
        self.sort.observe(self.ctx.guard(self._on_filter), names="value")
        self.page_size.observe(self.ctx.guard(self._on_filter), names="value")
        self.refresh_button.on_click(self.ctx.guard(lambda _b: self.refresh()))
        self.prev_button.on_click(self.ctx.guard(lambda _b: self.go_to_page(self._page - 1)))
        self.next_button.on_click(self.ctx.guard(lambda _b: self.go_to_page(self._page + 1)))
        self.select.observe(self.ctx.guard(self._on_select), names="value")
        self.frame_button.on_click(self.ctx.guard(self._on_to_frame))

        super().__init__(
            [
                widgets.HBox(
                    [
                        self.name_filter,
                        self.label_key,
                        self.label_value,
                        self.show_deleted,
                        self.refresh_button,
                    ]
                ),
                widgets.HBox([self.sort, self.page_size]),
                self.count,
                self.table,
                widgets.HBox([self.prev_button, self.page_label, self.next_button]),
                self.select,
                widgets.HBox([self.frame_name, self.frame_button]),
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
        """The subprojects that match the filters, sorted: every page, not just this one."""
        return list(self._view)

    @property
    def page(self) -> list[Subproject]:
        size = self.page_size.value
        return self._view[self._page * size : (self._page + 1) * size]

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def loading(self) -> bool:
        return self._loading

    def refresh(self) -> None:
        """Reload every subproject from the server (in the background; once if asked twice)."""
        if self._loading:
            return
        self._loading = True
        self.refresh_button.disabled = True
        self.count.value = message("busy", "Loading subprojects…")
        self.ctx.worker.submit("Loading subprojects", self._load)

    def upsert(self, subproject: Subproject) -> None:
        """Show a subproject created or changed by this panel without reloading everything."""
        with self._lock:
            self._rows[subproject.subproject_id] = subproject
        if self._loaded:
            self._apply(keep_page=True)

    def clear(self) -> None:
        with self._lock:
            self._rows = {}
        self._loaded = False
        self._apply()

    def go_to_page(self, number: int) -> None:
        pages = self._pages()
        self._page = max(0, min(number, pages - 1))
        self._render()

    def _load(self) -> None:
        try:
            client = self.ctx.client()
            rows: dict[str, Subproject] = {}
            page_size = shared_setting("page_size", 1000)
            for page in client.iter_pages(show_deleted=True, page_size=page_size):
                for item in page:
                    sp = Subproject.from_api(item)
                    rows[sp.subproject_id] = sp
                self.count.value = message("busy", f"Loading subprojects… {len(rows):,}")
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            text = f"Could not load subprojects: {describe_error(err)}"
            self.count.value = message("error", text)
            self.ctx.log.error(text)
            return
        finally:
            self._loading = False
            self.refresh_button.disabled = False
        with self._lock:
            self._rows = rows
        self._loaded = True
        keys = sorted({key for sp in rows.values() for key in sp.labels})
        self.label_key.options = keys[:500]
        self._apply(keep_page=True)
        deleted = sum(1 for sp in rows.values() if sp.deleted)
        self.ctx.log.info(
            f"Loaded {len(rows):,} subprojects ({len(rows) - deleted:,} live, {deleted:,} deleted)."
        )

    # -- filtering and rendering ---------------------------------------------------------------

    def _on_filter(self, _change: Any) -> None:
        self._apply()

    def _apply(self, keep_page: bool = False) -> None:
        name = self.name_filter.value.strip().casefold()
        key = self.label_key.value.strip()
        value = self.label_value.value.strip().casefold()
        deleted = self.show_deleted.value
        sort_key, reverse = SORTS[self.sort.value]
        view = [sp for sp in self.rows if matches(sp, name, key, value, deleted)]
        view.sort(key=sort_key, reverse=reverse)
        with self._render_lock:
            self._view = view
            if not keep_page:
                self._page = 0
            self._page = min(self._page, self._pages() - 1)
            self._render()

    def _pages(self) -> int:
        return max(1, -(-len(self._view) // self.page_size.value))

    def _render(self) -> None:
        with self._render_lock:
            self._rendering = True
            try:
                self._render_page()
            finally:
                self._rendering = False

    def _render_page(self) -> None:
        if not self._loaded:
            self.count.value = message("muted", "Not loaded: connect, or press Refresh.")
            self.table.value = ""
            self.select.options = []
            self.page_label.value = ""
            self.prev_button.disabled = self.next_button.disabled = True
            return
        size = self.page_size.value
        rows = self.page
        first = self._page * size + 1
        total = len(self._rows)
        hidden = 0 if self.show_deleted.value else sum(1 for sp in self.rows if sp.deleted)
        if rows:
            shown = f"Showing {first:,}–{first + len(rows) - 1:,} of {len(self._view):,}"
        else:
            shown = "No subprojects match"
        extra = f" ({hidden:,} deleted hidden)" if hidden else ""
        self.count.value = f"<b>{shown}</b> · {total:,} loaded{extra}"
        self.table.value = table_html(rows, first) if rows else ""
        self.select.options = [
            (f"{n}. {sp.display_name}{' (deleted)' if sp.deleted else ''} — {sp.id}", sp.id)
            for n, sp in enumerate(rows, first)
        ]
        self.select.value = None
        pages = self._pages()
        self.page_label.value = f"&nbsp;Page {self._page + 1:,} of {pages:,}&nbsp;"
        self.prev_button.disabled = self._page == 0
        self.next_button.disabled = self._page >= pages - 1

    # -- actions -------------------------------------------------------------------------------

    def _on_select(self, change: Any) -> None:
        if self._rendering or not change["new"] or self.on_open is None:
            return
        self.on_open(change["new"])
        with self._render_lock:  # unselect, so picking the same row again opens it again
            self._rendering = True
            try:
                self.select.value = None
            finally:
                self._rendering = False

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
        self.status.value = message("busy", f"Building a DataFrame of {len(ids):,} rows…")
        self.ctx.worker.submit("Building a DataFrame", self._to_frame, name, ids)

    def _to_frame(self, name: str, ids: list[str]) -> None:
        try:
            frame = view_frame(self.ctx.client(), ids, self.show_deleted.value)
        except Exception as err:  # a SinchError, usually; nothing may leave the form stuck
            text = f"Could not build the DataFrame: {describe_error(err)}"
            self.status.value = message("error", text)
            self.ctx.log.error(text)
            return
        self.ctx.namespace()[name] = frame
        text = f"{name} = DataFrame of {len(frame):,} rows × {len(frame.columns)} columns"
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
