"""What the PyTorch text estimators (``text_lstm``, ``text_transformer``) share: reading the text
cells and the targets, the seeded hold-out, torch's threads and random state, the training loop
with early stopping, batched prediction, and weights as numpy arrays for a plain saved state.

torch is imported inside the functions that use it: importing this module needs no torch.
"""
from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from manabu.models.entry import DeadlineExceeded

HOLDOUT = 0.1    # share of the rows kept aside for early stopping
CLIP_NORM = 1.0  # gradients are clipped to this norm (LSTMs' occasionally explode)


def torch_available() -> bool:
    """Whether PyTorch is installed, found without importing it."""
    return importlib.util.find_spec("torch") is not None


# ---------------------------------------------------------------------------------------------
# Reading X and y


def text_cells(X: Any, n_columns: int | None = None) -> np.ndarray:
    """X as a 2-D object array: a DataFrame, an array, or one column given as a 1-D sequence;
    with ``n_columns`` (the fitted model's), a different number of columns is refused."""
    cells = X.to_numpy(dtype=object) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=object)
    if cells.ndim == 1:
        cells = cells.reshape(-1, 1)
    if cells.ndim != 2:
        raise ValueError(f"X must be 2-D (rows, text columns), not of shape {cells.shape}")
    if n_columns is not None and cells.shape[1] != n_columns:
        raise ValueError(f"X has {cells.shape[1]} columns; the model was fitted on {n_columns}")
    return cells


def cell_text(cell: Any) -> str:
    """One cell as text: None, NaN, NaT and pd.NA are the empty string."""
    if isinstance(cell, str):
        return cell
    if cell is None or (pd.api.types.is_scalar(cell) and bool(pd.isna(cell))):
        return ""
    return str(cell)


def check_targets(y: Any, n_rows: int) -> np.ndarray:
    """y as a 1-D array with one value per row of X (and at least one row)."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n_rows:
        raise ValueError(f"y must be 1-D with one value per row of X ({n_rows}), got shape {y.shape}")
    if n_rows == 0:
        raise ValueError("cannot fit on zero rows")
    return y


def encode_classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(classes, each row's class code as int64); at least two classes are needed.

    numpy scalars in the classes (np.str_ in an object array, say) become Python values: the
    saved model then names only builtin types."""
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("a classifier needs at least two classes in y")
    return np.array([_plain(label) for label in classes], dtype=classes.dtype), codes.astype(np.int64)


