"""Free-text columns as words, for the text families: sparse word and character TF-IDF (linear
models, Naive Bayes) and the words themselves (the LSTM), read by a Japanese or English analyser
(``manabu.features.tokenize``)."""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from manabu.features.shared_fits import fit_shared, transform_shared
from manabu.features.text import CompactVocabularies, column_texts
from manabu.features.tokenize import CHARS, joined_words, normalise

LONG_TEXT = 300  # mean characters per document above which TextTfidf reads single words only


class TextTfidf(CompactVocabularies, TransformerMixin, BaseEstimator):
    """Word and character n-gram TF-IDF of one text column, kept sparse, for linear models and
    Naive Bayes: the strong, fast baseline of text classification.

    Words come from ``tokenizer`` (``manabu.features.tokenize``: lemmas of content words, so that
    美味しくない counts 美味しい and ない); character n-grams catch what the words miss (unknown
    words, spelling, suffixes). ``tokenizer="chars"`` uses the characters alone.

    Long documents (articles, not reviews) have words enough: they get single words only. On
    4,700 livedoor articles (1,200 characters each) the character 1-3-grams took 15 s a fit and
    word pairs 5 s, single words 0.7 s, and the topic is in the words.
    """

    VECTORIZERS = ("word_", "char_")

    def __init__(self, tokenizer: str = "english", word_ngrams: tuple[int, int] = (1, 2),
                 char_ngrams: tuple[int, int] = (1, 3), char_analyzer: str = "char",
                 min_df: int = 2, max_features: int = 200_000):
        self.tokenizer = tokenizer
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.char_analyzer = char_analyzer
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, X, y=None):
        texts = column_texts(X)
        fit_shared(self, texts, lambda: self._fit(texts))
        return self

    def _fit(self, texts: list[str]) -> None:
        # on a few dozen rows a word seen once is still most of what there is to learn from
        min_df = self.min_df if len(texts) >= 20 * self.min_df else 1
        words = self.tokenizer != CHARS
        long = words and np.mean([len(t) for t in texts] or [0]) > LONG_TEXT
        self.word_ = self.char_ = None
        if words:
            self.word_ = _fitted_or_none(TfidfVectorizer(
                analyzer="word", token_pattern=r"\S+", lowercase=False,
                ngram_range=(1, 1) if long else tuple(self.word_ngrams), min_df=min_df,
                max_features=self.max_features, sublinear_tf=True, dtype=np.float64), self._words(texts))
        if not long:
            self.char_ = _fitted_or_none(TfidfVectorizer(
                analyzer=self.char_analyzer, lowercase=False, ngram_range=tuple(self.char_ngrams),
                min_df=min_df, max_features=self.max_features, sublinear_tf=True, dtype=np.float64),
                _normalised(texts))
        self.n_features_out_ = sum(len(v.vocabulary_) for v in self._parts()) or 1

    def transform(self, X):
        check_is_fitted(self, "n_features_out_")
        texts = column_texts(X)
        parts = self._parts()
        if not parts:  # nothing to learn from (every text empty): one column of zeros
            return sparse.csr_matrix((len(texts), 1))
        return transform_shared(parts[0], texts, lambda: self._transform(texts))

    def _transform(self, texts: list[str]):
        blocks = []
        if self.word_ is not None:
            blocks.append(self.word_.transform(self._words(texts)))
        if self.char_ is not None:
            blocks.append(self.char_.transform(_normalised(texts)))
        return sparse.hstack(blocks, format="csr")

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "n_features_out_")
        names = [f"{kind}:{term}" for kind, part in (("word", self.word_), ("char", self.char_))
                 if part is not None for term in part.get_feature_names_out()]
        return np.asarray(names or ["empty"], dtype=object)

    def _parts(self):
        return [part for part in (self.word_, self.char_) if part is not None]

    def _words(self, texts: list[str]) -> list[str]:
        return [joined_words(self.tokenizer, text) for text in texts]


class TextTokens(TransformerMixin, BaseEstimator):
    """One text column as its words joined by spaces: the input of the LSTM family, which
    learns its own vectors for them."""

    def __init__(self, tokenizer: str = "english"):
        self.tokenizer = tokenizer

    def fit(self, X, y=None):
        self.n_features_in_ = 1
        return self

    def transform(self, X):
        texts = column_texts(X)
        if self.tokenizer == CHARS:  # no analyser: each character stands for a word
            words = [" ".join(ch for ch in normalise(t) if not ch.isspace()) for t in texts]
        else:
            words = [joined_words(self.tokenizer, t) for t in texts]
        return np.asarray(words, dtype=object).reshape(-1, 1)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(["words"], dtype=object)


def _fitted_or_none(vectorizer: TfidfVectorizer, texts: list[str]) -> TfidfVectorizer | None:
    """The vectorizer fitted, or None when the texts hold no term at all (every one empty)."""
    try:
        vectorizer.fit(texts)
    except ValueError as error:  # "empty vocabulary; perhaps the documents only contain stop words"
        if "empty vocabulary" not in str(error):
            raise
        return None
    return vectorizer


def _normalised(texts: list[str]) -> list[str]:
    return [normalise(text) for text in texts]
