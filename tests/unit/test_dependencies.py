"""Dependencies as they are used: every import is declared, ipydatagrid (the optional canvas
grid, whose private internals widgets/grid.py works around) stays in its tested range, and
binder/ is pinned in step with pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sinch_notebook"
# An import whose distribution has another name, or comes with another declared one.
DISTRIBUTION = {
    "IPython": "ipython",
    "ruamel": "ruamel.yaml",
    "yaml": "pyyaml",
    "jupyter_core": "jupyterlab",
    "tomli_w": "tomli-w",
    "zmq": "pyzmq",
}
TESTED_IPYDATAGRID = "1.4"  # the minor version widgets/grid.py's workaround was written for


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()


def _imports() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "sinch_notebook"}


def test_every_third_party_import_is_declared() -> None:
    project = _project()
    declared = {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for group in project["optional-dependencies"].values() for r in group}
    for module in sorted(_imports()):
        name = DISTRIBUTION.get(module, module).lower()
        assert name in declared or name in extras, f"{module} is imported but not declared"
    assert {"urllib3", "numpy"} <= declared  # imported at run time, not only through requests


def test_the_grid_is_not_ipydatagrid() -> None:
    """The default grid is the package's own (an anywidget): ipydatagrid is an extra, and no
    module outside the canvas grid's imports it at import time."""
    assert "ipydatagrid" not in {_name(r) for r in _project()["dependencies"]}
    assert "anywidget" in {_name(r) for r in _project()["dependencies"]}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "grid.py" and path.parent.name == "widgets":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = {getattr(n, "module", None) or n.names[0].name for n in top}
        assert not any(str(m).startswith("ipydatagrid") for m in names), path


def test_ipydatagrid_is_the_tested_version() -> None:
    """Fails loudly on an untested ipydatagrid: check the grid workaround, then widen both."""
    canvas = _project()["optional-dependencies"]["canvas"]
    (spec,) = [r for r in canvas if _name(r) == "ipydatagrid"]
    assert "<" in spec, f"ipydatagrid must have an upper bound: {spec}"
    installed = version("ipydatagrid")
    assert installed.startswith(TESTED_IPYDATAGRID + "."), (
        f"ipydatagrid {installed} is not the tested {TESTED_IPYDATAGRID}.x: widgets/grid.py "
        "overrides its private internals; test the panel's grids with it (tests/ui), then "
        "update TESTED_IPYDATAGRID, pyproject.toml and binder/requirements.txt together"
    )


def test_binder_pins_the_runtime_dependencies_in_step() -> None:
    pins = {}
    for line in (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, pinned = line.split("#")[0].strip().split("==")
            pins[name.lower()] = pinned
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    binder_python = runtime.removeprefix("python-")  # e.g. "3.11"
    for text in _project()["dependencies"]:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate(
            {"python_version": binder_python, "python_full_version": f"{binder_python}.0"}
        ):
            continue  # not installed on Binder's Python (e.g. tomli before 3.11)
        name = _name(text)
        assert name in pins, f"binder/requirements.txt does not pin {name}"
    assert "ipydatagrid" not in pins  # optional (sinch-notebook[canvas]): the notebooks need none


def test_the_demo_installs_what_it_says_it_works_in() -> None:
    """The README says the notebooks and the panel work in JupyterLab and Notebook 7: the demo's
    extra installs both, and ./scripts/demo checks both before skipping the install."""
    demo = {_name(r) for r in _project()["optional-dependencies"]["demo"]}
    assert {"jupyterlab", "notebook"} <= demo
    script = (ROOT / "scripts" / "demo").read_text()
    check = next(line for line in script.splitlines() if '-c "import sinch_notebook' in line)
    assert " jupyterlab," in check and " notebook," in check