def standardise(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(the standardised target as float32, its mean, its standard deviation or 1 when it is
    constant): a network's output layer then fits any target's scale."""
    y = np.asarray(y, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError("y holds NaN or infinite values")
    mean = float(y.mean())
    std = float(y.std()) or 1.0
    return ((y - mean) / std).astype(np.float32), mean, std


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (datetimes excepted); anything else as is."""
    return value.item() if isinstance(value, np.generic) and not isinstance(value, np.datetime64) else value


def holdout(targets: np.ndarray, stratify: bool, random_state: Any,
            min_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows), each sorted: a seeded tenth held out, stratified by the
    class codes ``targets`` when ``stratify`` and every class can be split (two rows or more,
    and no more classes than rows on either side); nothing held out below ``min_rows`` rows."""
    rows = np.arange(len(targets))
    if len(rows) < min_rows:
        return rows, rows[:0]
    n_valid = max(1, round(HOLDOUT * len(rows)))
    if stratify:
        counts = np.bincount(targets)
        stratify = counts.min() >= 2 and min(n_valid, len(rows) - n_valid) >= len(counts)
    train, valid = train_test_split(rows, test_size=n_valid, random_state=random_state,
                                    stratify=targets if stratify else None)
    return np.sort(train), np.sort(valid)


# ---------------------------------------------------------------------------------------------
# torch settings and the deadline


@contextmanager
def torch_settings(n_threads: int, seed: int | None = None) -> Iterator[None]:
    """``n_threads`` for torch and a forked random state (seeded with ``seed``), both restored
    after: a model's training, or the weights' random initialisation when a loaded model is
    rebuilt, leaves the process's torch settings as it found them."""
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


def check_deadline(deadline: float | None) -> None:
    """Raises ``DeadlineExceeded`` once ``time.monotonic()`` reaches ``deadline``."""
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded("the training ran past its deadline")


# ---------------------------------------------------------------------------------------------
# Training and predicting


def batches(rows: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def train_with_early_stopping(module, optimiser, loss_of: Callable[[np.ndarray], Any],
                              epoch_batches: Callable[[], Any], valid: np.ndarray, valid_batch_size: int,
                              max_epochs: int, patience: int, deadline: float | None,
                              schedule=None) -> tuple[int, int, dict[str, Any] | None]:
    """Up to ``max_epochs`` epochs over ``epoch_batches()`` (each a batch of rows, for which
    ``loss_of`` gives the loss), with clipped gradients, stopped after ``patience`` epochs
    without a lower validation loss on the rows ``valid``; ``deadline`` is checked before every
    batch.

    Returns (best epoch, epochs run, the best epoch's weights): with nothing held out, or no
    finite validation loss, the last epoch is the best and the weights are None (the module's
    own are the ones to keep).
    """
    import torch

    best_loss, best_epoch, best_state, waited, n_epochs = math.inf, 0, None, 0, 0
    for n_epochs in range(1, max_epochs + 1):
        module.train()
        for batch in epoch_batches():
            check_deadline(deadline)
            optimiser.zero_grad()
            loss_of(batch).backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), CLIP_NORM)
            optimiser.step()
            if schedule is not None:
                schedule.step()
        if len(valid) == 0:
            continue
        loss = _mean_loss(module, loss_of, valid, valid_batch_size, deadline)
        if loss < best_loss:
            best_loss, best_epoch, waited = loss, n_epochs, 0
            best_state = {name: value.detach().clone() for name, value in module.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is None:
        best_epoch = n_epochs
    return best_epoch, n_epochs, best_state


def _mean_loss(module, loss_of, rows: np.ndarray, batch_size: int, deadline: float | None) -> float:
    import torch

    module.eval()
    total = 0.0
    with torch.inference_mode():
        for batch in batches(rows, batch_size):
            check_deadline(deadline)
            total += float(loss_of(batch)) * len(batch)
    return total / len(rows)


def outputs_by_length(lengths: Any, batch_size: int, n_outputs: int,
                      forward: Callable[[np.ndarray], Any]) -> np.ndarray:
    """``forward(rows)`` over all rows in batches, shortest rows first (a batch then pads, and
    runs, only as long as its own rows need), as float64 in the rows' order."""
    import torch

    outputs = np.empty((len(lengths), n_outputs), dtype=np.float64)
    with torch.inference_mode():
        for rows in batches(np.argsort(lengths, kind="stable"), batch_size):
            outputs[rows] = forward(rows).double().numpy()
    return outputs


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# Weights as plain numpy arrays


def numpy_weights(state: dict[str, Any]) -> dict[str, np.ndarray]:
    """A torch state dict as numpy arrays, floating-point ones as float32 (no copy where the
    tensor already is: the arrays then share its memory)."""
    weights = {}
    for name, tensor in state.items():
        tensor = tensor.detach().cpu()
        weights[name] = (tensor.float() if tensor.is_floating_point() else tensor).numpy()
    return weights


def torch_weights(weights: dict[str, np.ndarray]) -> dict[str, Any]:
    """numpy arrays as tensors for ``load_state_dict``, copied only where ``torch.from_numpy``
    needs it (an array not contiguous, or read-only)."""
    import torch

    return {name: torch.from_numpy(np.require(value, requirements=["C", "W"])) for name, value in weights.items()}


class ClassificationHead:
    """What a network family's classifier adds to its ``outputs(X)`` (raw scores per class):
    the targets as class codes, cross-entropy with accuracy as the early-stopping score, and
    probabilities by softmax. Shared by the image and molecule networks."""

    def _targets(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        self.classes_, codes = encode_classes(y)
        return codes, len(self.classes_)

    def _loss_and_score(self):
        import torch

        def accuracy(outputs, targets):
            return (outputs.argmax(dim=1) == targets).float().mean()

        return torch.nn.CrossEntropyLoss(), accuracy

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.outputs(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class RegressionHead:
    """What a network family's regressor adds to its ``outputs(X)``: a standardised target, the
    mean squared error (its negative as the early-stopping score), and the value scaled back."""

    def _targets(self, y: np.ndarray) -> tuple[np.ndarray, int]:
        values, self.target_mean_, self.target_std_ = standardise(y)
        return values.reshape(-1, 1), 1

    def _loss_and_score(self):
        import torch

        def negative_mse(outputs, targets):
            return -torch.mean((outputs - targets) ** 2)

        return torch.nn.MSELoss(), negative_mse

    def predict(self, X) -> np.ndarray:
        return self.outputs(X)[:, 0] * self.target_std_ + self.target_mean_
