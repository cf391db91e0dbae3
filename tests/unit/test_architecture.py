"""The layering the design promises, checked on the source, by folder (so a new module is
covered the moment it exists): three wings, a core, the connection and the faces, plus the
sandbox, an independent oracle that imports nothing from the client side.

- core: the modules at the package root, `bulk/` and `account_history/`; handed a client,
  it never imports the connection wing, a face or the sandbox;
- connection: `connection/` (options, the active and named connections, profiles, the local
  sandbox); it imports the core and the sandbox, never a face;
- faces: the Python API (the package's `__init__`), `magic/`, `widgets/`, `cli/`; they import
  the core and the connection wing (and the sandbox, which the CLI and the panel start);
- sandbox: `sandbox/`, which imports nothing outside itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sinch_notebook"

# Each folder of the package and its wing; the root's modules are the core.
FOLDERS = {
    "bulk": "core",
    "account_history": "core",
    "frames": "core",
    "desired_state": "core",
    "guards": "core",
    "connection": "connection",
    "magic": "face",
    "widgets": "face",
    "cli": "face",
    "sandbox": "sandbox",
}
# What each wing may import (besides itself).
ALLOWED = {
    "core": set(),
    "connection": {"core", "sandbox"},
    "face": {"core", "connection", "sandbox"},
    "sandbox": set(),
}
MAX_ROOT_MODULES = 20  # as flat as requests: more, and the root needs a folder

# Deliberate facades: a convenience method that reaches up a layer, lazily.
FACADES = {
    ("sinch_notebook.client", "sinch_notebook.bulk"),  # client.plan()
    ("sinch_notebook.client", "sinch_notebook.frames"),  # client.frame()
    ("sinch_notebook.bulk.plan", "sinch_notebook.bulk.apply"),  # Plan.apply()
    ("sinch_notebook.bulk.plan", "sinch_notebook.bulk.planfile"),  # Plan.save(), to_json()
    ("sinch_notebook.bulk.plan", "sinch_notebook.bulk.saved"),  # a saved Plan's apply, replan
}
# A convenience that crosses wings, lazily: Sandbox.connect() (tests and demos connect in one
# call) reaches the connection wing for its client side.
CROSSINGS = {("sinch_notebook.sandbox", "sinch_notebook.connection.local_sandbox")}


def wing(module: str) -> str:
    """The wing of a package module, from where it lies."""
    parts = module.split(".")
    if len(parts) == 1:
        return "face"  # the package itself: the Python API (`import sinch_notebook as sn`)
    folder = parts[1]
    if (PACKAGE / folder).is_dir():
        assert folder in FOLDERS, f"sinch_notebook/{folder}/ is in no wing: add it to FOLDERS"
        return FOLDERS[folder]
    return "core"


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time (function-level imports included,
    `if TYPE_CHECKING:` blocks not)."""
    names = module_names()
    graph: dict[str, set[str]] = {}
    for module, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        edges: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                target = _target(module, path, node)
                subs = {f"{target}.{a.name}" for a in node.names} & names.keys()
                edges |= subs
                if len(subs) < len(node.names) and target in names:
                    edges.add(target)
            elif isinstance(node, ast.Import):
                edges |= {a.name for a in node.names} & names.keys()
        graph[module] = edges - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_real_imports() -> None:
    graph = import_graph()
    assert "sinch_notebook.transport" in graph["sinch_notebook.client"]
    assert "sinch_notebook.bulk.apply" in graph["sinch_notebook.bulk.plan"]  # a lazy one
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_no_import_cycle_remains_but_the_deliberate_facades() -> None:
    graph = import_graph()
    for source, target in FACADES | CROSSINGS:
        assert target in graph[source], f"facade {source} -> {target} is gone: update FACADES"
        graph[source] = graph[source] - {target}
    assert cycles(graph) == []


def test_each_wing_imports_only_what_it_may() -> None:
    graph = import_graph()
    wrong = []
    for module, edges in sorted(graph.items()):
        for target in sorted(edges):
            if (module, target) in CROSSINGS:
                continue
            source_wing, target_wing = wing(module), wing(target)
            if target_wing != source_wing and target_wing not in ALLOWED[source_wing]:
                wrong.append(f"{module} ({source_wing}) imports {target} ({target_wing})")
    assert wrong == []


def test_the_wings_are_read_from_the_folders() -> None:
    """A module added anywhere is checked at once: its folder names its wing."""
    assert wing("sinch_notebook.client") == "core"
    assert wing("sinch_notebook.bulk.plan") == "core"
    assert wing("sinch_notebook.connection.active") == "connection"
    assert wing("sinch_notebook.magic.magics") == "face"
    assert wing("sinch_notebook") == "face"
    assert {wing(module) for module in import_graph()} == set(ALLOWED)


def test_the_root_holds_only_core_modules_few_enough_to_read() -> None:
    root = sorted(p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(root) + 1 <= MAX_ROOT_MODULES, f"{len(root) + 1} modules at the root: {root}"


def test_the_public_api_says_what_each_function_is_for() -> None:
    """Every public function, method and property of the objects a user holds has a docstring."""
    import inspect

    import sinch_notebook as sn
    from sinch_notebook.account_history.timeline import Snapshot
    from sinch_notebook.bulk import ApplyResult, Change, Outcome, Plan

    missing = [
        name
        for name in sn.__all__
        if (inspect.isfunction(getattr(sn, name)) or inspect.isclass(getattr(sn, name)))
        and not inspect.getdoc(getattr(sn, name))
    ]
    for cls in (sn.SubprojectsClient, sn.Subproject, Plan, ApplyResult, Outcome, Change, Snapshot):
        for name, value in vars(cls).items():
            target = value.fget if isinstance(value, property) else value
            if name.startswith("_") or not (inspect.isfunction(target) or callable(target)):
                continue
            if not (getattr(target, "__doc__", None) or "").strip():
                missing.append(f"{cls.__name__}.{name}")
    assert missing == []
