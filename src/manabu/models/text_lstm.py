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

import importlib.util
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from manabu.artifact import register_trusted
from manabu.models.entry import DeadlineExceeded

PAD, UNK, SEP = 0, 1, 2        # reserved ids; the vocabulary's own tokens start at FIRST_ID
FIRST_ID = 3
HOLDOUT = 0.1                  # share of the rows kept aside for early stopping
MIN_HOLDOUT_ROWS = 2           # below this the last epoch's weights are kept
PREDICT_BATCH = 256
BUCKET_BATCHES = 20            # training batches drawn from one pool of rows sorted by length
CLIP_NORM = 1.0                # LSTMs' gradients occasionally explode; clipping keeps Adam stable


def torch_available() -> bool:
    """Whether PyTorch is installed (the family is skipped without it)."""
    return importlib.util.find_spec("torch") is not None


# ---------------------------------------------------------------------------------------------
# Text to token ids


def _cells(X) -> np.ndarray:
    """X as a 2-D object array: a DataFrame, an array, or one column given as a 1-D sequence."""
    cells = X.to_numpy(dtype=object) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=object)
    if cells.ndim == 1:
        cells = cells.reshape(-1, 1)
    if cells.ndim != 2:
        raise ValueError(f"expected a 2-D array of texts, got {cells.ndim} dimensions")
    return cells


def _cell_tokens(cell: Any, budget: int) -> list[str]:
    """At most ``budget`` tokens from the start of one cell; None and NaN are empty.

    ``maxsplit`` stops splitting after the budget, so a megabyte of text costs no more than a
    short one (the unsplit rest comes back as one last piece, dropped here).
    """
    if budget <= 0 or _missing(cell):
        return []
    tokens = str(cell).split(None, budget)
    return tokens[:budget]


def _missing(cell: Any) -> bool:
    return cell is None or (not isinstance(cell, str) and pd.api.types.is_scalar(cell) and bool(pd.isna(cell)))


def _documents(cells: np.ndarray, max_length: int) -> list[list[str | None]]:
    """Each row's tokens, its columns joined by ``None`` (the separator), at most
    ``max_length`` items from the start."""
    documents = []
    for row in cells:
        document: list[str | None] = []
        for column, cell in enumerate(row):
            if column and len(document) < max_length:
                document.append(None)
            document.extend(_cell_tokens(cell, max_length - len(document)))
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


def _batch(encoded: list[np.ndarray], rows: np.ndarray):
    """Token ids padded to the longest row of the batch, and each row's length.

    An empty document is given one padding token, whose embedding is zero: the network then
    sees "nothing", the same whatever else is in the batch.
    """
    import torch

    lengths = np.array([max(1, len(encoded[row])) for row in rows], dtype=np.int64)
    ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, :len(encoded[row])] = encoded[row]
    return torch.from_numpy(ids), torch.from_numpy(lengths)


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


