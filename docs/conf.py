"""Sphinx configuration of the sinch-notebook manual (`./scripts/docs` builds it).

Why this toolchain: the projects our users already read (ipywidgets, JupyterLab, Voila) write
their manuals with Sphinx and MyST Markdown; myst-nb renders the example notebooks with their
saved outputs and executes the how-to guides against the sandbox at build time, so a guide whose
code stops working breaks the build; the PyData theme is the one those manuals use (light and
dark). See `about.md`.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import sinch_notebook  # noqa: E402

project = "sinch-notebook"
author = "the sinch-notebook developers"
copyright = "2026, the sinch-notebook developers"
release = version = sinch_notebook.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx_copybutton",
    "sinch_reference",
]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "**/.ipynb_checkpoints",
    "README.md",
    "jupyter_execute",
    "architecture.md",  # shown as explanation/architecture.md
    "api-facts.md",  # shown as explanation/api-facts.md
]
suppress_warnings: list[str] = []

# MyST: headings get anchors so pages can link to a section; every internal link is resolved
# (an unknown target is a warning, and warnings are errors in ./scripts/docs).
myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3

# myst-nb: notebooks (the tutorials) are shown with the outputs they are committed with; pages
# written as MyST notebooks (the how-to guides, with a kernelspec in their front matter) are
# executed at every build, against a sandbox in their kernel, and an error fails the build.
nb_execution_mode = "force"
nb_execution_excludepatterns = ["notebooks/*.ipynb"]  # the tutorials: as committed
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 180
nb_merge_streams = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "undoc-members": False}

html_theme = "pydata_sphinx_theme"
html_title = f"sinch-notebook {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": True,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "auto"}
default_role = "code"  # the docstrings write `name` for code, as Markdown does
nb_execution_in_temp = True  # guides write their files (history, plans) in a temp dir

# Cross-references are checked (-n): every link between pages and every reference the manual
# writes must resolve. Type hints that name other libraries' classes (pandas, datetime, ...) or
# the package's private helpers are not pages of this manual, so those are let through.
nitpick_ignore_regex = [
    (r"py:.*", r"(builtins|collections|datetime|os|pathlib|typing|types|pandas|pd|numpy|np)\b.*"),
    (r"py:.*", r"(requests|urllib3|ipywidgets|widgets|traitlets|matplotlib|threading|io)\b.*"),
    (r"py:.*", r"sinch_notebook\..*"),  # a hint naming a module path the page shows by short name
    (r"py:class", r"[A-Z][A-Za-z]*"),  # a bare class name in a hint (Path, Subproject, ...)
]
