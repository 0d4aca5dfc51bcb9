"""The LSTM text family: it learns word-level signals, is deterministic, ignores padding, stops at
a deadline, copes with odd texts, and saves (skops and manabu model folders) without torch objects."""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import skops.io as sio  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from manabu.artifact import load_model, save_model  # noqa: E402
from manabu.models.entry import DeadlineExceeded  # noqa: E402
from manabu.models.text_lstm import (  # noqa: E402
    FIRST_ID,
    LSTMTextClassifier,
    LSTMTextRegressor,
    torch_available,
)

FILLER = "店 料理 の は 今日 席 値段 メニュー 注文 駅 週末 友達 sushi ramen table staff".split()
SIGNALS = {"pos": "美味しい good great love".split(), "neg": "まずい bad awful hate".split(),
           "mid": "普通 okay fine average".split()}
SMALL = dict(embed_dim=16, hidden_size=16, batch_size=32, max_epochs=8, patience=2, n_threads=1)


def corpus(n: int, seed: int, labels=("neg", "pos")) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Space-tokenised reviews: filler words with one to three words of the label's kind mixed
    in; also returns how many "good"-like words each holds (a regression target)."""
    rng = np.random.default_rng(seed)
    docs, ys, counts = [], [], []
    for _ in range(n):
        label = labels[rng.integers(len(labels))]
        signal = list(rng.choice(SIGNALS[label], rng.integers(1, 4)))
        words = list(rng.choice(FILLER, rng.integers(4, 20))) + signal
        rng.shuffle(words)
        docs.append(" ".join(words))
        ys.append(label)
        counts.append(sum(word in SIGNALS["pos"] for word in signal))
    return np.array(docs, dtype=object).reshape(-1, 1), np.array(ys, dtype=object), np.array(counts, float)


@pytest.fixture(scope="module")
def binary():
    X, y, _ = corpus(300, seed=0)
    X_test, y_test, _ = corpus(200, seed=1)
    return LSTMTextClassifier(**SMALL).fit(X, y), X_test, y_test


def test_torch_is_found():
    assert torch_available()


TORCH_BLOCKED = """
import sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTorch())
import manabu.models.text_lstm as m
assert "torch" not in sys.modules
m.LSTMTextClassifier(hidden_size=8).get_params()
"""


def test_module_imports_without_torch():
    result = subprocess.run([sys.executable, "-c", TORCH_BLOCKED], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_binary_classifier_learns_the_signal_words(binary):
    model, X_test, y_test = binary
    assert list(model.classes_) == ["neg", "pos"]
    predictions = model.predict(X_test)
    assert set(predictions) <= {"neg", "pos"}
    assert (predictions == y_test).mean() > 0.9
    probabilities = model.predict_proba(X_test)
    assert probabilities.shape == (200, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(model.classes_[probabilities.argmax(axis=1)], predictions)


def test_multiclass():
    X, y, _ = corpus(360, seed=2, labels=("neg", "mid", "pos"))
    X_test, y_test, _ = corpus(150, seed=3, labels=("neg", "mid", "pos"))
    model = LSTMTextClassifier(**{**SMALL, "max_epochs": 12}).fit(X, y)
    assert list(model.classes_) == ["mid", "neg", "pos"]
    probabilities = model.predict_proba(X_test)
    assert probabilities.shape == (150, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert (model.predict(X_test) == y_test).mean() > 0.85


def test_regression_counts_words():
    X, _, counts = corpus(300, seed=4)
    X_test, _, counts_test = corpus(200, seed=5)
    y = 100.0 + 10.0 * counts  # off zero and scaled: the standardisation must be undone
    model = LSTMTextRegressor(**{**SMALL, "max_epochs": 12}).fit(X, y)
    predictions = model.predict(X_test)
    assert predictions.shape == (200,)
    assert r2_score(100.0 + 10.0 * counts_test, predictions) > 0.5


def test_same_seed_same_probabilities_other_seed_others():
    X, y, _ = corpus(120, seed=6)
    settings = {**SMALL, "max_epochs": 2}
    first = LSTMTextClassifier(**settings).fit(X, y).predict_proba(X)
    second = LSTMTextClassifier(**settings).fit(X, y).predict_proba(X)
    other = LSTMTextClassifier(**settings, random_state=1).fit(X, y).predict_proba(X)
    assert np.array_equal(first, second)
    assert not np.allclose(first, other)


def test_torch_settings_are_restored():
    X, y, _ = corpus(60, seed=7)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    LSTMTextClassifier(**{**SMALL, "max_epochs": 1, "n_threads": 1}).fit(X, y).predict(X)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.rand(3), expected)  # the global random state was not consumed


def test_padding_does_not_change_a_prediction(binary):
    model, X_test, _ = binary
    long_docs = np.array([" ".join(["料理"] * 200 + ["great"]), " ".join(["bad"] * 150)], dtype=object)
    for doc in (X_test[0, 0], "good", ""):
        alone = model.predict_proba(np.array([[doc]], dtype=object))
        batch = model.predict_proba(np.array([[long_docs[0]], [doc], [long_docs[1]]], dtype=object))
        np.testing.assert_allclose(batch[1:2], alone, rtol=0, atol=1e-6)


def test_vocabulary_keeps_frequent_tokens_only():
    X = np.array([["a a b"], ["a c"], ["b d"], ["e"]], dtype=object)
    model = LSTMTextClassifier(**{**SMALL, "max_epochs": 1}, min_count=2).fit(X, ["x", "y", "x", "y"])
    assert model.vocabulary_ == {"a": FIRST_ID, "b": FIRST_ID + 1}
    capped = LSTMTextClassifier(**{**SMALL, "max_epochs": 1}, min_count=1, max_vocabulary=2)
    capped.fit(X, ["x", "y", "x", "y"])
    assert capped.vocabulary_ == {"a": FIRST_ID, "b": FIRST_ID + 1}
    assert capped.weights_["embedding.weight"].shape == (FIRST_ID + 2, 16)


def test_odd_texts_fit_and_predict():
    X, y, _ = corpus(100, seed=8)
    odd = ["", np.nan, None, "未知 語 だけ zzz qqq", "😀 🍣 👍🏽 good", "ctl\x00 \x07bell \x1bescape",
           "x" * 1_000_000, " ".join(["great"] * 300_000)]  # one 1 MB token; 1.8 MB of tokens
    X_fit = np.vstack([X, np.array(odd, dtype=object).reshape(-1, 1)])
    y_fit = np.concatenate([y, ["neg", "pos"] * 4])
    model = LSTMTextClassifier(**{**SMALL, "max_epochs": 2, "max_length": 64}).fit(X_fit, y_fit)
    started = time.monotonic()
    probabilities = model.predict_proba(np.array(odd, dtype=object).reshape(-1, 1))
    assert time.monotonic() - started < 5
    assert np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    # only the first max_length tokens count
    truncated = model.predict_proba(np.array([[" ".join(["great"] * 64)]], dtype=object))
    np.testing.assert_allclose(probabilities[-1:], truncated, rtol=0, atol=1e-6)


def test_columns_are_joined_and_frames_accepted(binary):
    X, y, _ = corpus(120, seed=9)
    frame = pd.DataFrame({"title": X[:, 0], "body": np.roll(X[:, 0], 1)})
    frame.loc[3, "body"] = np.nan
    model = LSTMTextClassifier(**{**SMALL, "max_epochs": 1}).fit(frame, y)
    assert model.n_features_in_ == 2
    from_frame = model.predict_proba(frame)
    assert np.array_equal(from_frame, model.predict_proba(frame.to_numpy(dtype=object)))
    with pytest.raises(ValueError, match="columns"):
        model.predict_proba(X)
    fitted, _, _ = binary
    with pytest.raises(ValueError, match="columns"):
        fitted.predict(frame)


def test_past_deadline_raises():
    X, y, _ = corpus(60, seed=10)
    with pytest.raises(DeadlineExceeded):
        LSTMTextClassifier(**SMALL).fit(X, y, deadline=time.monotonic() - 1)


def test_deadline_during_training_raises():
    X, y, _ = corpus(300, seed=11)
    with pytest.raises(DeadlineExceeded):
        LSTMTextClassifier(**{**SMALL, "max_epochs": 500, "patience": 500}).fit(
            X, y, deadline=time.monotonic() + 0.5)


def _plain(value) -> bool:
    """Whether a state holds only builtins and numpy numbers/arrays."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    if isinstance(value, np.ndarray):
        return value.dtype != object or all(isinstance(item, str) for item in value.ravel())
    return value is None or isinstance(value, (str, int, float, bool, np.generic))


