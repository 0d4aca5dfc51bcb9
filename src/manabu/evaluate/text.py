"""Which words drive a text model: each word's effect is how much the prediction moves when the
word is taken out of the text (occlusion).

This asks the model itself, whatever it is (TF-IDF with a linear model, trees on text
embeddings, an LSTM, a fine-tuned Transformer, an ensemble of them), so the words shown are
the words the saved model reacts to, not those of a stand-in. One document's explanation is
``explain_document`` (``manabu explain``); the report's words per class average the effects
over a sample of training documents (``class_words``).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from manabu.features.tokenize import CHARS, ENGLISH, analyser, normalise

Scores = Callable[[list[str]], np.ndarray]  # texts -> (rows, classes) probabilities, or (rows,) values

MAX_WORDS = 200           # distinct words taken out of one document, the most frequent first
SAMPLE_DOCUMENTS = 300    # documents the report's words per class are averaged over, at most
SAMPLE_CHARACTERS = 3_000_000  # ...and the characters of text predicted for them, at most
DOCUMENT_WORDS = 40      # distinct words taken out of each sampled document
MIN_DOCUMENTS = 3         # a word shown for a class appears in at least this many of them
TOP_WORDS = 12            # words shown per class


@dataclass(frozen=True)
class WordEffect:
    word: str       # its dictionary form as a reader writes it (美味しかっ → 美味しい)
    effect: np.ndarray  # change of each output (class probability, or the value) when the word is in


@dataclass(frozen=True)
class TextExplanation:
    """One document's prediction and the words behind it (``Predictor.explain_text``)."""

    text: str                # as the analyser read it (normalised)
    spans: dict[str, list[tuple[int, int]]]  # where each word stands in it
    outputs: np.ndarray      # each class's probability, or the value
    label: object            # the predicted class (None for a value)
    output: int | None       # its index in outputs
    effects: list[WordEffect]  # largest effect first

    def effect(self, e: WordEffect) -> float:
        """A word's effect on the predicted class's probability (or on the value)."""
        return float(np.ravel(e.effect)[self.output or 0])


def word_spans(text: str, tokenizer: str) -> dict[str, list[tuple[int, int]]]:
    """Each counted word of the (normalised) text, by its dictionary form: every span it covers."""
    if tokenizer == CHARS:
        return {}
    spans: dict[str, list[tuple[int, int]]] = {}
    position = 0
    for token in analyser(tokenizer).tokens(text):
        start = text.find(token.surface, position)
        if start < 0:
            continue
        position = start + len(token.surface)
        if token.kept:
            spans.setdefault(token.base, []).append((start, position))
    return spans


def without(text: str, spans: list[tuple[int, int]], tokenizer: str) -> str:
    """The text with these spans taken out (a space in their place where words are spaced)."""
    filler = " " if tokenizer == ENGLISH else ""
    pieces, last = [], 0
    for start, end in sorted(spans):
        pieces += [text[last:start], filler]
        last = end
    return "".join(pieces) + text[last:]


def _variants(text: str, tokenizer: str, max_words: int
              ) -> tuple[str, dict[str, list[tuple[int, int]]], list[str], list[str]]:
    """The normalised text, its words' spans, its most frequent words, and the text without each."""
    text = normalise(text)
    spans = word_spans(text, tokenizer)
    counts = Counter({word: len(found) for word, found in spans.items()})
    words = [word for word, _ in counts.most_common(max_words)]
    return text, spans, words, [without(text, spans[w], tokenizer) for w in words]


def explain_document(text: str, tokenizer: str, scores: Scores, labels: list | None) -> TextExplanation:
    """The prediction for ``text`` (the most probable of ``labels``; a value when None) and each
    word's effect on it, largest first: the text and its variants are scored in one call."""
    text, spans, words, variants = _variants(text, tokenizer, MAX_WORDS)
    outputs = np.asarray(scores([text] + variants), dtype=float)
    full = outputs[0]
    output = int(np.argmax(full)) if labels is not None else 0
    effects = sorted((WordEffect(w, full - outputs[i + 1]) for i, w in enumerate(words)),
                     key=lambda e: -abs(float(np.ravel(e.effect)[output])))
    return TextExplanation(text, spans, full, labels[output] if labels is not None else None,
                           output if labels is not None else None, effects)


RowScores = Callable[[list[int], list[str]], np.ndarray]  # (rows, their texts) -> outputs


def class_words(texts: list, tokenizer: str, score_rows: RowScores, labels: list[str] | None,
                seed: int = 0) -> dict:
    """For each class (or for the value), the words whose removal moves the prediction most on
    average over the documents that hold them: the words that push towards it, and away.

    ``score_rows(rows, texts)`` scores training rows with their text replaced (their other
    columns as they are), all documents' variants in one call. Documents are sampled
    (SAMPLE_DOCUMENTS, and at most SAMPLE_CHARACTERS of predicted text), and a word counts only
    where MIN_DOCUMENTS documents hold it."""
    rows: list[int] = []
    batch: list[str] = []
    documents: list[tuple[int, list[str]]] = []  # (first row in the batch, words)
    characters = 0
    for i in np.random.default_rng(seed).permutation(len(texts))[:SAMPLE_DOCUMENTS * 4]:
        if not isinstance(texts[i], str) or not texts[i].strip():
            continue
        text, _, words, variants = _variants(texts[i], tokenizer, DOCUMENT_WORDS)
        documents.append((len(batch), words))
        rows += [int(i)] * (len(variants) + 1)
        batch += [text] + variants
        characters += len(text) * (len(variants) + 1)
        if len(documents) >= SAMPLE_DOCUMENTS or characters > SAMPLE_CHARACTERS:
            break
    outputs = np.asarray(score_rows(rows, batch), dtype=float).reshape(len(batch), -1) if batch else None
    totals: dict[str, np.ndarray] = {}
    seen: Counter[str] = Counter()
    for start, words in documents:
        for k, word in enumerate(words):
            totals[word] = totals.get(word, 0.0) + (outputs[start] - outputs[start + k + 1])
            seen[word] += 1
    frequent = [w for w, n in seen.items() if n >= MIN_DOCUMENTS]
    outputs_named = labels if labels else ["value"]
    by_output = defaultdict(dict)
    for k, name in enumerate(outputs_named):
        if labels and len(labels) == 2 and k == 0:
            continue  # two classes: the second's words, and the words away from it, say it all
        mean = {w: float(totals[w][k] / seen[w]) for w in frequent}
        ranked = sorted(mean.items(), key=lambda item: -item[1])
        by_output[str(name)] = {
            "towards": [{"word": w, "effect": round(v, 4), "documents": seen[w]}
                        for w, v in ranked[:TOP_WORDS] if v > 0],
            "away": [{"word": w, "effect": round(v, 4), "documents": seen[w]}
                     for w, v in reversed(ranked[-TOP_WORDS:]) if v < 0],
        }
    return {"documents": len(documents), "classes": dict(by_output)}
