"""Training on text end to end: the schema finds the text and its language, the text families
learn it, the report and ``explain`` name the words that matter, and the model folder reads new
text as training did."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import manabu
from manabu.data.schema import ColumnType, infer_schema
from manabu.base.errors import ConfigError
from manabu.features.text_words import TextTfidf
from tests.text.corpus import EN_BAD, EN_GOOD, english_reviews, japanese_reviews

TEXT_FAMILIES = ["text_linear", "naive_bayes"]


def _fit(frame, target, **settings):
    settings.setdefault("models", TEXT_FAMILIES)
    settings.setdefault("time_limit", 20)
    settings.setdefault("max_trials", 4)
    return manabu.fit(frame, target=target, verbose=False, **settings)


@pytest.fixture(scope="module")
def japanese():
    train, test = japanese_reviews(300, seed=0), japanese_reviews(100, seed=1)
    return _fit(train, "評価"), test


@pytest.fixture(scope="module")
def english():
    train, test = english_reviews(300, seed=0), english_reviews(100, seed=1)
    return _fit(train, "label"), test


def test_schema_finds_text_and_its_language():
    schema = infer_schema(japanese_reviews(100), "評価")
    assert schema.column("レビュー").type is ColumnType.TEXT and schema.column("レビュー").language == "ja"
    schema = infer_schema(english_reviews(100), "label")
    assert schema.column("review").type is ColumnType.TEXT and schema.column("review").language == "en"


@pytest.mark.parametrize("which", ["japanese", "english"])
def test_text_families_learn_reviews(which, request):
    predictor, test = request.getfixturevalue(which)
    target = predictor.target
    families = {row["family"] for row in predictor.record.leaderboard}
    assert {"text_linear", "naive_bayes"} <= families
    accuracy = (predictor.predict(test.drop(columns=[target])).to_numpy() == test[target].to_numpy()).mean()
    assert accuracy >= 0.95
    column = next(c for c in predictor.schema.columns if c.type is ColumnType.TEXT)
    assert column.tokenizer == ("sudachi" if which == "japanese" else "english")
    assert any(n.key == "text.analyser" for n in predictor.notices)


def test_report_names_the_words_of_each_class(japanese):
    predictor, _ = japanese
    text = predictor.record.report["text"]
    words = text["columns"]["レビュー"]
    positive = {w["word"] for w in words["classes"]["ポジティブ"]["towards"]}
    assert positive & {"最高", "快適", "綺麗", "親切", "美味しい", "素晴らしい"}
    away = {w["word"] for w in words["classes"]["ポジティブ"]["away"]}
    assert away & {"最悪", "不快", "汚い", "不親切", "うるさい", "ひどい", "ない"}
    assert words["documents"] > 0
    kinds = {e["kind"] for e in text["examples"]}
    assert "right" in kinds and all(e["actual"] in ("ポジティブ", "ネガティブ") for e in text["examples"])


def test_report_page_shows_the_text_section(japanese):
    from manabu.report import predictor_report
    page = predictor_report(japanese[0])
    assert 'id="text"' in page and "予測を左右する単語" in page and "Example predictions" in page


def test_explain_points_at_the_word_that_decides(english):
    predictor, _ = english
    explanation = predictor.explain_text("We came by train. The breakfast was terrible.")
    assert explanation.label == "negative"
    assert explanation.effects[0].word == "terrible" and explanation.effect(explanation.effects[0]) > 0
    explanation = predictor.explain_text("The breakfast was not delicious.")
    assert explanation.label == "negative"
    assert "not" in [e.word for e in explanation.effects[:2]]


def test_explain_refuses_what_it_cannot_explain(english):
    predictor, _ = english
    with pytest.raises(ConfigError, match="no text to analyse"):
        predictor.explain_text("   ")
    with pytest.raises(ConfigError, match="not a text column"):
        predictor.explain_text("fine", column="label")


def test_saved_model_reads_new_text_as_training_did(japanese, tmp_path):
    predictor, test = japanese
    predictor.save(tmp_path / "model")
    loaded = manabu.load(tmp_path / "model")
    X = test.drop(columns=["評価"])
    pd.testing.assert_frame_equal(loaded.predict_proba(X), predictor.predict_proba(X))
    assert loaded.schema.column("レビュー").tokenizer == "sudachi"


def test_text_combines_with_tabular_columns():
    frame = english_reviews(300, seed=3)
    rng = np.random.default_rng(0)
    frame["nights"] = rng.integers(1, 5, len(frame))
    frame["plan"] = rng.choice(["room only", "breakfast", "half board"], len(frame))
    predictor = _fit(frame, "label", models=["text_linear"])
    matrix = predictor.pipeline[0].transform(predictor.schema.prepare(frame.head(5)))
    names = predictor.pipeline[0].get_feature_names_out()
    assert sparse.issparse(matrix)
    assert any(n.startswith("num__nights") for n in names) and any("word:great" in n for n in names)


def test_bad_text_cells_empty_huge_emoji_and_control_characters():
    frame = english_reviews(200, seed=4)
    frame.loc[0, "review"] = ""
    frame.loc[1, "review"] = np.nan
    frame.loc[2, "review"] = "The room was great. " * 50_000  # 1 MB
    frame.loc[3, "review"] = "The bed was \x00broken\x1b 😡😡"
    frame.loc[4, "review"] = "🙂🙂🙂"
    predictor = _fit(frame, "label")
    new = pd.DataFrame({"review": ["", None, "😡 awful \x07 rude", "great " * 200_000]})
    predicted = predictor.predict(new)
    assert predicted.notna().all() and predicted.iloc[3] == "positive"


def test_a_few_repeated_phrases_are_categories_not_text():
    phrases = ["very satisfied with the stay", "not satisfied with the stay", "no comment at all"]
    frame = pd.DataFrame({"answer": [phrases[i % 3] for i in range(300)],
                          "label": ["yes" if i % 3 == 0 else "no" for i in range(300)]})
    assert infer_schema(frame, "label").column("answer").type is ColumnType.CATEGORICAL
    with pytest.raises(ConfigError, match="no text column"):
        _fit(frame, "label", models=["naive_bayes"])


def test_tfidf_of_texts_that_are_all_empty_is_one_zero_column():
    features = TextTfidf("english").fit(pd.DataFrame({"t": ["", "", np.nan]}))
    out = features.transform(pd.DataFrame({"t": ["anything new"]}))
    assert out.shape == (1, 1) and out.nnz == 0
    assert list(features.get_feature_names_out()) == ["empty"]


def test_tfidf_words_and_characters():
    texts = pd.DataFrame({"t": [f"the room was {w}" for w in EN_GOOD + EN_BAD] * 3})
    features = TextTfidf("english").fit(texts)
    names = set(features.get_feature_names_out())
    assert "word:room" in names and "word:great" in names and "word:room great" in names
    assert any(n.startswith("char:") for n in names)
    assert "word:the" not in names  # a stop word


def test_unknown_tokenizer_and_missing_text_model():
    with pytest.raises(ConfigError, match="unknown tokenizer"):
        manabu.fit(english_reviews(50), target="label", tokenizer="mecab", verbose=False)
    with pytest.raises(ConfigError, match="--text-model"):
        _fit(english_reviews(100), "label", models=["transformer"])
    with pytest.raises(ConfigError, match="does not exist"):
        _fit(english_reviews(100), "label", text_model="/nowhere/checkpoint")


def test_export_code_skips_the_text_families_and_says_so(english):
    from manabu.base.errors import ConfigError as Refused
    from manabu.export.script import best_single_row
    predictor, _ = english
    training = predictor.record.to_dict()
    with pytest.raises(Refused, match="text families"):
        best_single_row(training)  # only text families were trained


def test_a_file_of_mixed_encodings_is_refused_with_the_lines(tmp_path):
    from manabu.base.errors import DataError
    path = tmp_path / "joined.csv"
    data = "text,label\n".encode()
    for i in range(40):
        data += f"部屋は快適でした。良いホテル{i},pos\n".encode("utf-8" if i < 20 else "cp932")
    path.write_bytes(data)
    with pytest.raises(DataError, match=r"line 2 is UTF-8 but line 22 is Shift_JIS"):
        manabu.read(path)
