"""One conformance test for every family of the zoo: each task it claims, NaN and categories in
the input, and a save/load round trip that gives identical predictions."""
from __future__ import annotations

import numpy as np
import pytest

from manabu.artifact import load_model, save_model
from manabu.data.schema import infer_schema
from manabu.features.preprocess import PreprocessKind
from manabu.models.zoo import ZOO, portfolio
from manabu.search.candidate import Candidate
from manabu.models.outputs import predict_scores
from tests.frames import mixed_frame

# the families that read the text columns alone (the LSTM) learn from text corpora instead:
# tests/text/test_deep_text.py and tests/models/test_text_lstm.py; the image network from images:
# tests/models/test_images.py
TEXT_ONLY = (PreprocessKind.TOKENS, PreprocessKind.RAW_TEXT, PreprocessKind.IMAGES, PreprocessKind.SMILES)
CASES = [(name, task) for name, entry in ZOO.items() for task in ("binary", "multiclass", "regression")
         if entry.supports(task) and entry.preprocess not in TEXT_ONLY]


@pytest.mark.parametrize("name,task", CASES)
def test_family_learns_saves_and_reloads(name, task, tmp_path):
    frame = mixed_frame(n=240, task=task)
    schema = infer_schema(frame, "y")
    X = schema.prepare(frame)
    if task == "regression":
        y = frame["y"].to_numpy(dtype=float)
        n_classes = 0
    else:
        classes = sorted(frame["y"].unique())
        y = frame["y"].map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=int)
        n_classes = len(classes)
    entry = ZOO[name]
    pipeline, fit_params = Candidate(name, entry, portfolio(name)[0], "portfolio").build(schema, task, seed=0)
    train, test = np.arange(180), np.arange(180, 240)
    pipeline.fit(X.iloc[train], y[train], **fit_params)
    predicted = predict_scores(pipeline, X.iloc[test], task, n_classes)

    if task == "regression":
        assert np.corrcoef(predicted, y[test])[0, 1] > 0.5, "the model learnt nothing"
    else:
        assert predicted.shape == (60, n_classes)
        np.testing.assert_allclose(predicted.sum(axis=1), 1.0, atol=1e-6)
        assert (predicted.argmax(axis=1) == y[test]).mean() > 1.2 / n_classes

    save_model(tmp_path / "model", pipeline, {"task": task})
    reloaded, manifest = load_model(tmp_path / "model")
    # threads may sum tree votes in another order: equal up to rounding
    np.testing.assert_allclose(predict_scores(reloaded, X.iloc[test], task, n_classes), predicted,
                               rtol=0, atol=1e-12)


def test_every_family_has_a_portfolio_and_a_search_space():
    rng = np.random.default_rng(0)
    for name, entry in ZOO.items():
        assert portfolio(name), name
        for task in entry.tasks:
            params = entry.sample(rng)
            assert isinstance(params, dict) and params, name
            entry.make(task, params, 0)  # builds without error


def test_a_forests_memory_estimate_bounds_the_fitted_forest():
    """The memory check sizes a forest before fitting it: the estimate must not be below what
    the fitted trees hold, and on data large enough to fill the capped trees it is close."""
    import numpy as np

    from manabu.models.trees import EXTRA_TREES, MAX_LEAVES, NODE_BYTES, forest_bytes

    rng = np.random.default_rng(0)
    params = {"n_estimators": 5}
    for rows in (3000, 3 * MAX_LEAVES):
        X = rng.normal(size=(rows, 5))
        y = X[:, 0] + rng.normal(size=rows)
        forest = EXTRA_TREES.make("regression", params, 0).fit(X, y)
        held = sum(t.tree_.node_count for t in forest.estimators_) * (NODE_BYTES + 8)
        assert held <= forest_bytes(params, rows, 1)
        assert max(t.tree_.n_leaves for t in forest.estimators_) <= MAX_LEAVES
    assert forest_bytes(params, rows, 1) <= 1.01 * held, "full trees: the estimate is what they hold"


def test_the_perceptron_learns_a_target_in_the_hundred_thousands():
    """Without its target scaled, the network would still be climbing towards prices of this size
    when early stopping ends it, and predict far too little."""
    rng = np.random.default_rng(0)
    frame = mixed_frame(n=400, task="regression")
    frame["y"] = 250_000 + 60_000 * frame["x1"].fillna(0) + rng.normal(0, 5_000, len(frame))
    schema = infer_schema(frame, "y")
    X, y = schema.prepare(frame), frame["y"].to_numpy(dtype=float)
    pipeline, fit_params = Candidate("mlp", ZOO["mlp"], portfolio("mlp")[0], "portfolio").build(
        schema, "regression", seed=0)
    pipeline.fit(X.iloc[:300], y[:300], **fit_params)
    predicted = pipeline.predict(X.iloc[300:])
    residual = np.sqrt(np.mean((predicted - y[300:]) ** 2))
    assert residual < 0.5 * np.std(y[300:]), f"RMSE {residual:.0f} against a spread of {np.std(y[300:]):.0f}"
