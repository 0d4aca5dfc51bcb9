"""Word vectors from GiNZA's package (``manabu[vectors]``): the mean vector of a text's words, and
the ``text_vectors`` family that learns from it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ja_ginza")

import manabu  # noqa: E402
from manabu.features.word_vectors import WordVectors  # noqa: E402
from manabu.models.zoo import get_entries  # noqa: E402
from tests.text.corpus import japanese_reviews  # noqa: E402


def test_mean_vectors_of_known_words():
    vectors = WordVectors("sudachi").fit(pd.DataFrame({"t": ["部屋"]}))
    out = vectors.transform(pd.DataFrame({"t": ["部屋は快適でした", "部屋は快適でした。", "部屋は最悪でした",
                                                 "", None, "ｘｙｚｚｙ"]}))
    assert out.shape == (6, 300)
    np.testing.assert_allclose(np.linalg.norm(out[:3], axis=1), 1.0)  # unit length
    np.testing.assert_array_equal(out[0], out[1])  # punctuation is not a word
    assert not np.array_equal(out[0], out[2])
    assert not out[3:].any()  # nothing known: zeros


def test_similar_words_are_near_although_they_share_no_character():
    vectors = WordVectors("sudachi").fit(pd.DataFrame({"t": ["a"]}))
    good, pleasant, dirty = vectors.transform(pd.DataFrame({"t": ["快適", "心地よい", "汚い"]}))
    assert good @ pleasant > good @ dirty


def test_family_offered_for_japanese_text_only():
    assert "text_vectors" in [e.name for e in get_entries(None, "binary", languages=frozenset({"ja"}))]
    assert "text_vectors" not in [e.name for e in get_entries(None, "binary", languages=frozenset({"en"}))]


def test_text_vectors_family_learns_reviews(tmp_path):
    train, test = japanese_reviews(240, seed=0), japanese_reviews(80, seed=1)
    predictor = manabu.fit(train, target="評価", models=["text_vectors"], time_limit=30, max_trials=2, verbose=False)
    assert predictor.record.leaderboard[0]["family"] == "text_vectors"
    accuracy = (predictor.predict(test.drop(columns=["評価"])).to_numpy() == test["評価"].to_numpy()).mean()
    assert accuracy >= 0.85
    predictor.save(tmp_path / "model")
    pd.testing.assert_frame_equal(manabu.load(tmp_path / "model").predict_proba(test), predictor.predict_proba(test))
