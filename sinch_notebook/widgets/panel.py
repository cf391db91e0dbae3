"""The panel: Connect, Browse, Create, Edit, Bulk and History tabs over one shared connection.

The panel holds no connection of its own. It shows whatever `sn.active()` is and listens with
`sn.on_change`, so connecting in the panel, with `sn.connect()` or with `%sinch login` updates
every face at once. Network work runs in a background worker; `wait()` joins it.

Grids: `grid="html"` (the default) is the package's own grid (datagrid/: an accessible HTML
table, windowed, editable, in the page's colours) for Browse and Bulk; `grid="canvas"` shows
them in ipydatagrid's canvas grids instead (`pip install sinch-notebook[canvas]`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..connection.active import active, on_change
from ..connection.options import GivenOptions
from ..display import AUTH_LABELS
from ..errors import ValidationError
from . import controls as ui
from .browse import VISIBLE_ROWS, BrowseView
from .bulk import BulkForm
from .common import Context, close_tree, message
from .connect import ConnectForm, header_html
from .create import CreateForm
from .edit import SubprojectForm
from .history import HistoryForm
from .output import PanelLog
from .switcher import ConnectionSwitcher
from .theme import ThemeProbe
from .worker import Ticker, Worker

if TYPE_CHECKING:
    from ..client import SubprojectsClient

TICK_SECONDS = 30.0  # how often the token countdown refreshes while connected
GRIDS = ("html", "canvas")

# The newest panel preloads Browse on every connection change. Older ones (a re-run cell leaves
# its panel alive in the kernel) load only when their Browse tab is shown, so re-running
# `sn.panel()` ten times does not list a 10,000-subproject account ten times per login.
_newest: weakref.ref[Panel] | None = None


# The tab strip spans the panel, as the box below it does (ipywidgets gives each tab a fixed
# width, so six tabs stopped short of the right edge).
PANEL_CSS = """<style>
.sn-panel .sn-tabs.widget-tab > .lm-TabBar .lm-TabBar-tab {
  flex: 1 1 0 !important;
  max-width: none !important;
}
</style>"""

APP_HEADING = (
    "<h2 style='margin:0.2em 0'>Sinch subprojects</h2>"
    "<div style='margin-bottom:0.6em'>Look through the subprojects of a Sinch project, rename "
    "them, change their labels, create and delete them, one at a time or many at once from an "
    "edited spreadsheet. Connect first.</div>"
)


def _user_namespace() -> dict[str, Any]:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("no IPython shell: pass namespace= to panel()")
    return shell.user_ns


class Panel(widgets.VBox):
    """The sinch-notebook widget panel. Display it (it is a VBox); `close()` when done."""

    def __init__(
        self,
        *,
        key_id: str | None = None,
        project_id: str | None = None,
        auth: str | None = None,
        api_version: str | None = None,
        api_url: str | None = None,
        auth_url: str | None = None,
        sandbox: bool = False,
        profile: str | None = None,
        save_as: str | None = None,
        namespace: dict[str, Any] | None = None,
        threaded: bool = True,
        visible_rows: int = VISIBLE_ROWS,
        tick_seconds: float = TICK_SECONDS,
        autoconnect: bool = True,
        grid: str = "html",
        for_code: bool = True,
    ) -> None:
        if grid not in GRIDS:
            raise ValidationError("grid", f"must be one of {', '.join(GRIDS)}, got {grid!r}")
        canvas = canvas_grid(grid, self.open_in_edit, visible_rows)
        self.grid_mode = grid
        self.activity = PanelLog()
        self.header = ui.html("sn-header")
        self.busy = ui.html("sn-busy")
        self.worker = Worker(self.activity, threaded=threaded, on_busy=self._show_busy)
        self.ctx = Context(
            log=self.activity,
            worker=self.worker,
            namespace=(lambda: namespace) if namespace is not None else _user_namespace,
            for_code=for_code,
        )
        given = GivenOptions(key_id, project_id, auth, auth_url, api_url, api_version, profile)
        self.connect_form = ConnectForm(self.ctx, given, sandbox=sandbox, save_as=save_as)
        self.switcher = ConnectionSwitcher(on_error=self.activity.error)
        self.browser = BrowseView(
            self.ctx,
            on_open=self.open_in_edit,
            on_frame=self._on_frame,
            visible_rows=visible_rows,
            grid=canvas,
        )
        self.create_form = CreateForm(self.ctx, on_created=self.browser.upsert)
        self.edit_form = SubprojectForm(self.ctx, on_changed=self.browser.upsert)
        self.bulk_form = BulkForm(
            self.ctx, on_applied=self.browser.refresh, canvas=canvas is not None
        )
        self.history_form = HistoryForm(self.ctx)
        # A canvas grid cannot read the page's CSS: it is told the theme's colours and its width.
        self.theme = ThemeProbe() if canvas is not None else None
        if self.theme is not None:
            self.theme.paint(self.browser.grid.grid)
            self.theme.paint(self.bulk_form.editor.grid.grid)
            self.theme.on_width("sn-browse-grid", lambda pixels: self.browser.grid.fit(pixels))
        # The tabs, in order: (title, widget). A new tab is one more entry here; a tab with a
        # `set_connected(bool)` method is told whenever the connection changes.
        self.pages: list[tuple[str, widgets.Widget]] = [
            ("Connect", self.connect_form),
            ("Browse", self.browser),
            ("Create", self.create_form),
            ("Edit", self.edit_form),
            ("Bulk", self.bulk_form),
            ("History", self.history_form),
        ]
        self.tabs = ui.with_class(
            widgets.Tab(
                children=[page for _, page in self.pages],
                titles=[title for title, _ in self.pages],
            ),
            "sn-tabs",
        )
        self.tabs.observe(self.ctx.guard(self._on_tab), names="selected_index")
        self.clear_log_button = ui.button("Clear log", "sn-clear-log", icon="eraser")
        self.clear_log_button.on_click(self.ctx.guard(lambda _b: self.activity.clear()))
        self._ticker = Ticker(tick_seconds, self.refresh_status)
        self._client: SubprojectsClient | None = None
        self._unfollow: Any = None  # stops following the shared client's writes
        if not for_code:  # the app: its words are for people who do not code
            ui.show(self.browser.frame_name, False)
            ui.show(self.browser.frame_button, False)
        heading = [] if for_code else [widgets.HTML(APP_HEADING)]
        super().__init__(
            [
                *heading,
                ui.row(self.header, self.switcher, self.busy),
                self.tabs,
                ui.row(widgets.HTML("<b>Activity</b> (newest first)"), self.clear_log_button),
                self.activity.widget,
                *([self.theme] if self.theme is not None else []),
                widgets.HTML(PANEL_CSS, layout=widgets.Layout(display="none")),
            ]
        )
        self.add_class("sn-panel")
        global _newest
        _newest = weakref.ref(self)
        self._unsubscribe = on_change(self._on_active_changed)
        self._closed = False
        self._on_active_changed(active())
        self._stop_following_cells = self._follow_cells() if namespace is None else None
        if autoconnect and active() is None and self.connect_form.autoconnect:
            # Complete SINCH_* credentials: connect as Connect would, without waiting for a click.
            self.connect_form.connect()

    def __repr__(self) -> str:
        client = getattr(self, "_client", None)
        if client is None:
            return "Panel(not connected)"
        return f"Panel(project={client.project_id!r}, auth={client.auth_mode!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The text a page shows where the panel is not drawn (a notebook opened before it is
        run, GitHub, a terminal) says what to do, in one line."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = not_drawn_text(self._client)
        return bundle

    # -- public --------------------------------------------------------------------------------

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Wait for background work (connect, load, save, apply, filter keystrokes); False on
        timeout."""
        return self.browser.settle(timeout) and self.worker.wait(timeout)

    def log_text(self) -> str:
        """The activity log as plain text."""
        return self.activity.text()

    def tab_index(self, title: str) -> int:
        return [name for name, _ in self.pages].index(title)

    def show_tab(self, title: str) -> None:
        self.tabs.selected_index = self.tab_index(title)

    def open_in_edit(self, subproject_id: str) -> None:
        """Load a subproject into the Edit tab and show that tab."""
        self.show_tab("Edit")
        self.edit_form.open_subproject(subproject_id)

    def refresh_status(self) -> None:
        """Redraw the header and the Connect tab's status (token minutes left)."""
        client = self._client
        self.header.value = header_html(client)
        self.switcher.show(client)
        self.connect_form.show_client(client)

    def close(self) -> None:
        """Stop listening and ticking, and close every widget of the panel."""
        if getattr(self, "_closed", True):  # closed, or __init__ never finished
            return
        self._closed = True
        self._unsubscribe()
        stop_following_cells = getattr(self, "_stop_following_cells", None)
        if stop_following_cells is not None:
            stop_following_cells()
        self._follow_writes(None)
        self._ticker.stop()
        self.worker.wait(timeout=10)
        for child in list(self.children):
            close_tree(child)
        self.layout.close()
        super().close()

    # -- reactions -----------------------------------------------------------------------------

    def _on_active_changed(self, client: SubprojectsClient | None) -> None:
        """The shared connection changed (here, in another panel, or in the magic)."""
        if getattr(self, "_closed", True):
            return
        previous, self._client = self._client, client
        if client is not previous:
            self._follow_writes(client)
        connected = client is not None
        # Another account (or none): what the tabs show of the old one goes. Connecting again
        # to the same account (a new token, the same profile) keeps it.
        switched = previous is not None and account_of(client) != account_of(previous)
        for _, page in self.pages:
            if hasattr(page, "set_connected"):
                page.set_connected(connected)
            if switched and hasattr(page, "forget_connection"):
                page.forget_connection()
        self.refresh_status()
        if client is None:
            self._ticker.stop()
            self.browser.clear()
            self.edit_form.clear()
            return
        if client.auth_mode == "oauth":
            self._ticker.start()
        else:
            self._ticker.stop()
        if client is not previous:
            self.edit_form.clear()
            self.browser.clear()
            if self.newest or self.tabs.selected_index == self.tab_index("Browse"):
                self.browser.refresh()

    def _follow_writes(self, client: SubprojectsClient | None) -> None:
        """Follow every change made through the shared client (this panel, `%sinch`, a cell):
        Browse shows it at once, and Edit follows it or says it changed elsewhere."""
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None
        if client is not None:
            self._unfollow = client.add_write_listener(self._on_written)

    def _on_written(self, subproject_id: str, subproject: Any) -> None:
        if getattr(self, "_closed", True):
            return
        self.browser.follow(subproject_id, subproject)
        self.edit_form.follow(subproject_id, subproject)

    @property
    def newest(self) -> bool:
        """Whether this is the most recently made panel (the one that preloads Browse)."""
        return _newest is not None and _newest() is self

    def _on_tab(self, change: Any) -> None:
        self.refresh_status()  # the countdown also moves on every interaction
        browser = self.browser
        showing_browse = change["new"] == self.tab_index("Browse")
        if showing_browse:
            browser.grid.redraw()  # rows that changed while it was hidden are drawn now
        if showing_browse and self._client is not None and not browser.loaded:
            browser.refresh()  # a no-op while a load is already on its way
        if change["new"] == self.tab_index("Bulk"):
            self.bulk_form.rescan()

    def _follow_cells(self) -> Callable[[], None] | None:
        """After each cell the notebook's DataFrames are looked for again, so Bulk's picker
        lists a `df` made after the panel was shown, even with the Bulk tab open already."""
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return None

        def after_cell(_result: Any = None) -> None:
            if not getattr(self, "_closed", True):
                self.ctx.guard(self.bulk_form.rescan)()

        shell.events.register("post_run_cell", after_cell)
        return lambda: shell.events.unregister("post_run_cell", after_cell)

    def _on_frame(self, name: str) -> None:
        self.bulk_form.rescan()
        if name in self.bulk_form.variable.options:
            self.bulk_form.variable.value = name
            self.bulk_form.picker_status.value = message(
                "info", f"{name} is ready: Load and plan shows it in the grid."
            )

    def _show_busy(self, label: str | None) -> None:
        self.busy.value = message("busy", f"{label}…") if label else ""
        if label is None and not getattr(self, "_closed", True):
            self.refresh_status()


