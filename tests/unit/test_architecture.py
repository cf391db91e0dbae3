"""The layering the design promises, checked on the source: one core, thin faces, and a sandbox
that stays an independent oracle (it imports nothing from the client side)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sinch_notebook"

# Deliberate facades: a convenience method that reaches up a layer, lazily.
FACADES = {
    ("sinch_notebook.client", "sinch_notebook.bulk"),  # client.plan()
    ("sinch_notebook.client", "sinch_notebook.frames"),  # client.frame()
    ("sinch_notebook.bulk.plan", "sinch_notebook.bulk.apply"),  # Plan.apply()
    ("sinch_notebook.bulk.plan", "sinch_notebook.bulk.planfile"),  # Plan.save(), to_json()
    ("sinch_notebook.bulk.plan", "sinch_notebook.bulk.saved"),  # a saved Plan's apply, replan
}
CORE = {
    "auth", "cells", "client", "config", "confirm", "connection.active", "connection.registry",
    "creates", "deadline", "display", "errors", "filters", "frames", "models", "connection.options",
    "connection.profiles", "public", "redact", "retry", "transport", "_version",
}  # fmt: skip


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
    for source, target in FACADES:
        assert target in graph[source], f"facade {source} -> {target} is gone: update FACADES"
        graph[source] = graph[source] - {target}
    assert cycles(graph) == []


def test_the_sandbox_server_imports_nothing_from_the_client_side() -> None:
    graph = import_graph()
    for module, edges in graph.items():
        if not module.startswith("sinch_notebook.sandbox"):
            continue
        outside = {e for e in edges if not e.startswith("sinch_notebook.sandbox")}
        if module == "sinch_notebook.sandbox":
            outside -= {"sinch_notebook.connection.active"}  # Sandbox.connect(), a convenience
        assert outside == set(), f"{module} imports {sorted(outside)}"


def test_no_core_module_imports_the_sandbox_or_a_face() -> None:
    graph = import_graph()
    core = {f"sinch_notebook.{name}" for name in CORE} | {
        m for m in graph if m.startswith(("sinch_notebook.bulk", "sinch_notebook.desired_state"))
    }
    faces = ("sandbox", "connection.local_sandbox", "widgets", "magic", "cli")

    def is_face(module: str) -> bool:
        return any(
            module == f"sinch_notebook.{f}" or module.startswith(f"sinch_notebook.{f}.")
            for f in faces
        )

    for module in sorted(core & graph.keys()):
        bad = {e for e in graph[module] if is_face(e)}
        assert bad == set(), f"core module {module} imports {sorted(bad)}"


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
