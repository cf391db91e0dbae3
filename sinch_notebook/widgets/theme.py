"""The canvas grids (`grid="canvas"`) in the page's colours and width: JupyterLab's theme
(light or dark, followed when the person switches) and the width there is, so the columns fit.

Why this is needed: ipydatagrid draws on a canvas, which cannot use CSS variables, so a grid
takes its colours from the theme once, when drawn; its streaming grid (Browse) never follows a
theme switch, and the plain one repaints before the new theme's CSS is in place (light rows on a
dark page). And a grid's column widths are pixels the kernel sets, with no idea how wide the
notebook is.

So a hidden text field (`ThemeProbe`) is the page's messenger: a one-line script, run by the
field's hidden output each time it is shown, writes the theme's colours (`--jp-layout-color0`,
...) and the width of each watched grid into the field as JSON whenever they change (a theme
switch, a resized window, a side panel opened), and the field syncs it to the kernel like any
typed value. The kernel then gives each grid those colours (`grid_style` and its text renderer)
and tells it its width (`on_width`). Where no script runs (a static page), the grids keep
ipydatagrid's own colours and their default widths. (The package's own grid, datagrid/, is
HTML: it reads the page's CSS variables itself and needs none of this.)
"""

from __future__ import annotations

import json
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from IPython.display import Javascript

from . import controls as ui

if TYPE_CHECKING:
    from ipydatagrid import DataGrid

# The colours read from the page: name -> JupyterLab CSS variable.
VARIABLES = {
    "background": "--jp-layout-color0",
    "header": "--jp-layout-color2",
    "text": "--jp-ui-font-color1",
    "line": "--jp-border-color2",
    "brand": "--jp-brand-color1",
}
THEMED = "sn-themed"  # the CSS class of every grid painted here

# The frame of a grid (border, the corner between the scroll bars) is HTML: CSS variables work.
_CSS = f"""<style>
.{THEMED} .lm-DataGrid {{ border-color: var(--jp-border-color2, #a0a0a0); }}
.{THEMED} .lm-DataGrid-scrollCorner {{ background-color: var(--jp-layout-color2, #f0f0f0); }}
.{THEMED} .lm-DataGrid-scrollCorner::after {{ background-color: var(--jp-border-color2, #a0a0a0); }}
</style>"""

_SCRIPT = """(function () {
  var PROBE = %(probe)s, VARIABLES = %(variables)s, WATCH = %(watch)s, tries = 0;
  function start() {
    var field = document.querySelector("." + PROBE + " input");
    if (!field) { if (tries++ < 200) { setTimeout(start, 100); } return; }
    field.dataset.snWatch = JSON.stringify(WATCH);  // the newest list, for a running watcher
    if (field.dataset.snWatching) { return; }
    field.dataset.snWatching = "1";
    var paint = document.createElement("canvas").getContext("2d"), last = "";
    function colour(name) {
      var value = getComputedStyle(document.body).getPropertyValue(name).trim();
      if (!value) { return null; }
      paint.fillStyle = "#000"; paint.fillStyle = value; return paint.fillStyle;
    }
    function report() {
      if (!document.body.contains(field)) { stop(); return; }
      var facts = {light: document.body.dataset.jpThemeLight !== "false", widths: {}};
      for (var key in VARIABLES) { facts[key] = colour(VARIABLES[key]); }
      var scope = field.closest(".sn-panel") || field.closest(".sn-frame-editor") || document;
      JSON.parse(field.dataset.snWatch || "[]").forEach(function (cls) {
        var grid = scope.querySelector("." + cls);
        if (grid && grid.offsetParent) { facts.widths[cls] = grid.parentElement.clientWidth; }
      });
      var text = JSON.stringify(facts);
      if (text === last) { return; }
      last = text; field.value = text;
      field.dispatchEvent(new Event("input", {bubbles: true}));
    }
    function soon() { report(); setTimeout(report, 300); setTimeout(report, 1500); }
    var themes = new MutationObserver(soon);
    themes.observe(document.body, {attributes: true});
    var sizes = new ResizeObserver(function () { setTimeout(report, 50); });
    var root = field.closest(".jp-OutputArea-output") || document.body;
    sizes.observe(root);
    var poll = setInterval(report, 2000);  // a tab shown, a grid drawn: cheap, and only on change
    function stop() { themes.disconnect(); sizes.disconnect(); clearInterval(poll); }
    soon();
  }
  start();
})();"""


