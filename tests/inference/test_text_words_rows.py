"""``TextTfidf`` on the row path: its dense rows equal the sparse TF-IDF it makes, and the text
families (text_linear, naive_bayes) answer through the row path as through their pipeline."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.ensemble.model import Ensemble
from manabu.features.text_words import TextTfidf
from manabu.features.tokenize import installed
from manabu.inference import NotCovered, build_row_path
from manabu.inference import text_words
from manabu.inference.compiled import Rows
from manabu.inference.text_words import TextWords
from tests.inference.conftest import frame, new_rows

ENGLISH = ["the train was late this morning", "Coffee at the station, before the bus",
           "rain, rain and more rain", "a ticket for the early bus", "late again: the train!"] * 3
JAPANESE = ["東京駅の電車は遅れた", "美味しくないコーヒーでした", "朝の雨で電車が止まった",
            "渋谷区のバスは早い", "コーヒーは美味しい"] * 3
NEW = ["the train station", "", None, np.nan, "words never seen before", "東京の雨", "RAIN rain RAIN",
       "ｃｏｆｆｅｅ　ｔｉｃｋｅｔ", "美味しくない電車", " "]

# the first as the search builds English text
SETTINGS = [("english", {"char_ngrams": (2, 4), "char_analyzer": "char_wb"}),
            ("english", {}), ("chars", {}), ("sudachi", {}), ("janome", {}), ("fugashi", {})]


def texts(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def check_rows(fitted: TextTfidf, values: list) -> TextWords:
    block = TextWords.of(fitted, ["t"])
    column = texts(values)
    expected = fitted.transform(pd.DataFrame({"t": column})).toarray()
    got = block.transform({"t": column}, len(column))
    assert got.shape == expected.shape == (len(values), block.width)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    for i in range(3):  # one text at a time too
        np.testing.assert_allclose(block.transform({"t": column[i:i + 1]}, 1), expected[i:i + 1], rtol=0, atol=1e-12)
    return block


@pytest.mark.parametrize(("tokenizer", "settings"), SETTINGS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(SETTINGS)])
def test_rows_equal_the_sparse_tfidf(tokenizer, settings):
    if tokenizer != "chars" and not installed(tokenizer):
        pytest.skip(f"{tokenizer} is not installed")
    fitted = TextTfidf(tokenizer, **settings).fit(pd.DataFrame({"t": texts(ENGLISH + JAPANESE)}))
    block = check_rows(fitted, NEW)
    assert (block.word is None) == (tokenizer == "chars") and block.char is not None


def test_long_texts_have_words_only_and_empty_texts_one_zero_column():
    long = TextTfidf("english").fit(pd.DataFrame({"t": texts([" ".join([t] * 30) for t in ENGLISH])}))
    assert long.char_ is None  # long documents: single words alone
    check_rows(long, NEW)
    empty = TextTfidf("english").fit(pd.DataFrame({"t": texts(["", None, np.nan] * 4)}))
    assert empty.word_ is None and empty.char_ is None
    block = check_rows(empty, NEW)
    assert block.width == 1 and not block.transform({"t": texts(NEW)}, len(NEW)).any()


def test_too_many_rows_times_columns_are_not_covered(monkeypatch):
    fitted = TextTfidf("english").fit(pd.DataFrame({"t": texts(ENGLISH)}))
    block = TextWords.of(fitted, ["t"])
    monkeypatch.setattr(text_words, "MAX_FLOATS", 3 * block.width)
    assert block.transform({"t": texts(NEW[:3])}, 3).shape == (3, block.width)
    with pytest.raises(NotCovered):
        block.transform({"t": texts(NEW[:4])}, 4)


def answers(model, X, classifier: bool):
    predicted = np.asarray(model.predict(X))
    return (predicted, np.asarray(model.predict_proba(X), dtype=float)) if classifier else (predicted,)


@pytest.mark.parametrize(("family", "task", "model"), [
    ("text_linear", "binary", "Linear"), ("text_linear", "multiclass", "Linear"),
    ("text_linear", "regression", "Linear"), ("naive_bayes", "binary", "AsIs"), ("naive_bayes", "multiclass", "AsIs")])
def test_text_families_answer_through_the_row_path(fitted, family, task, model):
    pipeline, schema = fitted(family, task)
    path = build_row_path(pipeline, schema)
    assert type(path.compiled.model).__name__ == model
    assert any(isinstance(block, TextWords) for block, _ in path.compiled.columns.blocks)
    rows = new_rows(task)
    X, values = schema.prepare(rows), schema.prepare_values(rows)
    matrix = pipeline[0].transform(X)
    np.testing.assert_allclose(path.compiled.matrix(Rows(values, len(rows))),
                               matrix.toarray() if hasattr(matrix, "toarray") else matrix, rtol=0, atol=1e-12)
    classifier = task != "regression"
    expected = answers(pipeline, X, classifier)
    for i in (None, 0, 2, 3):  # the batch, then single rows (a missing note, an empty one)
        got = _path_answers(path, values, len(rows), i, classifier)
        for g, e in zip(got, expected):
            e = e if i is None else e[i:i + 1]
            if g.dtype.kind == "f" or e.dtype.kind == "f":
                np.testing.assert_allclose(g.astype(float), e.astype(float), rtol=0, atol=1e-6)
            else:
                np.testing.assert_array_equal(g, e)


def _path_answers(path, values, n_rows: int, i: int | None, classifier: bool):
    if i is not None:
        values, n_rows = {k: v[i:i + 1] for k, v in values.items()}, 1
    predicted = np.asarray(path.predict(values, n_rows))
    return (predicted, np.asarray(path.predict_proba(values, n_rows), dtype=float)) if classifier else (predicted,)


def test_an_ensemble_with_a_text_member_gets_a_row_path(fitted):
    members = [(family, fitted(family, "binary")[0]) for family in ("lightgbm", "text_linear", "naive_bayes")]
    schema = fitted("lightgbm", "binary")[1]
    ensemble = Ensemble(members, [0.4, 0.4, 0.2], "binary", n_classes=2)
    path = build_row_path(ensemble, schema)
    rows = new_rows("binary")
    X, values = schema.prepare(rows), schema.prepare_values(rows)
    np.testing.assert_allclose(path.predict_proba(values, len(rows)), ensemble.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(path.predict(values, len(rows)), ensemble.predict(X))


@pytest.mark.usefixtures("without_report_numbers")  # the answers alone are compared
def test_a_fitted_text_linear_predictor_answers_through_its_row_path():
    predictor = manabu.fit(frame("binary"), target="y", models=["text_linear"], max_trials=1,
                           validation="holdout", time_limit=60, verbose=False)
    assert predictor.row_path() is not None
    rows = new_rows("binary")
    X = predictor.schema.prepare(rows)
    for i in range(4):
        np.testing.assert_allclose(predictor.predict_proba(rows.iloc[[i]]).to_numpy(),
                                   predictor.pipeline.predict_proba(X.iloc[[i]]), rtol=0, atol=1e-6)
