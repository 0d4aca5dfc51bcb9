"""Free text as the average of its words' vectors, from word vectors that a package ships: the
300-dimensional vectors (20,000 words) of GiNZA's Japanese model package ``ja_ginza``
(``pip install "manabu[vectors]"``), read with spaCy, nothing downloaded.

Vectors carry what TF-IDF cannot: 快適 and 心地よい are near each other although they share no
character, which helps most when the training texts are few.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from importlib import resources

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from manabu.base.errors import ConfigError
from manabu.features.text import column_texts
from manabu.features.tokenize import CHARS, joined_words

PACKAGE = "ja_ginza"


def vectors_available() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None and importlib.util.find_spec("spacy") is not None


@lru_cache(maxsize=1)
def _vocabulary():
    """spaCy's Vocab of the package's vectors alone (not the parser), loaded once per process."""
    if not vectors_available():
        raise ConfigError("models.extra_missing", model="text_vectors", extra="vectors")
    from spacy.vocab import Vocab
    folder = next(p for p in resources.files(PACKAGE).iterdir() if p.name.startswith(f"{PACKAGE}-"))
    return Vocab().from_disk(str(folder / "vocab"))


class WordVectors(TransformerMixin, BaseEstimator):
    """The mean vector of a text's known words (the words of ``tokenizer``, as features count
    them), scaled to unit length; texts with no known word get zeros."""

    def __init__(self, tokenizer: str = "sudachi"):
        self.tokenizer = tokenizer

    def fit(self, X, y=None):
        vocabulary = _vocabulary()
        self.width_ = int(vocabulary.vectors.shape[1])
        self.package_ = PACKAGE
        return self

    def transform(self, X):
        check_is_fitted(self, "width_")
        vocabulary = _vocabulary()
        texts = column_texts(X)
        out = np.zeros((len(texts), self.width_))
        rows: dict[str, int] = {}
        for i, text in enumerate(texts):
            if self.tokenizer == CHARS or not text:
                continue
            found = []
            for word in joined_words(self.tokenizer, text).split():
                row = rows.get(word)
                if row is None:
                    row = rows[word] = int(vocabulary.vectors.find(key=word))
                if row >= 0:
                    found.append(row)
            if found:
                mean = np.asarray(vocabulary.vectors.data[found], dtype=np.float64).mean(axis=0)
                norm = np.linalg.norm(mean)
                out[i] = mean / norm if norm > 0 else mean
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "width_")
        return np.asarray([f"vector_{i}" for i in range(self.width_)], dtype=object)