def _rgba(colour: str, alpha: float) -> str:
    """`#rrggbb` with an alpha (the page's colours come normalized by the canvas)."""
    if colour.startswith("#") and len(colour) == 7:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgba({r}, {g}, {b}, {alpha})"
    return colour


def grid_style(colours: dict[str, str]) -> dict[str, str]:
    """ipydatagrid's `grid_style` in the page's colours."""
    background, line, brand = colours["background"], colours["line"], colours["brand"]
    return {
        "background_color": background,
        "void_color": background,
        "grid_line_color": line,
        "header_background_color": colours["header"],
        "header_grid_line_color": line,
        "selection_fill_color": _rgba(brand, 0.25),
        "selection_border_color": brand,
        "header_selection_fill_color": _rgba(brand, 0.25),
        "header_selection_border_color": brand,
        "cursor_fill_color": _rgba(brand, 0.15),
        "cursor_border_color": brand,
    }


class ThemeProbe(widgets.VBox):
    """Hidden; tells the kernel the page's theme colours and the width of watched grids."""

    def __init__(self) -> None:
        self.name = f"sn-theme-probe-{uuid.uuid4().hex[:12]}"
        self.colours: dict[str, str] = {}
        self.light = True
        self.widths: dict[str, int] = {}
        self._grids: weakref.WeakSet[DataGrid] = weakref.WeakSet()
        self._width_listeners: dict[str, Callable[[int], None]] = {}
        self.field = ui.with_class(
            widgets.Text(value="", continuous_update=True), "sn-theme-probe", self.name
        )
        self.field.observe(self._on_report, names="value")
        self._script = widgets.Output()
        self._css = widgets.HTML(_CSS)
        super().__init__(
            [self.field, self._script, self._css], layout=widgets.Layout(display="none")
        )
        self._write_script()

    def _write_script(self) -> None:
        script = _SCRIPT % {
            "probe": json.dumps(self.name),
            "variables": json.dumps(VARIABLES),
            "watch": json.dumps(sorted(self._width_listeners)),
        }
        self._script.outputs = ()
        self._script.append_display_data(Javascript(script))

    # -- what the kernel asks for ----------------------------------------------------------------

    def paint(self, grid: DataGrid) -> None:
        """Give `grid` the page's colours, now (when known) and at every theme change."""
        grid.add_class(THEMED)
        self._grids.add(grid)
        if self.colours:
            _paint(grid, self.colours)

    def on_width(self, css_class: str, listener: Callable[[int], None]) -> None:
        """Call `listener(pixels)` with the width available to the grid of `css_class`."""
        self._width_listeners[css_class] = listener
        self._write_script()
        if css_class in self.widths:
            listener(self.widths[css_class])

    def report(self, facts: dict[str, Any]) -> None:
        """What the page's script sends (tests send it themselves)."""
        self.field.value = json.dumps(facts)

    # -- what the page says ----------------------------------------------------------------------

    def _on_report(self, change: dict[str, Any]) -> None:
        try:
            facts = json.loads(change["new"] or "{}")
        except ValueError:
            return
        if not isinstance(facts, dict):
            return
        colours = {k: facts.get(k) for k in VARIABLES}
        if all(isinstance(v, str) and v for v in colours.values()) and colours != self.colours:
            self.colours = {k: str(v) for k, v in colours.items()}
            self.light = bool(facts.get("light", True))
            for grid in list(self._grids):
                _paint(grid, self.colours)
        widths = facts.get("widths")
        for css_class, pixels in widths.items() if isinstance(widths, dict) else ():
            listener = self._width_listeners.get(css_class)
            if not isinstance(pixels, int | float) or pixels <= 0 or listener is None:
                continue
            if self.widths.get(css_class) != int(pixels):
                self.widths[css_class] = int(pixels)
                listener(int(pixels))


def _paint(grid: DataGrid, colours: dict[str, str]) -> None:
    from ipydatagrid import TextRenderer  # the canvas grid's, installed with it

    renderer = grid.default_renderer
    with grid.hold_sync():
        grid.grid_style = grid_style(colours)
        grid.default_renderer = TextRenderer(
            text_color=colours["text"],
            background_color=colours["background"],
            text_wrap=getattr(renderer, "text_wrap", False),
            vertical_alignment=getattr(renderer, "vertical_alignment", "center"),
        )
        for name, column in dict(grid.renderers).items():
            if isinstance(column, TextRenderer):
                grid.renderers = {
                    **grid.renderers,
                    name: TextRenderer(
                        text_color=colours["text"],
                        background_color=colours["background"],
                        text_wrap=column.text_wrap,
                        vertical_alignment=column.vertical_alignment,
                    ),
                }
