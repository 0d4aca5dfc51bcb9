"""skops imported without walking scikit-learn (``manabu.artifact.skops_import``): skops'
defaults come out as its own import makes them, and the walk's imports are not made."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import manabu.artifact.skops_import
from manabu.artifact.skops_import import ESTIMATOR_NAMES, skops_io

KEPT = Path(manabu.artifact.skops_import.__file__).with_name(ESTIMATOR_NAMES)

SKOPS_DEFAULTS = """
import json, sys
{how}
from skops.io import _trusted_types as t
print(json.dumps({{"estimators": t.SKLEARN_ESTIMATOR_TYPE_NAMES, "internal": t.SKLEARN_INTERNAL_TYPE_NAMES,
                  "walked": "sklearn.utils._testing" in sys.modules, "torch": "torch" in sys.modules}}))
"""


def skops_defaults(how: str) -> dict:
    """skops' default-trusted names, imported in a fresh interpreter by ``how``."""
    result = subprocess.run([sys.executable, "-c", SKOPS_DEFAULTS.format(how=how)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_kept_names_are_those_of_the_scikit_learn_installed():
    """Compared in a fresh interpreter: the walk lists what the process has imported too (an
    estimator enabled from ``sklearn.experimental`` by an earlier test joins it)."""
    kept = json.loads(KEPT.read_text("utf-8"))
    if kept["scikit-learn"] != version("scikit-learn"):
        pytest.skip(f"names kept for scikit-learn {kept['scikit-learn']}, {version('scikit-learn')} installed: "
                    "run manabu.artifact.skops_import.write_estimator_names()")
    code = "import json; from manabu.artifact.skops_import import estimator_names; print(json.dumps(estimator_names()))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert kept == json.loads(result.stdout)


def test_skops_defaults_are_the_same_without_the_walk():
    own = skops_defaults("import skops.io")
    ours = skops_defaults("from manabu.artifact.skops_import import skops_io; skops_io()")
    assert ours["estimators"] == own["estimators"] and len(own["estimators"]) > 100
    assert ours["internal"] == own["internal"]
    assert own["walked"]
    assert not ours["torch"]
    if json.loads(KEPT.read_text("utf-8"))["scikit-learn"] == version("scikit-learn"):
        assert not ours["walked"]


def test_all_estimators_is_scikit_learns_own_again_after_the_import():
    import sklearn.utils
    from sklearn.utils.discovery import all_estimators

    skops_io()
    assert sklearn.utils.all_estimators is all_estimators
    assert "sklearn.externals.array_api_compat.torch" not in sys.modules or \
        sys.modules["sklearn.externals.array_api_compat.torch"] is not None

