import numpy as np
import pandas as pd

from manabu.data.schema import infer_schema
from manabu.features import PreprocessKind, build_preprocessor
from tests.frames import mixed_frame


def _prepared(task="binary"):
    frame = mixed_frame(n=200, task=task)
    schema = infer_schema(frame, "y")
    y = pd.factorize(frame["y"])[0] if task != "regression" else frame["y"].to_numpy()
    return schema, schema.prepare(frame), y


def test_tree_preprocessing_keeps_missing_values_and_puts_categories_first():
    schema, X, y = _prepared()
    pre = build_preprocessor(schema, PreprocessKind.TREE, "binary")
    out = pre.transformer.fit_transform(X, y)
    assert pre.n_categorical == 1
    codes = out[:, 0]
    assert set(np.unique(codes[~np.isnan(codes)])) == {0.0, 1.0, 2.0}
    assert np.isnan(codes).sum() == X["colour"].isna().sum(), "missing categories stay missing"
    assert np.isnan(out).any(), "numeric NaN are passed to the trees"


def test_linear_preprocessing_is_complete_and_scaled():
    schema, X, y = _prepared()
    pre = build_preprocessor(schema, PreprocessKind.LINEAR, "binary")
    out = pre.transformer.fit_transform(X, y)
    assert not np.isnan(out).any()
    assert pre.n_categorical == 0
    numeric = out[:, list(pre.transformer.get_feature_names_out()).index("num__x2")]
    assert abs(numeric.mean()) < 1e-9 and abs(numeric.std() - 1) < 1e-6


def test_unseen_category_at_predict_time_does_not_fail():
    schema, X, y = _prepared()
    for kind in set(PreprocessKind) - {PreprocessKind.IMAGES}:  # a table of images has no categories
        transformer = build_preprocessor(schema, kind, "binary").transformer.fit(X, y)
        new = X.head(3).copy()
        new["colour"] = ["紫", "金", np.nan]
        assert transformer.transform(new).shape[0] == 3


def test_high_cardinality_and_text_columns_are_encoded():
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({
        "shop": [f"店舗{i}" for i in rng.integers(0, 300, n)],
        "review": [" ".join(rng.choice(["good", "bad", "fine", "awful", "great"], 12)) + f" #{i}" for i in range(n)],
        "x": rng.normal(size=n),
    })
    frame["y"] = (frame["review"].str.count("good") + frame["x"] > 2.5).map({True: "pos", False: "neg"})
    schema = infer_schema(frame, "y")
    assert schema.column("shop").type == "high_cardinality"
    assert schema.column("review").type == "text"
    X = schema.prepare(frame)
    out = build_preprocessor(schema, PreprocessKind.LINEAR, "binary").transformer.fit_transform(
        X, pd.factorize(frame["y"])[0])
    assert out.shape == (n, 1 + 1 + 16) and np.isfinite(out).all()
