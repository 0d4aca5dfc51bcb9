"""Python source that rebuilds an object: the constructor call a person would have written.

``Source`` renders scikit-learn-style objects (estimators, transformers, splitters) as calls
with only the arguments that differ from the class's defaults, and remembers what the script
must import for them. manabu's own subclasses of library estimators (the early-stopping
LightGBM, say) are written as the library class they extend: the behaviour they add is spelt
out in the script itself.
"""
from __future__ import annotations

import importlib
import inspect
import json
import math
from typing import Any

import numpy as np

LINE_WIDTH = 100
# manabu's own transformers, whose code the script carries (``manabu.export.preparing``)
SCRIPT_CLASSES = frozenset({"DatetimeParts", "TextEmbedding"})


class Source:
    """Renders values as source; ``names`` maps values (column lists) to the constants that
    hold them, ``defined`` is the classes the script defines itself (no import)."""

    def __init__(self, names: dict[tuple, str] | None = None, defined: frozenset[str] = frozenset()) -> None:
        self.names = dict(names or {})
        self.defined = defined
        self.imports: set[tuple[str, str]] = set()  # (module, name)
        self.uses_numpy = False

    def render(self, value: Any, indent: int = 0) -> str:
        """``value`` as an expression, on one line when it fits in LINE_WIDTH, else one
        argument or item per line."""
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value) \
                and tuple(value) in self.names:
            return self.names[tuple(value)]
        if isinstance(value, str):
            return string_literal(value)
        if value is None or isinstance(value, bool | int) and not isinstance(value, np.integer):
            return repr(value)
        if isinstance(value, float | np.floating):
            return self._float(float(value))
        if isinstance(value, np.integer):
            return repr(int(value))
        if isinstance(value, type):
            return self._type(value)
        if isinstance(value, list | tuple):
            return self._sequence(value, indent)
        if isinstance(value, dict):
            items = [f"{self.render(k)}: {self.render(v, indent + 4)}" for k, v in value.items()]
            return _wrap("{", items, "}", indent)
        return self._call(value, indent)

    def import_lines(self) -> list[str]:
        lines = ["import numpy as np"] if self.uses_numpy else []
        modules: dict[str, list[str]] = {}
        for module, name in self.imports:
            modules.setdefault(module, []).append(name)
        lines += [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(modules.items())]
        return lines

    def _float(self, value: float) -> str:
        if math.isnan(value):
            self.uses_numpy = True
            return "np.nan"
        if math.isinf(value):
            self.uses_numpy = True
            return "np.inf" if value > 0 else "-np.inf"
        return repr(value)

    def _type(self, value: type) -> str:
        if value.__module__ == "numpy":
            self.uses_numpy = True
            return f"np.{value.__name__}"
        return self._class_name(value)

    def _sequence(self, value: list | tuple, indent: int) -> str:
        items = [self.render(v, indent + 4) for v in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else _wrap("(", items, ")", indent)
        return _wrap("[", items, "]", indent)

    def _call(self, obj: Any, indent: int) -> str:
        cls = library_class(type(obj))
        arguments = [f"{name}={self.render(value, indent + 4)}" for name, value in changed_params(obj, cls).items()]
        return _wrap(f"{self._class_name(cls)}(", arguments, ")", indent)

    def _class_name(self, cls: type) -> str:
        if cls.__name__ not in self.defined:
            self.imports.add((public_module(cls), cls.__name__))
        return cls.__name__


class ScriptParts:
    """What a script's sections need imported, gathered as they are written."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.lines: set[str] = {"import argparse", "import json", "from pathlib import Path",
                                "import numpy as np", "import pandas as pd"}

    def need(self, *lines: str) -> None:
        self.lines.update(lines)

    def import_lines(self) -> list[str]:
        lines = self.lines | set(self.source.import_lines())
        plain = sorted(line for line in lines if line.startswith("import "))
        from_lines = sorted(line for line in lines if line.startswith("from "))
        return plain + from_lines


def literal_value(value: Any) -> str:
    """A constant of the script (a path, a name, a number) as source."""
    return Source().render(value)


def string_literal(text: str) -> str:
    """A double-quoted Python literal (JSON's escapes are Python's), non-ASCII kept readable."""
    return json.dumps(text, ensure_ascii=False)


def library_class(cls: type) -> type:
    """The class to write: ``cls``, or the library class a manabu subclass extends."""
    if not cls.__module__.startswith("manabu.") or cls.__name__ in SCRIPT_CLASSES:
        return cls
    for base in cls.__mro__[1:]:
        if not base.__module__.startswith("manabu.") and base is not object:
            return base
    raise TypeError(f"{cls.__qualname__} has no library class to write instead")


def changed_params(obj: Any, cls: type) -> dict[str, Any]:
    """The constructor arguments of ``obj`` that differ from ``cls``'s defaults, in order."""
    params = obj.get_params(deep=False) if hasattr(obj, "get_params") else {
        name: getattr(obj, name) for name in _signature_defaults(cls)}
    defaults = _signature_defaults(cls)
    return {name: value for name, value in params.items()
            if name not in defaults or not _same(value, defaults[name])}


def _signature_defaults(cls: type) -> dict[str, Any]:
    """The keywords the class's constructor takes, with their defaults; a constructor that
    passes ``**kwargs`` on (XGBoost's classifiers) takes its parents' keywords too."""
    defaults: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            break
        for parameter in parameters:
            if parameter.name != "self" and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                default = None if parameter.default is inspect.Parameter.empty else parameter.default
                defaults.setdefault(parameter.name, default)
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return defaults


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, float) and isinstance(default, float) and math.isnan(value) and math.isnan(default):
        return True
    try:
        return bool(type(value) is type(default) and value == default) or (value is default)
    except (TypeError, ValueError):  # arrays and other values without a plain ==
        return False


def public_module(cls: type) -> str:
    """The shortest module path that exports ``cls``: ``sklearn.ensemble``, not
    ``sklearn.ensemble._forest``."""
    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module_name = ".".join(parts[:end])
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if getattr(module, cls.__name__, None) is cls:
            return module_name
    return cls.__module__


def _wrap(opening: str, items: list[str], closing: str, indent: int) -> str:
    one_line = opening + ", ".join(items) + closing
    if len(one_line) + indent <= LINE_WIDTH and "\n" not in one_line:
        return one_line
    inner = " " * (indent + 4)
    return opening + "\n" + "".join(f"{inner}{item},\n" for item in items if item) + " " * indent + closing
