"""manabu's own code as text, for the scripts that ``manabu export-code`` writes.

A script that copies a function from manabu's source rather than re-typing it cannot drift from
what manabu does: the tests run the script and compare the scores.
"""
from __future__ import annotations

import ast
import inspect
from types import ModuleType


def function_source(module: ModuleType, name: str) -> str:
    """The source of one function (or class) of ``module``, as written there."""
    return inspect.getsource(getattr(module, name)).rstrip()


def constants_source(module: ModuleType, *names: str) -> str:
    """Module-level constants, written as the module wrote them, in the order asked for."""
    text = inspect.getsource(module)
    found = {}
    for node in ast.parse(text).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = ast.get_source_segment(text, node)
    missing = set(names) - set(found)
    if missing:
        raise LookupError(f"{module.__name__} defines no {sorted(missing)}")
    return "\n".join(found[name] for name in names)


def module_body(module: ModuleType) -> tuple[list[str], str]:
    """A module's import lines and the rest of its code (no docstring, no imports)."""
    text = inspect.getsource(module)
    tree = ast.parse(text)
    lines = text.splitlines()
    imports, skipped = [], set()
    for node in tree.body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) \
            and node is tree.body[0]
        if isinstance(node, ast.Import | ast.ImportFrom) or is_docstring:
            segment = ast.get_source_segment(text, node)
            if isinstance(node, ast.Import | ast.ImportFrom) and "__future__" not in segment:
                imports.append(segment)
            skipped.update(range(node.lineno - 1, node.end_lineno))
    body = "\n".join(line for i, line in enumerate(lines) if i not in skipped).strip()
    return imports, body
