"""Free-text columns become a few dense numbers: character n-gram TF-IDF reduced by SVD.

Character n-grams need no tokenizer, so Japanese (no spaces) and English both work. The
tabular families get these few dense numbers; the text families read words instead
(``manabu.features.text_words``).
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from manabu.features.shared_fits import fit_shared, transform_shared


class CompactVocabularies:
    """Keeps the vocabulary of each fitted vectorizer named in ``VECTORIZERS`` as one JSON list of
    its terms in index order when saved (``__getstate__``, which skops and pickle use), and
    rebuilds the dict on load.

    As a dict, skops writes a node per term and each numpy index as an array file of its own:
    the 43,000 terms of a Japanese text model made a 9 MB file with 43,000 entries, which took
    seconds to check and load; as one string it is a single JSON value. Folders saved before
    hold the dict itself and load as they did."""

    VECTORIZERS: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for name in self.VECTORIZERS:
            terms = _terms_in_order(state.get(name))
            if terms is not None:
                vectorizer = state[name]
                bare = object.__new__(type(vectorizer))  # the vectorizer less its vocabulary
                bare.__dict__.update({k: v for k, v in vectorizer.__dict__.items() if k != "vocabulary_"})
                state = {**state, name: bare, name + _TERMS: json.dumps(terms, ensure_ascii=False)}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in self.VECTORIZERS:
            terms = state.pop(name + _TERMS, None)
            if terms is not None and state.get(name) is not None:
                state[name].vocabulary_ = {term: index for index, term in enumerate(json.loads(terms))}
        super().__setstate__(state)


_TERMS = "vocabulary_terms"  # the state's key beside a vectorizer's: word_ + vocabulary_terms


def _terms_in_order(vectorizer: Any) -> list[str] | None:
    """The terms of a fitted vectorizer by index, or None unless its indices are 0..n-1 (as
    fitting makes them): a vocabulary given by hand stays a dict."""
    vocabulary = getattr(vectorizer, "vocabulary_", None)
    if not isinstance(vocabulary, dict) or not all(isinstance(term, str) for term in vocabulary):
        return None
    terms: list[str | None] = [None] * len(vocabulary)
    for term, index in vocabulary.items():
        if not 0 <= int(index) < len(terms) or terms[int(index)] is not None:
            return None
        terms[int(index)] = term
    return terms  # type: ignore[return-value]  # every slot filled: n distinct indices below n


class TextEmbedding(CompactVocabularies, TransformerMixin, BaseEstimator):
    """TF-IDF over character 1–3-grams of one text column, projected to ``n_components`` dims."""

    VECTORIZERS = ("vectorizer_",)

    def __init__(self, max_features: int = 20_000, n_components: int = 16, random_state: int = 0):
        self.max_features = max_features
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X, y=None):
        texts = column_texts(X)
        fit_shared(self, texts, lambda: self._fit(texts))
        return self

    def _fit(self, texts: list[str]) -> None:
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3),
                                           max_features=self.max_features, sublinear_tf=True,
                                           dtype=np.float64)
        tfidf = self.vectorizer_.fit_transform(texts)
        n_components = max(1, min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        self.svd_ = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        self.svd_.fit(tfidf)
        self.n_features_out_ = n_components

    def transform(self, X):
        check_is_fitted(self, "svd_")
        texts = column_texts(X)
        return transform_shared(self.svd_, texts, lambda: self.svd_.transform(self.vectorizer_.transform(texts)))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "svd_")
        return np.asarray([f"text_{i}" for i in range(self.n_features_out_)], dtype=object)


def column_texts(X) -> list[str]:
    series = X.iloc[:, 0] if isinstance(X, pd.DataFrame) else pd.Series(np.asarray(X).ravel())
    return [value if isinstance(value, str) else "" for value in series.tolist()]
