"""The "transformer" family: fine-tuning a local checkpoint, offline, and saving it self-contained.

Nothing can be downloaded, so the checkpoint is made here: a WordPiece vocabulary of the test
corpus and a tiny randomly initialised BERT, written with ``save_pretrained``.
"""
from __future__ import annotations

import base64
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from manabu.artifact import load_model, save_model  # noqa: E402
from manabu.base.errors import ConfigError  # noqa: E402
from manabu.base.i18n import catalogue  # noqa: E402
from manabu.models.entry import DeadlineExceeded  # noqa: E402
from manabu.models.text_transformer import (  # noqa: E402
    ERROR_KEY,
    TransformerTextClassifier,
    TransformerTextRegressor,
    _export,
    _rebuild,
    _texts,
    transformers_available,
)

POSITIVE = ["good", "great", "love"]
NEGATIVE = ["bad", "awful", "hate"]
NEUTRAL = ["okay", "fine", "average"]
FILLER = ["the", "movie", "was", "a", "film", "plot", "actor", "story", "really", "quite", "and", "it"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# fast settings for the tiny random model: a large learning rate, a few epochs
FAST = dict(learning_rate=1e-3, max_epochs=6, patience=2, batch_size=16, max_length=32)


def _documents(labels: list[str], seed: int) -> np.ndarray:
    """One document per label: filler words with one or two of the label's words among them."""
    rng = np.random.default_rng(seed)
    words = {"pos": POSITIVE, "neg": NEGATIVE, "neu": NEUTRAL}
    docs = []
    for label in labels:
        doc = list(rng.choice(FILLER, size=rng.integers(4, 9)))
        for word in rng.choice(words[label], size=rng.integers(1, 3)):
            doc.insert(int(rng.integers(0, len(doc) + 1)), str(word))
        docs.append(" ".join(doc))
    return np.array(docs, dtype=object).reshape(-1, 1)


def _corpus(classes: tuple[str, ...], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    labels = [classes[i % len(classes)] for i in range(n)]
    labels = list(np.random.default_rng(seed + 1).permutation(labels))
    return _documents(labels, seed), np.array(labels, dtype=object)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny BERT and its tokenizer in one folder, as ``save_pretrained`` writes them."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("checkpoint")
    vocab = SPECIAL + POSITIVE + NEGATIVE + NEUTRAL + FILLER + list("abcdefghijklmnopqrstuvwxyz")
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file))
    assert tokenizer.tokenize("good movie") == ["good", "movie"]  # the vocabulary was read
    torch.manual_seed(0)
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        vocab_size=len(vocab), max_position_embeddings=128)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def binary_data():
    X, y = _corpus(("pos", "neg"), 200, seed=1)
    X_test, y_test = _corpus(("pos", "neg"), 100, seed=2)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def binary_model(checkpoint, binary_data):
    X, y, _, _ = binary_data
    return TransformerTextClassifier(str(checkpoint), **FAST).fit(X, y)


def test_transformers_available():
    assert transformers_available() is True


def test_classifier_learns_sentiment(binary_model, binary_data):
    _, _, X_test, y_test = binary_data
    assert list(binary_model.classes_) == ["neg", "pos"]
    assert binary_model.classes_.dtype == object
    accuracy = np.mean(binary_model.predict(X_test) == y_test)
    assert accuracy > 0.85
    proba = binary_model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert 1 <= binary_model.best_epoch_ <= binary_model.n_epochs_ <= FAST["max_epochs"]


def test_three_classes(checkpoint):
    X, y = _corpus(("pos", "neg", "neu"), 240, seed=3)
    X_test, y_test = _corpus(("pos", "neg", "neu"), 90, seed=4)
    # smaller batches: with 16 rows a batch, some seeds leave the tiny model blind to one class
    model = TransformerTextClassifier(str(checkpoint), **{**FAST, "batch_size": 8, "max_epochs": 10}).fit(X, y)
    assert list(model.classes_) == ["neg", "neu", "pos"]
    proba = model.predict_proba(X_test)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert np.mean(model.predict(X_test) == y_test) > 0.85


