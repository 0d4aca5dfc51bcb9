"""``TextEmbedding`` for a few texts: TF-IDF of character n-grams times the SVD components,
with scikit-learn's arithmetic in scikit-learn's order, so the numbers are the same to the
last bit (the n-grams by vocabulary index, every sum taken left to right).

``Tfidf`` is one fitted ``TfidfVectorizer`` a text at a time; ``text_words`` uses it too."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from manabu.features.text import TextEmbedding
from manabu.inference.errors import Unsupported

Values = dict[str, np.ndarray]


class Tfidf:
    """A fitted ``TfidfVectorizer``'s row of one text, as its non-zero entries: the vocabulary
    indices in increasing order and their l2-normalised tf-idf weights, computed as
    scikit-learn computes them (counts, sublinear tf with numpy's log, times idf, then the l2
    norm as a running sum in index order).

    Character n-grams within word boundaries depend on the word alone, so each word's n-gram
    indices are remembered (up to ``WORDS`` words): the same words come back text after text.
    """

    WORDS = 50_000

    def __init__(self, vectorizer: Any) -> None:
        if (vectorizer.binary or vectorizer.norm != "l2" or not vectorizer.use_idf
                or np.dtype(vectorizer.dtype) != np.float64):
            raise Unsupported("text vectorizer settings")
        self.vocabulary = dict(vectorizer.vocabulary_)
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64).tolist()
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.analyse = vectorizer.build_analyzer()
        word_grams = getattr(vectorizer, "_char_wb_ngrams", None)
        plain = vectorizer.analyzer == "char_wb" and vectorizer.preprocessor is None and word_grams is not None
        self.preprocess = vectorizer.build_preprocessor() if plain else None
        self.word_grams = word_grams
        self.words: dict[str, list[int]] = {}
        counts = np.arange(1, 257, dtype=np.float64)  # tf weights as numpy computes them
        self.tf = (np.log(counts) + 1.0 if self.sublinear else counts).tolist()
        # the vectorizer's settings stand for the analysers bound to it; a function among
        # them (a custom tokenizer, say) is alike only to itself
        self.settings = repr(sorted((k, id(v) if callable(v) and not isinstance(v, type) else v)
                                    for k, v in vectorizer.get_params().items()))

    def read_state(self) -> dict[str, Any]:
        """What the weights depend on (not the word cache)."""
        return {"vocabulary": self.vocabulary, "idf": self.idf, "settings": self.settings}

    def weights(self, text: str) -> tuple[list[int], list[float]]:
        """(indices in increasing order, their weights); both empty when no n-gram is known."""
        counts = Counter(self._indices(text))
        if not counts:
            return [], []
        index = sorted(counts)
        weights = [self._tf(counts[i]) * self.idf[i] for i in index]
        total = 0.0
        for w in weights:  # scikit-learn's l2 norm: a plain running sum
            total += w * w
        if total != 0.0:
            norm = math.sqrt(total)
            weights = [w / norm for w in weights]
        return index, weights

    def _indices(self, text: str) -> list[int]:
        """Vocabulary indices of the text's n-grams (the ones outside it dropped)."""
        vocabulary = self.vocabulary
        if self.preprocess is None:
            return [i for i in map(vocabulary.get, self.analyse(text)) if i is not None]
        out: list[int] = []
        for word in self.preprocess(text).split():
            found = self.words.get(word)
            if found is None:
                found = [i for i in map(vocabulary.get, self.word_grams(word)) if i is not None]
                if len(self.words) < self.WORDS:
                    self.words[word] = found
            out += found
        return out

    def _tf(self, count: int) -> float:
        if count <= len(self.tf):
            return self.tf[count - 1]
        return float(np.log(np.array([count], dtype=np.float64))[0] + 1.0) if self.sublinear else float(count)


class TextVectors:
    """One text column's embedding, a text at a time."""

    def __init__(self, column: str, vectorizer: Any, components: np.ndarray) -> None:
        self.column = column
        self.tfidf = Tfidf(vectorizer)
        self.vocabulary = self.tfidf.vocabulary
        self.components = components  # (n-grams, components)
        self.width = components.shape[1]

    def read_state(self) -> dict[str, Any]:
        """What the output depends on (not the word cache)."""
        return {"column": self.column, **self.tfidf.read_state(), "components": self.components}

    @classmethod
    def of(cls, fitted: TextEmbedding, cols: list[str]) -> "TextVectors":
        if len(cols) != 1:
            raise Unsupported("text vectorizer settings")
        components = np.ascontiguousarray(fitted.svd_.components_.T, dtype=np.float64)
        return cls(cols[0], fitted.vectorizer_, components)

    def transform(self, values: Values, n_rows: int) -> np.ndarray:
        out = np.zeros((n_rows, self.width))
        for i, text in enumerate(values[self.column].tolist()):
            out[i] = self._one(text if isinstance(text, str) else "")
        return out

    def _one(self, text: str) -> np.ndarray:
        index, weights = self.tfidf.weights(text)
        if not index:
            return np.zeros(self.width)
        terms = self.components[index]
        terms *= np.array(weights)[:, None]
        return np.add.accumulate(terms, axis=0)[-1]  # scipy's sparse product sums in this order
