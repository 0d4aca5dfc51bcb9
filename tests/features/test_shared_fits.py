"""A fold's text features are counted once and shared by every candidate fitted on that fold,
inside a search only, and give exactly what an unshared fit gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from manabu.features import shared_fits
from manabu.features.shared_fits import shared_text_fits
from manabu.features.text import TextEmbedding
from manabu.features.text_words import TextTfidf

TEXTS = pd.DataFrame({"t": [f"the room was {w} and the staff {v}" for w in ("clean", "dirty", "small", "quiet")
                            for v in ("kind", "rude", "slow")] * 5})
OTHER = TEXTS.iloc[::-1].reset_index(drop=True)


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


def test_a_second_candidate_on_the_same_fold_takes_the_first_ones_fit_and_output():
    for transformer in (TextTfidf("english"), TextEmbedding(n_components=4)):
        alone = clone(transformer).fit(TEXTS)
        with shared_text_fits() as memo:
            first, second = clone(transformer).fit(TEXTS), clone(transformer).fit(TEXTS)
            assert memo.hits == 1, "the second fit took the first one's state"
            assert vars(first).keys() == vars(second).keys()
            out_first, out_second = first.transform(OTHER), second.transform(OTHER)
            assert out_second is out_first, "the same texts through the same fit: one result"
        np.testing.assert_array_equal(_dense(out_first), _dense(alone.transform(OTHER)))


def test_other_texts_or_other_settings_are_fitted_anew():
    with shared_text_fits() as memo:
        base = TextTfidf("english").fit(TEXTS)
        TextTfidf("english").fit(OTHER)  # the same texts in another order: another fold
        TextTfidf("english", min_df=1).fit(TEXTS)
        assert memo.hits == 0
        assert base.transform(TEXTS) is not TextTfidf("english").fit(OTHER).transform(TEXTS)


def test_outside_a_search_nothing_is_remembered():
    first, second = TextTfidf("english").fit(TEXTS), TextTfidf("english").fit(TEXTS)
    assert first.word_ is not second.word_
    assert first.transform(TEXTS) is not first.transform(TEXTS)
    assert shared_fits._active is None


def test_the_memo_keeps_the_newest_results_within_its_bytes():
    with shared_text_fits(max_bytes=3 * 800) as memo:
        model = TextEmbedding(n_components=4).fit(TEXTS)
        outputs = [model.transform(TEXTS.iloc[:n]) for n in (20, 21, 22, 23)]  # n × 4 floats: 640-736 bytes
        assert memo.bytes <= 3 * 800
        assert model.transform(TEXTS.iloc[:23]) is outputs[-1], "the newest stays"
        assert model.transform(TEXTS.iloc[:20]) is not outputs[0], "the oldest went"
