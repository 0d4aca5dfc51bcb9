"""``TextTfidf`` for a few texts: the word TF-IDF of the text's words (``joined_words``) beside
the character TF-IDF of the normalised text, each part l2-normalised on its own as its
vectorizer does, written into dense rows. The weights are scikit-learn's to the last bit
(``text.Tfidf``); the dense row differs from the sparse matrix only in holding its zeros.

The rows are as wide as both vocabularies (up to 400,000 columns), so a call whose rows would
take more than ``MAX_FLOATS`` numbers is not covered: the pipeline answers it, sparse.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.features.text_words import TextTfidf
from manabu.features.tokenize import joined_words, normalise
from manabu.inference.errors import NotCovered, Unsupported
from manabu.inference.text import Tfidf

Values = dict[str, np.ndarray]

MAX_FLOATS = 20_000_000  # 160 MB of float64: rows x width above this go to the pipeline
SAMPLE_TERMS = 2_000     # terms of each part that verification draws its texts from


class TextWords:
    """One text column's word and character TF-IDF, as dense rows of ``width`` columns."""

    def __init__(self, column: str, tokenizer: str, word: Tfidf | None, char: Tfidf | None, width: int) -> None:
        self.column = column
        self.tokenizer = tokenizer
        self.word = word
        self.char = char
        self.width = width  # both vocabularies side by side, or 1 (a column of zeros) when neither
        self.char_offset = len(word.vocabulary) if word is not None else 0

    def sample_terms(self, most: int = SAMPLE_TERMS) -> list[str]:
        """Terms the parts know, for verification rows (up to ``most`` of each part, spread over
        the vocabulary): words with a space after each, so that terms drawn together read as
        words, and character n-grams."""
        out: list[str] = []
        for part, end in ((self.word, " "), (self.char, "")):
            if part is not None:
                terms = list(part.vocabulary)
                out += [term + end for term in terms[::max(1, len(terms) // most)][:most]]
        return out

    def read_state(self) -> dict[str, Any]:
        """What the output depends on (not the parts' word caches)."""
        return {"column": self.column, "tokenizer": self.tokenizer, "width": self.width,
                "word": self.word.read_state() if self.word is not None else None,
                "char": self.char.read_state() if self.char is not None else None}

    @classmethod
    def of(cls, fitted: TextTfidf, cols: list[str]) -> "TextWords":
        if len(cols) != 1 or not hasattr(fitted, "n_features_out_"):
            raise Unsupported("text TF-IDF of several columns, or not fitted")
        word = Tfidf(fitted.word_) if fitted.word_ is not None else None
        char = Tfidf(fitted.char_) if fitted.char_ is not None else None
        width = sum(len(part.vocabulary) for part in (word, char) if part is not None) or 1
        if width != fitted.n_features_out_:
            raise Unsupported("text TF-IDF width differs from its vocabularies")
        return cls(cols[0], fitted.tokenizer, word, char, width)

    def transform(self, values: Values, n_rows: int) -> np.ndarray:
        if n_rows * self.width > MAX_FLOATS:
            raise NotCovered(f"{n_rows} rows of {self.width} text columns, too many to hold dense")
        out = np.zeros((n_rows, self.width))
        for i, text in enumerate(values[self.column].tolist()):
            text = text if isinstance(text, str) else ""  # as column_texts reads a missing text
            if self.word is not None:
                self._write(out[i], 0, self.word, joined_words(self.tokenizer, text))
            if self.char is not None:
                self._write(out[i], self.char_offset, self.char, normalise(text))
        return out

    @staticmethod
    def _write(row: np.ndarray, offset: int, part: Tfidf, text: str) -> None:
        index, weights = part.weights(text)
        if index:
            row[np.asarray(index, dtype=np.intp) + offset] = weights
