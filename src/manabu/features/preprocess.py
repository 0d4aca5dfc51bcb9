"""Preprocessing per model family, built from the Schema.

Two kinds cover the tabular zoo. Tree ensembles split on raw values, keep NaN and take categories
as ordinal codes (native categoricals for the boosting libraries). Linear models, kNN and SVM need
complete, comparable numbers: imputation, one-hot or target encoding, and scaling. Both read a
free-text column as a few dense numbers.

The text families read text as words: sparse word and character TF-IDF beside the linear kind's
columns (non-negative for Naive Bayes), the mean word vector beside them, the words alone (LSTM),
or the text as written (a Transformer, which has its own tokenizer). Every kind is a ColumnTransformer, so it is fitted
inside each training fold and never sees validation rows; the image families get their images as
arrays instead (``features.images``).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

from manabu.base.trust import register_trusted
from manabu.data.schema import Column, ColumnType, Schema
from manabu.data.schema.blocks import EXPRESSION_BLOCK
from manabu.features.datetime import DatetimeParts
from manabu.features.expression import (
    COMPONENTS_OPTION, DEFAULT_COMPONENTS, DEFAULT_SCALE, DEFAULT_TOP_GENES, SCALE_OPTION, TOP_GENES_OPTION,
    ExpressionPreparation,
)
from manabu.features.images import image_input
from manabu.features.molecules import (DEFAULT_DESCRIPTORS, DEFAULT_RADIUS, DEFAULT_SIZE, DESCRIPTORS_OPTION,
                                       RADIUS_OPTION, SIZE_OPTION, MoleculeFeatures)
from manabu.features.text import TextEmbedding
from manabu.features.text_words import TextTfidf, TextTokens
from manabu.features.word_vectors import WordVectors
from manabu.features.tokenize import ENGLISH, tokenizer_of


# what a saved preprocessing may contain beyond the artifact's own list
register_trusted("manabu.features.datetime.DatetimeParts", "manabu.features.text.TextEmbedding",
                 "manabu.features.text_words.TextTfidf", "manabu.features.text_words.TextTokens",
                 "manabu.features.word_vectors.WordVectors", "manabu.features.molecules.MoleculeFeatures",
                 "manabu.features.expression.ExpressionPreparation",
                 "sklearn.preprocessing._data.MinMaxScaler",
                 "sklearn.model_selection._split.KFold", "sklearn.model_selection._split.StratifiedKFold",
                 # what a fitted TextEmbedding holds: plain vocabularies, weights and matrices
                 "sklearn.feature_extraction.text.TfidfVectorizer",
                 "sklearn.feature_extraction.text.TfidfTransformer",
                 "sklearn.decomposition._truncated_svd.TruncatedSVD")


class PreprocessKind(StrEnum):
    TREE = "tree"
    LINEAR = "linear"
    TEXT = "text"                # sparse TF-IDF of the text beside the linear kind's columns
    TEXT_COUNTS = "text_counts"  # the same, every column non-negative (Naive Bayes)
    VECTORS = "vectors"          # the mean word vector of the text beside the linear kind's columns
    TOKENS = "tokens"            # the text columns alone, as their words
    RAW_TEXT = "raw_text"        # the text columns alone, as written
    IMAGES = "images"            # the images alone, as arrays (features.images.ImageInput)
    SMILES = "smiles"            # the SMILES columns alone, as written (a graph network builds its own graphs)


_TEXT_ONLY = frozenset({PreprocessKind.TOKENS, PreprocessKind.RAW_TEXT})


@dataclass(frozen=True)
class Preprocessor:
    """The transformer and what the model needs to know about its output."""

    transformer: ColumnTransformer  # or, for images, an ImageInput (arrays of rows x channels x height x width)
    n_categorical: int  # the first n output columns are ordinal category codes (tree kind only)


_NUMERIC = (ColumnType.NUMERIC, ColumnType.BOOLEAN)


# Output density below which a model that takes sparse input gets a sparse matrix (scikit-learn's
# default): one-hot columns are mostly zeros, and a dense copy of them is most of a linear fit's memory
SPARSE_BELOW_DENSITY = 0.3


def build_preprocessor(schema: Schema, kind: PreprocessKind, task: str, seed: int = 0, *,
                       sparse: bool = False, options: dict | None = None) -> Preprocessor:
    """``sparse``: the model takes a sparse matrix, so one-hot columns may stay sparse.
    ``options``: the searched preprocessing settings (a molecule's fingerprint radius and size, the
    genes kept of an expression matrix, ...)."""
    if kind is PreprocessKind.IMAGES:
        return Preprocessor(image_input(schema), 0)
    molecules = schema.of_type(ColumnType.SMILES)
    if kind is PreprocessKind.SMILES:
        return Preprocessor(ColumnTransformer([("smiles", "passthrough", molecules)], remainder="drop"), 0)
    categorical = schema.of_type(ColumnType.CATEGORICAL)
    genes = schema.in_block(EXPRESSION_BLOCK)
    in_genes = set(genes)
    blocks = [] if kind in _TEXT_ONLY else [
        ("cat", _categorical(kind, sparse), categorical),
        ("num", _numeric(kind, task), [name for name in schema.of_type(*_NUMERIC) if name not in in_genes]),
        ("genes", _genes(kind, options or {}, seed), genes),
        ("many", _high_cardinality(kind, task, seed), schema.of_type(ColumnType.HIGH_CARDINALITY)),
        ("date", _datetime(kind), schema.of_type(ColumnType.DATETIME)),
    ]
    blocks += [(f"text{i}", _text(kind, seed, schema.column(name)), [name])
               for i, name in enumerate(schema.of_type(ColumnType.TEXT))]
    blocks += [(f"molecule{i}", _molecules(kind, options or {}), [name]) for i, name in enumerate(molecules)]
    transformer = ColumnTransformer([b for b in blocks if b[2]], remainder="drop",
                                    sparse_threshold=SPARSE_BELOW_DENSITY if sparse else 0.0,
                                    verbose_feature_names_out=True)
    n_categorical = len(categorical) if kind is PreprocessKind.TREE else 0
    return Preprocessor(transformer, n_categorical)


def _categorical(kind: PreprocessKind, sparse: bool):
    if kind is PreprocessKind.TREE:
        # unseen and missing categories both become NaN, which the trees route as missing
        return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                              encoded_missing_value=np.nan, dtype=np.float64)
    return OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5,
                         sparse_output=sparse, dtype=np.float64)


def _scaler(kind: PreprocessKind):
    """Naive Bayes counts features, so its numbers are scaled into [0, 1] (new rows clipped)."""
    return MinMaxScaler(clip=True) if kind is PreprocessKind.TEXT_COUNTS else StandardScaler()


def _numeric(kind: PreprocessKind, task: str):
    if kind is PreprocessKind.TREE:
        return "passthrough"
    # a model learns what a missing value means from its indicator; in clustering distances a
    # rare indicator, once scaled, would set its few rows far apart from all others
    return Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=task != "unsupervised",
                                              keep_empty_features=True)),
                     ("scale", _scaler(kind))])


# categories kept as columns when there is no target to encode many of them by (clustering)
UNSUPERVISED_MAX_CATEGORIES = 32


def _high_cardinality(kind: PreprocessKind, task: str, seed: int):
    if task == "unsupervised":  # the most frequent values as one-hot columns, the rest as one
        return Pipeline([("encode", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                                  max_categories=UNSUPERVISED_MAX_CATEGORIES,
                                                  sparse_output=False)),
                         ("scale", StandardScaler())])
    target_type = {"binary": "binary", "multiclass": "multiclass"}.get(str(task), "continuous")
    # the encoder cross-fits on its own folds so no row sees its own target; seeded folds keep
    # the whole run deterministic
    splitter = KFold if target_type == "continuous" else StratifiedKFold
    encoder = TargetEncoder(target_type=target_type, cv=splitter(5, shuffle=True, random_state=seed))
    if kind is PreprocessKind.TREE:
        return encoder
    return Pipeline([("encode", encoder), ("scale", _scaler(kind))])


def _datetime(kind: PreprocessKind):
    if kind is PreprocessKind.TREE:
        return DatetimeParts()
    return Pipeline([("parts", DatetimeParts()),
                     ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                     ("scale", _scaler(kind))])


def _molecules(kind: PreprocessKind, options: dict):
    described = bool(options.get(DESCRIPTORS_OPTION, DEFAULT_DESCRIPTORS))
    features = MoleculeFeatures(radius=int(options.get(RADIUS_OPTION, DEFAULT_RADIUS)),
                                size=int(options.get(SIZE_OPTION, DEFAULT_SIZE)), descriptors=described, maccs=described)
    if kind is PreprocessKind.TREE:
        return features  # missing values stay missing: the trees route them
    # counts and descriptors of very different sizes, some missing: imputed, then scaled
    return Pipeline([("features", features), ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                     ("scale", _scaler(kind))])


def _genes(kind: PreprocessKind, options: dict, seed: int):
    preparation = ExpressionPreparation(top_genes=int(options.get(TOP_GENES_OPTION, DEFAULT_TOP_GENES)),
                                        scale=bool(options.get(SCALE_OPTION, DEFAULT_SCALE)),
                                        components=int(options.get(COMPONENTS_OPTION, DEFAULT_COMPONENTS)),
                                        random_state=seed)
    if kind is PreprocessKind.TEXT_COUNTS:  # Naive Bayes counts: values into [0, 1]
        return Pipeline([("prepare", preparation), ("scale", _scaler(kind))])
    return preparation


def _text(kind: PreprocessKind, seed: int, column: Column):
    if kind is PreprocessKind.TREE:
        return TextEmbedding(random_state=seed)
    if kind is PreprocessKind.LINEAR:
        return Pipeline([("embed", TextEmbedding(random_state=seed)), ("scale", StandardScaler())])
    if kind is PreprocessKind.RAW_TEXT:
        return "passthrough"
    tokenizer = tokenizer_of(column)
    if kind is PreprocessKind.TOKENS:
        return TextTokens(tokenizer=tokenizer)
    if kind is PreprocessKind.VECTORS:
        return Pipeline([("vectors", WordVectors(tokenizer)), ("scale", StandardScaler())])
    if tokenizer == ENGLISH:  # characters within words: suffixes and misspellings, not spaces
        return TextTfidf(tokenizer, char_ngrams=(2, 4), char_analyzer="char_wb")
    return TextTfidf(tokenizer)
