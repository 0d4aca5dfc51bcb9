"""An embedding + (bi)LSTM network over already-tokenised text: the "lstm" family.

TF-IDF features see which words occur; a recurrent network also sees their order ("not good"
versus "good"), which is what free-text columns such as reviews and inquiries often hinge on.

Cells hold tokens separated by whitespace (the tokeniser runs upstream); several columns are
joined with a ``[SEP]`` token. The network is written with PyTorch, imported only when a model is
fitted or used, so that importing this module needs no torch.

A fitted model keeps its weights as numpy arrays and its vocabulary as plain Python values, and
builds the torch module from them on first use: the saved state (skops, through
``manabu.artifact``) holds no torch object, so it loads under manabu's type allowlist.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils.validation import check_is_fitted

from manabu.base.trust import register_trusted
from manabu.models.text_torch import (cell_text, check_deadline, check_targets, encode_classes, holdout,
                                      numpy_weights, outputs_by_length, softmax, standardise, text_cells,
                                      torch_available, torch_settings, torch_weights,
                                      train_with_early_stopping)

__all__ = ["LSTMTextClassifier", "LSTMTextRegressor", "torch_available"]

PAD, UNK, SEP = 0, 1, 2        # reserved ids; the vocabulary's own tokens start at FIRST_ID
FIRST_ID = 3
MIN_HOLDOUT_ROWS = 15          # below this (a held-out tenth under two rows) the last epoch is kept
PREDICT_BATCH = 256
BUCKET_BATCHES = 20            # training batches drawn from one pool of rows sorted by length


# ---------------------------------------------------------------------------------------------
# Text to token ids


def _documents(cells: np.ndarray, max_length: int) -> list[list[str | None]]:
    """Each row's tokens, its columns joined by ``None`` (the separator), at most
    ``max_length`` items from the start."""
    documents = []
    for row in cells:
        document: list[str | None] = []
        for column, cell in enumerate(row):
            if column and len(document) < max_length:
                document.append(None)
            budget = max_length - len(document)
            if budget > 0:
                # maxsplit stops splitting after the budget, so a megabyte of text costs no more
                # than a short one (the unsplit rest comes back as one last piece, dropped here)
                document.extend(cell_text(cell).split(None, budget)[:budget])
        documents.append(document)
    return documents


def _build_vocabulary(documents: list[list[str | None]], min_count: int, max_vocabulary: int) -> dict[str, int]:
    """The tokens seen at least ``min_count`` times, the most frequent first (ties by the token,
    so that the ids do not depend on the order of the rows), numbered from ``FIRST_ID``."""
    counts = Counter(token for document in documents for token in document if token is not None)
    kept = sorted((item for item in counts.items() if item[1] >= min_count), key=lambda item: (-item[1], item[0]))
    return {token: FIRST_ID + i for i, (token, _) in enumerate(kept[:max_vocabulary])}


def _encode(documents: list[list[str | None]], vocabulary: dict[str, int]) -> list[np.ndarray]:
    return [np.fromiter((SEP if token is None else vocabulary.get(token, UNK) for token in document),
                        dtype=np.int64, count=len(document)) for document in documents]


def _lengths(encoded: list[np.ndarray]) -> np.ndarray:
    return np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))


def _batch(encoded: list[np.ndarray], lengths: np.ndarray, rows: np.ndarray):
    """Token ids padded to the longest row of the batch, and each row's length.

    An empty document is given one padding token, whose embedding is zero: the network then
    sees "nothing", the same whatever else is in the batch.
    """
    import torch

    row_lengths = np.maximum(lengths[rows], 1)
    ids = np.zeros((len(rows), int(row_lengths.max())), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, :lengths[row]] = encoded[row]
    return torch.from_numpy(ids), torch.from_numpy(row_lengths)


# ---------------------------------------------------------------------------------------------
# The network


@lru_cache(maxsize=1)
def _network_class():
    """The torch module, defined on first use so that torch is imported only then."""
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class TextLSTM(nn.Module):
        """Embedding, (bi)LSTM over the packed sequences, mean- and max-pooling over the real
        tokens only, dropout, linear."""

        def __init__(self, n_tokens: int, embed_dim: int, hidden_size: int, bidirectional: bool,
                     num_layers: int, dropout: float, n_outputs: int):
            super().__init__()
            self.embedding = nn.Embedding(n_tokens, embed_dim, padding_idx=PAD)
            self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
            width = hidden_size * (2 if bidirectional else 1)
            self.dropout = nn.Dropout(dropout)
            self.output = nn.Linear(2 * width, n_outputs)

        def forward(self, ids, lengths):
            steps = ids.shape[1]
            packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
            outputs, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=steps)
            real = (torch.arange(steps)[None, :] < lengths[:, None]).unsqueeze(-1)
            mean = (outputs * real).sum(dim=1) / lengths[:, None].to(outputs.dtype)
            largest = outputs.masked_fill(~real, float("-inf")).amax(dim=1)
            return self.output(self.dropout(torch.cat([mean, largest], dim=1)))

    return TextLSTM


# ---------------------------------------------------------------------------------------------
# The estimators


class _LSTMText(BaseEstimator):
    """What the classifier and the regressor share: text handling, training, (de)serialisation."""

    def __init__(self, embed_dim: int = 64, hidden_size: int = 64, bidirectional: bool = True,
                 num_layers: int = 1, dropout: float = 0.2, learning_rate: float = 3e-3,
                 batch_size: int = 64, max_epochs: int = 20, patience: int = 3, max_length: int = 256,
                 min_count: int = 2, max_vocabulary: int = 50_000, random_state: int = 0,
                 n_threads: int = 1):
        self.embed_dim = embed_dim
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.num_layers = num_layers
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.max_length = max_length
        self.min_count = min_count
        self.max_vocabulary = max_vocabulary
        self.random_state = random_state
        self.n_threads = n_threads

    # -- to be provided by the subclasses

    def _targets(self, y) -> np.ndarray:
        """y as the network's targets (class codes, or a standardised float); sets the
        fitted attributes that ``_outputs`` and the predictions need."""
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _loss(self):
        raise NotImplementedError

    # -- fitting

    def fit(self, X, y, deadline: float | None = None):
        """Train on the texts ``X``; ``deadline`` (a ``time.monotonic()`` value) raises
        ``DeadlineExceeded`` when it passes between two batches."""
        import torch

        check_deadline(deadline)
        self.__dict__.pop("weights_", None)  # a fit that fails leaves no stale model behind
        self._network = None
        cells = text_cells(X)
        targets = self._targets(check_targets(y, len(cells)))
        self.n_features_in_ = cells.shape[1]
        documents = _documents(cells, int(self.max_length))
        self.vocabulary_ = _build_vocabulary(documents, int(self.min_count), int(self.max_vocabulary))
        encoded = _encode(documents, self.vocabulary_)
        lengths = _lengths(encoded)
        rng = np.random.default_rng(self.random_state)
        train, valid = holdout(targets, is_classifier(self), self.random_state, MIN_HOLDOUT_ROWS)
        with torch_settings(self.n_threads, seed=self.random_state):
            network = _network_class()(FIRST_ID + len(self.vocabulary_), self.embed_dim, self.hidden_size,
                                       bool(self.bidirectional), self.num_layers, self.dropout, self._n_outputs())
            target_tensor = torch.from_numpy(targets)
            loss_function = self._loss()

            def loss_of(rows: np.ndarray):
                return loss_function(network(*_batch(encoded, lengths, rows)), target_tensor[torch.from_numpy(rows)])

            self.best_epoch_, self.n_epochs_, best = train_with_early_stopping(
                network, torch.optim.Adam(network.parameters(), lr=self.learning_rate), loss_of,
                lambda: _training_batches(lengths, train, int(self.batch_size), rng), valid, PREDICT_BATCH,
                int(self.max_epochs), self.patience, deadline)
        self.weights_ = numpy_weights(network.state_dict() if best is None else best)
        return self

    # -- predicting

    def _outputs(self, X) -> np.ndarray:
        """The network's raw outputs (class scores, or the standardised target), float64."""
        check_is_fitted(self, "weights_")
        cells = text_cells(X, self.n_features_in_)
        encoded = _encode(_documents(cells, int(self.max_length)), self.vocabulary_)
        lengths = _lengths(encoded)
        with torch_settings(self.n_threads):  # the lazy build's random initialisation is forked off
            network = self._module()
            return outputs_by_length(lengths, PREDICT_BATCH, self._n_outputs(),
                                     lambda rows: network(*_batch(encoded, lengths, rows)))

    def _module(self):
        """The torch module, built from ``weights_`` on first use after fitting or loading."""
        if getattr(self, "_network", None) is None:
            embedding = self.weights_["embedding.weight"]
            network = _network_class()(embedding.shape[0], embedding.shape[1], self.hidden_size,
                                       bool(self.bidirectional), self.num_layers, self.dropout,
                                       self.weights_["output.weight"].shape[0])
            network.load_state_dict(torch_weights(self.weights_))
            self._network = network.eval()
        return self._network

    # -- serialisation: plain values only, never a torch object

    def __getstate__(self) -> dict[str, Any]:
        """The parameters and fitted values as plain Python and numpy values (no torch module).

        The vocabulary travels as one string of its tokens in id order, newline-separated
        (whitespace never occurs inside a token): as a dict, skops would write two JSON nodes
        per token, 17 MB of schema for 50,000 tokens."""
        state = {name: value for name, value in self.__dict__.items() if name not in ("_network", "vocabulary_")}
        if "vocabulary_" in self.__dict__:
            state["vocabulary_tokens_"] = "\n".join(self.vocabulary_)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        tokens = state.pop("vocabulary_tokens_", None)
        self.__dict__.update(state)
        if tokens is not None:
            self.vocabulary_ = {token: FIRST_ID + i for i, token in enumerate(tokens.split("\n")) if token}
        self._network = None


