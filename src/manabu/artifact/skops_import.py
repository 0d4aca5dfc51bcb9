"""``skops.io``, imported in a few tenths of a second instead of most of a second.

Importing ``skops.io`` builds skops' list of default-trusted estimators with scikit-learn's
``all_estimators``, which walks and imports every package of scikit-learn (its test helpers and
pytest included): 0.6-0.8 s of every ``manabu.load`` and ``manabu predict`` on a quiet 2-core
machine, spent for a list that manabu does not rely on (``skops_codec`` checks every type a file
names against manabu's own allowlist and hands skops those names as trusted).

The list is a function of scikit-learn's version, so the names it gives for the version
installed here, in a fresh process, are kept in ``sklearn_estimators.json``
(``write_estimator_names`` makes it; ``tests/artifact/test_skops_import.py`` compares it with
the walk). In a process that has enabled an estimator from ``sklearn.experimental``, the walk
would list that one too; the kept list does not, which only narrows skops' defaults. While skops is imported,
``sklearn.utils.all_estimators`` answers from that file with stand-in classes that carry each
estimator's module and name, which is all skops reads of them: skops' defaults come out the same,
for manabu and for a user's own skops calls. With any other version of scikit-learn the walk
runs as skops does it.

The walk would also import scikit-learn's adapter of torch tensors (and with it torch, 2-3 s);
that one package is marked missing while skops is imported, so a walk passes over it.
"""
from __future__ import annotations

import importlib
import json
import sys
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any

ESTIMATOR_NAMES = "sklearn_estimators.json"
# scikit-learn's adapter of torch tensors to the array API: importing it imports torch
_TORCH_ADAPTER = "sklearn.externals.array_api_compat.torch"


def skops_io() -> ModuleType:
    """``skops.io``, imported on first use without walking scikit-learn or importing torch."""
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    walk = sklearn.utils.all_estimators
    kept = _kept_estimators()
    hide_torch = "torch" not in sys.modules and _TORCH_ADAPTER not in sys.modules
    if kept is not None:
        sklearn.utils.all_estimators = lambda *args, **kwargs: kept
    if hide_torch:
        sys.modules[_TORCH_ADAPTER] = None  # type: ignore[assignment]  # "import halted": ImportError
    try:
        return importlib.import_module("skops.io")
    finally:
        sklearn.utils.all_estimators = walk
        if hide_torch and sys.modules.get(_TORCH_ADAPTER, 0) is None:
            del sys.modules[_TORCH_ADAPTER]


def _kept_estimators() -> list[tuple[str, type]] | None:
    """``all_estimators()`` as the kept names give it, for the scikit-learn installed (None when
    the names were kept for another version, or cannot be read)."""
    try:
        kept = json.loads(resources.files(__package__).joinpath(ESTIMATOR_NAMES).read_text("utf-8"))
        if kept["scikit-learn"] != version("scikit-learn"):
            return None
        return [(name, type(name, (), {"__module__": module})) for name, module in kept["estimators"]]
    except (OSError, ValueError, KeyError, TypeError, PackageNotFoundError):
        return None


def estimator_names() -> dict[str, Any]:
    """What the walk gives for the scikit-learn installed: each estimator's name and module."""
    from sklearn.utils import all_estimators

    sys.modules.setdefault(_TORCH_ADAPTER, None)  # type: ignore[arg-type]
    try:
        estimators = all_estimators()
    finally:
        if sys.modules.get(_TORCH_ADAPTER, 0) is None:
            del sys.modules[_TORCH_ADAPTER]
    return {"scikit-learn": version("scikit-learn"),
            "estimators": [[name, cls.__module__] for name, cls in estimators]}


def write_estimator_names() -> Path:
    """Keep the names of the scikit-learn installed (after upgrading it: ``python -c "from
    manabu.artifact.skops_import import write_estimator_names as w; print(w())"``)."""
    names = estimator_names()
    lines = ",\n".join(f"  {json.dumps(pair)}" for pair in names["estimators"])
    path = Path(__file__).with_name(ESTIMATOR_NAMES)
    path.write_text(f'{{"scikit-learn": {json.dumps(names["scikit-learn"])}, "estimators": [\n{lines}\n]}}\n',
                    encoding="utf-8")
    return path