def account_of(client: SubprojectsClient | None) -> tuple[str, str, str] | None:
    """Which account a connection reaches: the API, the project and the key."""
    if client is None:
        return None
    return (client.base_url, client.project_id, client.key_id)


def canvas_grid(grid: str, on_open: Any, visible_rows: int) -> Any:
    """Browse's canvas grid for `grid="canvas"` (None for the default grid); Bulk's follows."""
    if grid != "canvas":
        return None
    try:
        from .grid import SubprojectGrid
    except ImportError as err:
        raise ValidationError(
            "grid", f'"canvas" needs ipydatagrid: pip install "sinch-notebook[canvas]" ({err})'
        ) from None
    return SubprojectGrid(on_open=on_open, on_sort=lambda: None, visible_rows=visible_rows)


def not_drawn_text(client: SubprojectsClient | None) -> str:
    """One line in place of the panel where widgets are not drawn."""
    where = "not connected"
    if client is not None:
        where = (
            f"project {client.project_id!r}, {AUTH_LABELS.get(client.auth_mode, client.auth_mode)}"
        )
    return (
        f"[Sinch panel ({where}): run this cell in Jupyter to show it; "
        "widgets need a running kernel]"
    )


def panel(**options: Any) -> Panel:
    """The widget panel (see `Panel` for the options); display it as the cell's result."""
    return Panel(**options)
