"""A row path is used only when it answers as the pipeline does: anything it cannot
reproduce, or reproduces wrongly, leaves the pipeline in charge."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from manabu.inference import NotCovered, Unsupported, build_row_path, row_path_or_none
from manabu.inference.preprocess import Lookup
from manabu.inference.verify import verification_values
from tests.inference.conftest import frame


def test_a_wrong_table_is_caught_by_the_verification(fitted):
    pipeline, schema = fitted("decision_tree", "binary")
    path = build_row_path(pipeline, schema)
    lookup = next(block for block, _ in path.compiled.columns.blocks if isinstance(block, Lookup))
    lookup.flat[:] = lookup.flat[::-1].copy()  # every category now reads another's code
    from manabu.inference.verify import verify
    with pytest.raises(Unsupported, match="differ"):
        verify(path, pipeline, schema)


def test_a_transformer_it_does_not_know_keeps_the_pipeline(fitted):
    pipeline, schema = fitted("linear", "binary")
    train = frame("binary")
    odd = Pipeline([("preprocess", ColumnTransformer([("log", FunctionTransformer(np.log1p), ["x2"])])),
                    ("model", GaussianNB())]).fit(schema.prepare(train), train["y"])
    with pytest.raises(Unsupported, match="FunctionTransformer"):
        build_row_path(odd, schema)
    assert row_path_or_none(odd, schema) is None


def test_a_model_it_does_not_know_is_called_as_it_is(fitted):
    known, schema = fitted("linear", "binary")  # its preprocessing leaves no missing values
    train = frame("binary")
    pipeline = Pipeline([("preprocess", known[0]), ("model", GaussianNB())])
    pipeline.fit(schema.prepare(train), train["y"])
    path = build_row_path(pipeline, schema)
    assert type(path.compiled.model).__name__ == "AsIs"


def test_verification_rows_hold_missing_unseen_and_known_values(fitted):
    pipeline, schema = fitted("random_forest", "binary")
    values = verification_values(build_row_path(pipeline, schema), schema)
    assert np.isnan(values["x1"]).any() and np.isnat(values["when"]).any()
    colours = set(values["colour"][[isinstance(v, str) for v in values["colour"]]])
    assert {"赤", "青", "緑"} <= colours and colours - {"赤", "青", "緑"}
    thresholds = set(pipeline[-1].estimators_[0].tree_.threshold.tolist())
    assert thresholds & set(values["x2"].tolist())  # split points themselves are tried


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_values_beyond_float32_are_left_to_the_pipeline(fitted):
    pipeline, schema = fitted("random_forest", "binary")
    path = build_row_path(pipeline, schema)
    rows = frame("binary", n=3, seed=3).drop(columns="y")
    rows.loc[0, "x1"] = 1e300
    with pytest.raises(NotCovered):
        path.predict(schema.prepare_values(rows), len(rows))
    with pytest.raises(ValueError):  # what the pipeline says about such a value
        pipeline.predict(schema.prepare(rows))
