"""Free-text columns become a few dense numbers: character n-gram TF-IDF reduced by SVD.

Character n-grams need no tokenizer, so Japanese (no spaces) and English both work. The
tabular families get these few dense numbers; the text families read words instead
(``manabu.features.text_words``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted


class TextEmbedding(TransformerMixin, BaseEstimator):
    """TF-IDF over character 1–3-grams of one text column, projected to ``n_components`` dims."""

    def __init__(self, max_features: int = 20_000, n_components: int = 16, random_state: int = 0):
        self.max_features = max_features
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X, y=None):
        texts = column_texts(X)
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3),
                                           max_features=self.max_features, sublinear_tf=True,
                                           dtype=np.float64)
        tfidf = self.vectorizer_.fit_transform(texts)
        n_components = max(1, min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        self.svd_ = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        self.svd_.fit(tfidf)
        self.n_features_out_ = n_components
        return self

    def transform(self, X):
        check_is_fitted(self, "svd_")
        return self.svd_.transform(self.vectorizer_.transform(column_texts(X)))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "svd_")
        return np.asarray([f"text_{i}" for i in range(self.n_features_out_)], dtype=object)


def column_texts(X) -> list[str]:
    series = X.iloc[:, 0] if isinstance(X, pd.DataFrame) else pd.Series(np.asarray(X).ravel())
    return [value if isinstance(value, str) else "" for value in series.tolist()]