def _scored(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each document's target is the score of its one sentiment word, plus a little noise."""
    scores = {"love": 3.0, "great": 2.0, "good": 1.0, "okay": 0.0, "bad": -1.0, "awful": -2.0, "hate": -3.0}
    rng = np.random.default_rng(seed)
    words = rng.choice(list(scores), size=n)
    docs = []
    for word in words:
        doc = list(rng.choice(FILLER, size=rng.integers(4, 9)))
        doc.insert(int(rng.integers(0, len(doc) + 1)), str(word))
        docs.append(" ".join(doc))
    y = np.array([scores[w] for w in words]) * 10 + 50 + rng.normal(0, 1, n)
    return np.array(docs, dtype=object).reshape(-1, 1), y


def test_regression_learns_a_score(checkpoint):
    X, y = _scored(240, seed=5)
    X_test, y_test = _scored(100, seed=6)
    model = TransformerTextRegressor(str(checkpoint), **{**FAST, "max_epochs": 15}).fit(X, y)
    predictions = model.predict(X_test)
    assert predictions.shape == (100,)
    assert r2_score(y_test, predictions) > 0.5


def test_same_seed_same_model_and_threads_restored(checkpoint, binary_data, binary_model):
    X, y, X_test, _ = binary_data
    before = torch.get_num_threads()
    again = TransformerTextClassifier(str(checkpoint), **FAST).fit(X, y)
    assert torch.get_num_threads() == before
    np.testing.assert_array_equal(again.predict_proba(X_test), binary_model.predict_proba(X_test))
    other = TransformerTextClassifier(str(checkpoint), **{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(other.predict_proba(X_test), binary_model.predict_proba(X_test))


def test_predicts_after_the_checkpoint_is_deleted(checkpoint, binary_data, tmp_path):
    X, y, X_test, _ = binary_data
    copy = shutil.copytree(checkpoint, tmp_path / "copy")
    model = TransformerTextClassifier(str(copy), **{**FAST, "max_epochs": 2}).fit(X, y)
    expected = model.predict_proba(X_test)
    shutil.rmtree(copy)
    np.testing.assert_array_equal(model.predict_proba(X_test), expected)
    import skops.io as sio

    loaded = sio.loads(sio.dumps(model), trusted=sio.get_untrusted_types(data=sio.dumps(model)))
    np.testing.assert_array_equal(loaded.predict_proba(X_test), expected)


def test_skops_round_trip_holds_only_plain_types(binary_model, binary_data):
    import skops.io as sio

    _, _, X_test, _ = binary_data
    data = sio.dumps(binary_model)
    types = sio.get_untrusted_types(data=data)
    allowed = {"manabu.models.text_transformer.TransformerTextClassifier"}
    assert set(types) - allowed <= {t for t in types if t.startswith(("numpy.", "builtins."))}
    assert not [t for t in types if "torch" in t or "transformers" in t]
    loaded = sio.loads(data, trusted=types)
    assert loaded._model is None  # rebuilt lazily, on the first prediction
    np.testing.assert_array_equal(loaded.predict_proba(X_test), binary_model.predict_proba(X_test))
    assert list(loaded.classes_) == list(binary_model.classes_)
    # a loaded model saves again (from its rebuilt weights) to the same predictions
    reloaded = sio.loads(sio.dumps(loaded), trusted=types)
    np.testing.assert_array_equal(reloaded.predict_proba(X_test), binary_model.predict_proba(X_test))


def _assert_plain(value, where="state") -> None:
    """Only builtins and numpy arrays of numbers or builtin strings, all the way down."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, where
            _assert_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, np.ndarray):
        assert value.dtype != object or all(type(item) in (str, int, float, bool) for item in value.ravel()), where
    else:
        assert type(value) in (str, int, float, bool, type(None)), f"{where}: {type(value)}"


def test_state_is_plain(binary_model):
    state = binary_model.__getstate__()
    _assert_plain(state)
    assert state["weights"] and all(w.dtype == np.float32 for w in state["weights"].values())
    assert '"label2id"' in state["config_json"] and "tokenizer.json" in state["tokenizer_files"]
    assert state["params"] == binary_model.get_params()
    unfitted = TransformerTextClassifier("somewhere").__getstate__()
    assert unfitted == {"params": TransformerTextClassifier("somewhere").get_params()}


def test_binary_tokenizer_files_travel_as_base64(binary_model, binary_data):
    """A tokenizer that writes a binary file (a sentencepiece model, say) still round-trips."""
    _, _, X_test, _ = binary_data
    payload = bytes([0x80, 0xFF, 0x00, 0x01])

    class WithBinaryFile:
        def save_pretrained(self, folder):
            binary_model._tokenizer.save_pretrained(folder)
            (Path(folder) / "spiece.model").write_bytes(payload)

    stored = _export(WithBinaryFile(), binary_model._model)
    assert "spiece.model" not in stored["tokenizer_files"]
    assert base64.b64decode(stored["tokenizer_files_base64"]["spiece.model"]) == payload
    tokenizer, model = _rebuild(stored)
    assert tokenizer.tokenize("good movie") == ["good", "movie"]
    original = binary_model._model.state_dict()
    assert all(torch.equal(value, original[name]) for name, value in model.state_dict().items())
    with pytest.raises(ValueError, match="file name"):
        _rebuild({**stored, "tokenizer_files_base64": {"../escape": ""}})


def test_regressor_skops_round_trip(checkpoint):
    import skops.io as sio

    X, y = _scored(60, seed=7)
    model = TransformerTextRegressor(str(checkpoint), **{**FAST, "max_epochs": 1}).fit(X, y)
    data = sio.dumps(model)
    types = sio.get_untrusted_types(data=data)
    assert "manabu.models.text_transformer.TransformerTextRegressor" in types
    assert not [t for t in types if "torch" in t or "transformers" in t]
    np.testing.assert_array_equal(sio.loads(data, trusted=types).predict(X), model.predict(X))


def test_manabu_artifact_round_trip(binary_model, binary_data, tmp_path):
    X, y, X_test, _ = binary_data
    frame = pd.DataFrame({"review": X[:, 0], "stars": np.arange(len(X))})
    test_frame = pd.DataFrame({"review": X_test[:, 0], "stars": np.arange(len(X_test))})
    preprocess = ColumnTransformer([("text", "passthrough", ["review"])]).fit(frame)
    pipeline = Pipeline([("preprocess", preprocess), ("model", binary_model)])
    expected = pipeline.predict_proba(test_frame)
    np.testing.assert_array_equal(expected, binary_model.predict_proba(X_test))
    folder = save_model(tmp_path / "model", pipeline, {"task": "binary"})
    loaded, manifest = load_model(folder)
    assert manifest["pipeline"]["model_class"] == "manabu.models.text_transformer.TransformerTextClassifier"
    np.testing.assert_array_equal(loaded.predict_proba(test_frame), expected)
    np.testing.assert_array_equal(loaded.predict(test_frame), pipeline.predict(test_frame))


def _assert_unusable(error: ConfigError, path) -> None:
    assert error.key == ERROR_KEY
    assert error.params["path"] == str(path)
    assert error.params["error"]
    if ERROR_KEY in catalogue("en"):  # once the integrator has added the message
        assert str(path) in error.render("en")


def _missing_folder(tmp_path: Path, checkpoint: Path) -> Path:
    return tmp_path / "nowhere"


def _folder_without_config(tmp_path: Path, checkpoint: Path) -> Path:
    shutil.copy(checkpoint / "vocab.txt", tmp_path / "vocab.txt")
    return tmp_path


@pytest.mark.parametrize(("make_folder", "reason"), [(_missing_folder, "does not exist"),
                                                     (_folder_without_config, "config.json")])
def test_unusable_folder_is_a_config_error(make_folder, reason, tmp_path, checkpoint, binary_data):
    X, y, _, _ = binary_data
    folder = make_folder(tmp_path, checkpoint)
    with pytest.raises(ConfigError) as caught:
        TransformerTextClassifier(str(folder)).fit(X[:20], y[:20])
    _assert_unusable(caught.value, folder)
    assert reason in caught.value.params["error"]


def test_corrupt_config_is_a_config_error(tmp_path, checkpoint, binary_data):
    X, y, _, _ = binary_data
    broken = shutil.copytree(checkpoint, tmp_path / "broken")
    (broken / "config.json").write_text("{ this is not json", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        TransformerTextRegressor(str(broken)).fit(X[:20], np.arange(20.0))
    _assert_unusable(caught.value, broken)


def test_deadline_in_the_past(checkpoint, binary_data):
    X, y, _, _ = binary_data
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        TransformerTextClassifier(str(checkpoint), **FAST).fit(X, y, deadline=time.monotonic() - 1)
    assert time.monotonic() - started < 10


def test_odd_cells_predict(binary_model):
    odd = np.array([[""], [np.nan], [None], ["😀🎉 \x00\x07\x1b[31m\u200b\ufeff"], ["good " * 200_000],
                    [pd.NA], [42]], dtype=object)
    assert len(odd[4, 0]) == 1_000_000
    proba = binary_model.predict_proba(odd)
    assert proba.shape == (7, 2)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    # an empty string, NaN, None and pd.NA are all the same empty text
    np.testing.assert_array_equal(proba[1], proba[0])
    np.testing.assert_array_equal(proba[2], proba[0])
    np.testing.assert_array_equal(proba[5], proba[0])
    assert binary_model.predict(odd[4:5])[0] == "pos"  # only the first tokens are read
    assert binary_model.predict(pd.DataFrame({"text": odd[:, 0]})).shape == (7,)


def test_fit_tolerates_missing_cells(checkpoint, binary_data):
    X, y, X_test, y_test = binary_data
    X = X.copy()
    X[::10, 0] = np.nan
    model = TransformerTextClassifier(str(checkpoint), **{**FAST, "max_epochs": 1}).fit(X, y)
    assert model.predict_proba(X_test).shape == (len(X_test), 2)


def test_columns_are_joined_by_newlines():
    frame = pd.DataFrame({"title": ["a", None, "c"], "body": ["x", "y", np.nan]})
    texts, n_columns = _texts(frame)
    assert texts == ["a\nx", "\ny", "c\n"]
    assert n_columns == 2
    assert _texts(["one", "two"]) == (["one", "two"], 1)


def test_wrong_number_of_columns_is_refused(binary_model):
    with pytest.raises(ValueError, match="columns"):
        binary_model.predict(np.array([["a", "b"]], dtype=object))
