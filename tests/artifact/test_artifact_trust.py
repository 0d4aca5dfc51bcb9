"""Only allowlisted types are ever built from a model folder; code-holding steps are refused."""
from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from manabu.artifact import load_model, save_model
from manabu.base.trust import register_trusted, trusted_types
from manabu.artifact.manifest import MANIFEST
from manabu.artifact.store import _sha256
from manabu.base.trust import NESTED_TRUST, TRUSTED_TYPES, TRUSTED_WHEN_NONE
from manabu.base.errors import ArtifactError

FUNCTION_TRANSFORMER = "sklearn.preprocessing._function_transformer.FunctionTransformer"


def _resolve(qualname: str):
    """The object a dotted name refers to, trying the longest importable module prefix."""
    parts = qualname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(qualname)


@pytest.mark.parametrize(
    "qualname",
    sorted(TRUSTED_TYPES | set(TRUSTED_WHEN_NONE) | set().union(*NESTED_TRUST.values())),
)
def test_every_allowlisted_name_is_a_real_object(qualname):
    # a typo, or a type that moved in a new scikit-learn, shows up here
    assert _resolve(qualname) is not None


def test_function_transformer_with_a_function_is_refused_when_saving(tmp_path, table):
    X = table["X"][["b"]]
    pipeline = Pipeline([("log", FunctionTransformer(np.log1p)), ("model", LinearRegression())])
    pipeline.fit(X, table["regression"])
    with pytest.raises(ArtifactError) as info:
        save_model(tmp_path / "m", pipeline, {})
    assert info.value.key == "artifact.untrusted_on_save"
    assert FUNCTION_TRANSFORMER in info.value.params["types"]
    assert "numpy.log1p" in info.value.params["types"]
    assert list(tmp_path.iterdir()) == []


def test_function_transformer_in_a_foreign_folder_is_refused_at_load(tmp_path, table, monkeypatch):
    """A folder whose preprocess.skops was replaced (checksum rewritten too, as an attacker
    would) with a pipeline holding FunctionTransformer(np.log1p)."""
    X, y = table["X"][["b"]], table["regression"]
    folder = save_model(tmp_path / "m", Pipeline([("prep", StandardScaler()), ("model", LinearRegression())]).fit(X, y), {})
    foreign = Pipeline([("prep", FunctionTransformer(np.log1p))]).fit(X)
    data = skops.io.dumps(foreign)
    (folder / "preprocess.skops").write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    manifest["files"]["preprocess.skops"] = _sha256(data)
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    assert FUNCTION_TRANSFORMER not in skops.io.get_untrusted_types(data=data)  # skops alone would build it

    built = []
    monkeypatch.setattr(skops.io, "loads", lambda *a, **k: built.append(a))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.untrusted_types"
    assert info.value.params["file"] == "preprocess.skops"
    assert FUNCTION_TRANSFORMER in str(info.value)
    assert "numpy.log1p" in str(info.value)
    assert built == []


def test_passthrough_columns_are_allowed(tmp_path, table):
    # ColumnTransformer turns "passthrough" into FunctionTransformer(func=None), the identity
    X, y = table["X"][["a", "b"]].fillna(0), table["regression"]
    prep = ColumnTransformer([("scale", StandardScaler(), ["a"])], remainder="passthrough")
    pipeline = Pipeline([("prep", prep), ("model", LinearRegression())]).fit(X, y)
    assert type(pipeline[0].transformers_[-1][1]) is FunctionTransformer
    loaded, _ = load_model(save_model(tmp_path / "m", pipeline, {}))
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))


class Doubler(StandardScaler):
    """A transformer of the test's own, like the ones manabu.features defines."""

    def transform(self, X, copy=None):
        return 2 * super().transform(X, copy=copy)


def test_registered_types_are_trusted(tmp_path, table):
    X, y = table["X"][["b"]], table["regression"]
    pipeline = Pipeline([("double", Doubler()), ("model", LinearRegression())]).fit(X, y)
    name = f"{Doubler.__module__}.Doubler"
    with pytest.raises(ArtifactError):
        save_model(tmp_path / "m", pipeline, {})

    register_trusted(name)
    assert name in trusted_types()
    loaded, _ = load_model(save_model(tmp_path / "m", pipeline, {}))
    assert type(loaded[0]).__name__ == "Doubler"
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))


@pytest.mark.parametrize("bad", ["Doubler", "a..b", "os.system; rm", 3])
def test_register_trusted_wants_qualified_names(bad):
    with pytest.raises(ValueError):
        register_trusted(bad)