@contextmanager
def _torch_settings(n_threads: int, seed: int | None = None) -> Iterator[None]:
    """``n_threads`` for torch and, with ``seed``, a seeded random state, both restored after:
    a model's training leaves the process's torch settings as it found them."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_threads)))
    try:
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(previous)


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded("the LSTM's training ran past its deadline")


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

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        return None

    # -- fitting

    def fit(self, X, y, deadline: float | None = None):
        """Train on the texts ``X``; ``deadline`` (a ``time.monotonic()`` value) raises
        ``DeadlineExceeded`` when it passes between two batches."""
        import torch

        _check_deadline(deadline)
        self.__dict__.pop("weights_", None)  # a fit that fails leaves no stale model behind
        self._network = None
        cells = _cells(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(cells):
            raise ValueError(f"y must be 1-D with one value per row of X ({len(cells)}), got shape {y.shape}")
        targets = self._targets(y)
        self.n_features_in_ = cells.shape[1]
        documents = _documents(cells, int(self.max_length))
        self.vocabulary_ = _build_vocabulary(documents, int(self.min_count), int(self.max_vocabulary))
        encoded = _encode(documents, self.vocabulary_)
        rng = np.random.default_rng(self.random_state)
        train, valid = self._holdout(targets)
        with _torch_settings(self.n_threads, seed=self.random_state):
            network = _network_class()(FIRST_ID + len(self.vocabulary_), self.embed_dim, self.hidden_size,
                                       bool(self.bidirectional), self.num_layers, self.dropout, self._n_outputs())
            target_tensor = torch.from_numpy(targets)
            best = self._train(network, encoded, target_tensor, train, valid, rng, deadline)
        self.weights_ = {name: tensor.detach().cpu().numpy().astype(np.float32, copy=True)
                         for name, tensor in best.items()}
        self._network = None
        return self

    def _holdout(self, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(training rows, validation rows): a seeded tenth held out, stratified by class when
        every class has two rows or more; none held out on tiny data."""
        rows = np.arange(len(targets))
        n_valid = int(round(len(rows) * HOLDOUT))
        if n_valid < MIN_HOLDOUT_ROWS:
            return rows, rows[:0]
        stratify = self._stratify(targets)
        try:
            train, valid = train_test_split(rows, test_size=n_valid, random_state=self.random_state,
                                            stratify=stratify)
        except ValueError:  # a class too small to be split, or more classes than held-out rows
            train, valid = train_test_split(rows, test_size=n_valid, random_state=self.random_state)
        return np.sort(train), np.sort(valid)

    def _train(self, network, encoded, targets, train, valid, rng, deadline) -> dict[str, Any]:
        """Adam over shuffled batches, with early stopping on the validation loss; returns the
        best epoch's weights (the last epoch's when nothing is held out)."""
        import torch

        optimiser = torch.optim.Adam(network.parameters(), lr=self.learning_rate)
        loss_function = self._loss()
        best_loss, best_state, waited = math.inf, None, 0
        self.n_epochs_, self.best_epoch_ = 0, 0
        for epoch in range(1, int(self.max_epochs) + 1):
            network.train()
            for rows in _training_batches(encoded, train, int(self.batch_size), rng):
                _check_deadline(deadline)
                ids, lengths = _batch(encoded, rows)
                optimiser.zero_grad()
                loss = loss_function(network(ids, lengths), targets[torch.from_numpy(rows)])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(network.parameters(), CLIP_NORM)
                optimiser.step()
            self.n_epochs_ = epoch
            if len(valid) == 0:
                continue
            _check_deadline(deadline)
            valid_loss = _mean_loss(network, encoded, targets, valid, loss_function)
            if valid_loss < best_loss:
                best_loss, best_state, waited, self.best_epoch_ = valid_loss, _copy_state(network), 0, epoch
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if best_state is None:
            self.best_epoch_ = self.n_epochs_
            best_state = _copy_state(network)
        return best_state

    # -- predicting

    def _outputs(self, X) -> np.ndarray:
        """The network's raw outputs (class scores, or the standardised target), float64."""
        import torch

        check_is_fitted(self, "weights_")
        cells = _cells(X)
        if cells.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {cells.shape[1]} columns; the model was fitted on {self.n_features_in_}")
        encoded = _encode(_documents(cells, int(self.max_length)), self.vocabulary_)
        # shortest first: a batch then runs as many LSTM steps as its own rows need
        order = np.argsort([len(document) for document in encoded], kind="stable")
        outputs = np.empty((len(encoded), self._n_outputs()), dtype=np.float64)
        with _torch_settings(self.n_threads):
            network = self._module()
            with torch.inference_mode():
                for start in range(0, len(order), PREDICT_BATCH):
                    rows = order[start:start + PREDICT_BATCH]
                    outputs[rows] = network(*_batch(encoded, rows)).double().numpy()
        return outputs

    def _module(self):
        """The torch module, built from ``weights_`` on first use after fitting or loading."""
        import torch

        if getattr(self, "_network", None) is None:
            embedding = self.weights_["embedding.weight"]
            network = _network_class()(embedding.shape[0], embedding.shape[1], self.hidden_size,
                                       bool(self.bidirectional), self.num_layers, self.dropout,
                                       self.weights_["output.weight"].shape[0])
            network.load_state_dict({name: torch.from_numpy(np.array(array, dtype=np.float32))
                                     for name, array in self.weights_.items()})
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


def _training_batches(encoded: list[np.ndarray], rows: np.ndarray, batch_size: int,
                      rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of rows of similar length: rows are shuffled, sorted by length within
    pools of ``BUCKET_BATCHES`` batches, cut into batches, and the batches shuffled (less
    padding, so fewer LSTM steps, with batches still random)."""
    shuffled = rng.permutation(rows)
    pool = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, len(shuffled), pool):
        chunk = shuffled[start:start + pool]
        chunk = chunk[np.argsort([len(encoded[row]) for row in chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _mean_loss(network, encoded, targets, rows: np.ndarray, loss_function) -> float:
    import torch

    network.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(rows), PREDICT_BATCH):
            batch = rows[start:start + PREDICT_BATCH]
            outputs = network(*_batch(encoded, batch))
            total += float(loss_function(outputs, targets[torch.from_numpy(batch)])) * len(batch)
    return total / len(rows)


def _copy_state(network) -> dict[str, Any]:
    return {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}


class LSTMTextClassifier(ClassifierMixin, _LSTMText):
    """Binary or multiclass classification of texts; cross-entropy over ``classes_``."""

    def _targets(self, y) -> np.ndarray:
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("the classifier needs at least two classes in y")
        return codes.astype(np.int64)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss(self):
        from torch import nn
        return nn.CrossEntropyLoss()

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        return targets

    def predict_proba(self, X) -> np.ndarray:
        scores = self._outputs(X)
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self._outputs(X), axis=1)]


class LSTMTextRegressor(RegressorMixin, _LSTMText):
    """Regression on texts; the target is standardised for training (mean squared error) and
    turned back at prediction, so the output layer's usual scale fits any target's."""

    def _targets(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y holds NaN or infinite values")
        self.target_mean_ = float(y.mean())
        std = float(y.std())
        self.target_std_ = std if std > 0 else 1.0
        return ((y - self.target_mean_) / self.target_std_).astype(np.float32).reshape(-1, 1)

    def _n_outputs(self) -> int:
        return 1

    def _loss(self):
        from torch import nn
        return nn.MSELoss()

    def predict(self, X) -> np.ndarray:
        return self._outputs(X)[:, 0] * self.target_std_ + self.target_mean_


register_trusted("manabu.models.text_lstm.LSTMTextClassifier", "manabu.models.text_lstm.LSTMTextRegressor")