def _training_batches(lengths: np.ndarray, rows: np.ndarray, batch_size: int,
                      rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of rows of similar length: rows are shuffled, sorted by length within
    pools of ``BUCKET_BATCHES`` batches, cut into batches, and the batches shuffled (less
    padding, so fewer LSTM steps, with batches still random)."""
    shuffled = rng.permutation(rows)
    pool = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, len(shuffled), pool):
        chunk = shuffled[start:start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


class LSTMTextClassifier(ClassifierMixin, _LSTMText):
    """Binary or multiclass classification of texts; cross-entropy over ``classes_``."""

    def _targets(self, y) -> np.ndarray:
        self.classes_, codes = encode_classes(y)
        return codes

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss(self):
        from torch import nn
        return nn.CrossEntropyLoss()

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self._outputs(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self._outputs(X), axis=1)]


class LSTMTextRegressor(RegressorMixin, _LSTMText):
    """Regression on texts; the target is standardised for training (mean squared error) and
    turned back at prediction, so the output layer's usual scale fits any target's."""

    def _targets(self, y) -> np.ndarray:
        scaled, self.target_mean_, self.target_std_ = standardise(y)
        return scaled.reshape(-1, 1)

    def _n_outputs(self) -> int:
        return 1

    def _loss(self):
        from torch import nn
        return nn.MSELoss()

    def predict(self, X) -> np.ndarray:
        return self._outputs(X)[:, 0] * self.target_std_ + self.target_mean_


register_trusted("manabu.models.text_lstm.LSTMTextClassifier", "manabu.models.text_lstm.LSTMTextRegressor")