def test_state_is_plain_and_skops_round_trips(binary):
    model, X_test, _ = binary
    state = model.__getstate__()
    assert _plain(state)
    assert "_network" not in state
    data = sio.dumps(model)
    types = sio.get_untrusted_types(data=data)
    assert types == ["manabu.models.text_lstm.LSTMTextClassifier"]
    loaded = sio.loads(data, trusted=types)
    assert loaded.vocabulary_ == model.vocabulary_
    assert np.array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))


def test_regressor_skops_round_trip():
    X, _, counts = corpus(80, seed=12)
    model = LSTMTextRegressor(**{**SMALL, "max_epochs": 1}).fit(X, counts)
    data = sio.dumps(model)
    types = sio.get_untrusted_types(data=data)
    assert types == ["manabu.models.text_lstm.LSTMTextRegressor"]
    assert np.array_equal(sio.loads(data, trusted=types).predict(X), model.predict(X))


def test_manabu_model_folder_round_trip(binary, tmp_path):
    X, y, _ = corpus(150, seed=13)
    frame = pd.DataFrame({"review": X[:, 0], "stars": np.arange(150) % 5})
    preprocess = ColumnTransformer([("text", "passthrough", ["review"])])
    pipeline = Pipeline([("preprocess", preprocess),
                         ("model", LSTMTextClassifier(**{**SMALL, "max_epochs": 3}))]).fit(frame, y)
    folder = save_model(tmp_path / "model", pipeline, {"task": "binary"})
    loaded, manifest = load_model(folder)
    assert manifest["pipeline"]["model_class"] == "manabu.models.text_lstm.LSTMTextClassifier"
    assert np.array_equal(loaded.predict_proba(frame), pipeline.predict_proba(frame))
    assert np.array_equal(loaded.predict(frame), pipeline.predict(frame))


def test_odd_tokens_survive_a_model_folder(tmp_path):
    odd = ["😀 🍣 👍🏽 good", "ctl\x00 \x07bell \x1bescape", "lone\ud800 surrogate", "[SEP] [UNK] [PAD] a",
           "\u3000全角 スペース"] * 4
    X = np.array(odd, dtype=object).reshape(-1, 1)
    model = LSTMTextClassifier(**{**SMALL, "max_epochs": 1}, min_count=1).fit(X, ["a", "b"] * 10)
    assert {"😀", "ctl\x00", "lone\ud800", "[SEP]", "[PAD]"} <= set(model.vocabulary_)
    loaded, _ = load_model(save_model(tmp_path / "model", model, {"task": "binary"}))
    assert loaded.steps[-1][1].vocabulary_ == model.vocabulary_
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
