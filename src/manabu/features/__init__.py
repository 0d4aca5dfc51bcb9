"""Transformers that turn prepared columns into model inputs, one preprocessing per model family."""
from manabu.features.datetime import DatetimeParts
from manabu.features.preprocess import PreprocessKind, build_preprocessor
from manabu.features.text import TextEmbedding

__all__ = ["DatetimeParts", "TextEmbedding", "PreprocessKind", "build_preprocessor"]
