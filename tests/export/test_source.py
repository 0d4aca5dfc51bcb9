"""Objects written back as constructor calls: what a person would type, and equal when run."""
from __future__ import annotations

import numpy as np
import pytest
from lightgbm import LGBMClassifier
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import StratifiedKFold, TimeSeriesSplit
from sklearn.preprocessing import OrdinalEncoder

from manabu.export.source import Source, library_class, public_module
from manabu.models.lightgbm.family import EarlyStoppingLGBMClassifier
from manabu.models.xgboost.family import EarlyStoppingXGBRegressor


def rebuilt(source: Source, value):
    """Run the rendered source with the imports it asked for."""
    namespace: dict = {}
    exec("\n".join(source.import_lines()), namespace)
    return eval(source.render(value), namespace)


def test_only_arguments_that_differ_from_the_defaults_are_written():
    source = Source()
    assert source.render(RandomForestRegressor(n_estimators=300, random_state=0)) == \
        "RandomForestRegressor(n_estimators=300, random_state=0)"
    assert ("sklearn.ensemble", "RandomForestRegressor") in source.imports


def test_nan_and_numpy_types_are_written_as_numpy_names():
    source = Source()
    text = source.render(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, dtype=np.float32))
    assert "unknown_value=np.nan" in text and "dtype=np.float32" in text
    assert source.import_lines()[0] == "import numpy as np"
    encoder = rebuilt(source, OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                             dtype=np.float32))
    assert np.isnan(encoder.unknown_value) and encoder.dtype is np.float32


def test_nested_transformers_come_back_equal_with_column_lists_named():
    transformer = ColumnTransformer([("cat", OrdinalEncoder(), ["a", "b"]), ("num", "passthrough", ["c"])],
                                    sparse_threshold=0.0)
    source = Source(names={("a", "b"): "CATEGORICAL"})
    text = source.render(transformer)
    assert "CATEGORICAL" in text and '"a"' not in text
    namespace = {"CATEGORICAL": ["a", "b"]}
    exec("\n".join(source.import_lines()), namespace)
    back = eval(text, namespace)
    assert back.transformers[0][2] == ["a", "b"] and back.sparse_threshold == 0.0


def test_manabu_subclasses_are_written_as_the_library_class_they_extend():
    assert library_class(EarlyStoppingLGBMClassifier) is LGBMClassifier
    source = Source()
    model = EarlyStoppingXGBRegressor(n_estimators=50, max_depth=3, tree_method="hist")
    text = source.render(model)
    assert text.startswith("XGBRegressor(") and "max_depth=3" in text and "n_estimators=50" in text
    assert ("xgboost", "XGBRegressor") in source.imports
    assert rebuilt(source, model).get_params()["max_depth"] == 3


def test_splitters_without_get_params_are_written_from_their_own_constructor():
    source = Source()
    assert source.render(StratifiedKFold(3, shuffle=True, random_state=7)) == \
        "StratifiedKFold(n_splits=3, shuffle=True, random_state=7)"
    assert source.render(TimeSeriesSplit(4)) == "TimeSeriesSplit(n_splits=4)"  # no inherited shuffle


def test_classes_are_imported_from_their_public_module():
    assert public_module(RandomForestRegressor) == "sklearn.ensemble"
    assert public_module(LGBMClassifier) == "lightgbm"


@pytest.mark.parametrize("text", ["価格 (円)", 'say "hi"\n', "back\\slash"])
def test_strings_are_python_literals_that_read_back_the_same(text):
    assert eval(Source().render(text)) == text


def test_long_calls_break_one_argument_per_line_and_still_run():
    model = RandomForestRegressor(n_estimators=300, max_features=0.5, min_samples_leaf=3, max_leaf_nodes=4096,
                                  random_state=0, n_jobs=2)
    source = Source()
    text = source.render(model)
    assert "\n" in text and all(len(line) <= 100 for line in text.splitlines())
    assert rebuilt(source, model).get_params() == model.get_params()
