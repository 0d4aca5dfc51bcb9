"""The map of the code (docs/architecture.md), kept true: every import in src/manabu, read with
ast (at module level or inside a function, nothing is run), points down the layers, forms no
cycle, and takes no underscore-prefixed name from another module."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "manabu"

# Lowest first. A module may import its own package and the packages of lower layers; two
# packages of one layer do not import each other, except where SIDEWAYS allows it.
# "api" is the package's face: manabu/__init__.py, manabu/api.py, manabu/estimators.py.
LAYERS: list[tuple[str, ...]] = [
    ("base",),
    ("data", "artifact"),
    ("features",),
    ("inference", "deep"),
    ("models",),
    ("evaluate",),
    ("search", "ensemble"),
    ("export",),
    ("training", "unsupervised", "segmentation", "forecasting", "reinforcement"),
    ("report",),
    ("api",),
    ("serve",),
    ("cli",),
]
SIDEWAYS = {("ensemble", "search")}  # ensemble selection scores out-of-fold predictions
API_MODULES = {"manabu", "manabu.api", "manabu.estimators"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import of ours in the file."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base, alias.name)
                       for alias in node.names]
        else:
            continue
        for target, imported in targets:
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != name:
                found.append((target, imported, node.lineno))
    return found


def package_of(module: str) -> str:
    if module in API_MODULES:
        return "api"
    return module.split(".")[1]


def layer_of(package: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if package in names)


GRAPH = {name: imports(name, path, modules()) for name, path in modules().items()}


def test_every_package_has_a_place_in_the_layers():
    placed = {name for layer in LAYERS for name in layer}
    assert {package_of(module) for module in GRAPH} <= placed


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module):
    mine = package_of(module)
    wrong = []
    for target, _, line in GRAPH[module]:
        theirs = package_of(target)
        if theirs == mine or (mine, theirs) in SIDEWAYS:
            continue
        if layer_of(theirs) >= layer_of(mine):
            wrong.append(f"{module} (line {line}) imports {target}: {mine} may not import {theirs}")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_another_modules_private_names():
    private = [f"{module} imports {name} from {target} (line {line})"
               for module, found in GRAPH.items() for target, name, line in found
               if name and name.startswith("_") and not name.startswith("__")]
    assert not private, "\n".join(private)


def test_there_is_no_import_cycle():
    edges = {module: {target for target, _, _ in found} for module, found in GRAPH.items()}
    cycles = strongly_connected(edges)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round about (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_checker_sees_a_cycle_and_a_wrong_import():
    """The checks above can fail: a made-up cycle is found, and a low layer is placed low."""
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("data") < layer_of("models") < layer_of("training") < layer_of("cli")


def test_the_map_in_the_docs_lists_every_package():
    text = (SRC.parent / "docs" / "architecture.md").read_text("utf-8")
    for layer in LAYERS:
        for package in layer:
            assert f"`{package}`" in text or f"`{package}/`" in text, package
