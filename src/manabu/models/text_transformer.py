"""Fine-tuning a local Hugging Face Transformer checkpoint on raw text, as a scikit-learn estimator.

The checkpoint is a folder written by ``save_pretrained`` (config.json, weights, tokenizer files)
that the user names with ``--text-model``; nothing is ever downloaded. A fitted estimator carries
everything it needs: its state (``__getstate__``) holds the fine-tuned weights as numpy arrays,
the model's config as JSON and the tokenizer's files as text, so a saved model folder (skops) keeps
working after the checkpoint folder is gone, and holds no torch or transformers type that the
artifact's allowlist would have to trust.

torch and transformers are imported inside the functions that need them: importing this module
costs nothing, and manabu works without them until a transformer is asked for.
"""
from __future__ import annotations

import base64
import contextlib
import math
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils.validation import check_is_fitted

from manabu.base.errors import ConfigError
from manabu.models.text_torch import (batches, cell_text, check_deadline, check_targets, encode_classes, holdout,
                                      numpy_weights, outputs_by_length, softmax, standardise, text_cells,
                                      torch_settings, torch_weights, train_with_early_stopping)

ERROR_KEY = "text_model.unusable"
MIN_ROWS_TO_HOLD_OUT = 10  # below this every row trains, for max_epochs
# Tokenizing a megabyte only to keep the first 128 tokens costs seconds per row, so text is cut
# before tokenizing to this many characters per kept token: far more than any real token covers.
CHARS_PER_TOKEN = 64
_ERROR_CHARS = 500         # the library's error text is cut to this many characters

# One lock for building and predicting: a served model may be called from several threads, and
# the Rust tokenizer and the lazy build must not run twice at once.
_LOCK = threading.RLock()


def transformers_available() -> bool:
    """Whether torch and transformers can be imported (the family is offered only then)."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


class _TransformerText(BaseEstimator):
    """What the classifier and the regressor share: loading, training, predicting and the state."""

    # the fitted attributes that the saved state carries besides the model
    _fitted_attributes: tuple[str, ...] = ("n_features_in_", "best_epoch_", "n_epochs_", "_max_tokens")

    def __init__(self, model_path: str, max_length: int = 128, learning_rate: float = 5e-5,
                 batch_size: int = 16, max_epochs: int = 3, patience: int = 1,
                 weight_decay: float = 0.01, random_state: int = 0, n_threads: int = 1) -> None:
        self.model_path = model_path
        self.max_length = max_length
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        return tags

    # ---- fitting ---------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, deadline: float | None = None):
        """Fine-tune the checkpoint on ``X`` (raw text); ``deadline`` is a ``time.monotonic()``
        value, checked between batches, past which ``DeadlineExceeded`` is raised."""
        texts, n_columns = _texts(X)
        targets = self._encode_targets(check_targets(y, len(texts)))
        folder = check_folder(self.model_path)
        check_deadline(deadline)
        with torch_settings(self.n_threads, seed=int(self.random_state)):
            tokenizer, model = self._load_checkpoint(folder)
            self._max_tokens = _token_limit(int(self.max_length), tokenizer, model.config)
            rows = _encode(tokenizer, texts, self._max_tokens)
            self.best_epoch_, self.n_epochs_ = self._train(model, tokenizer, rows, targets, deadline)
        model.eval()
        self._tokenizer, self._model = tokenizer, model
        self._stored = None
        self.n_features_in_ = n_columns
        return self

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _head(self) -> dict[str, Any]:
        """The arguments that shape the classification head."""
        raise NotImplementedError

    def _loss(self, logits, targets):
        raise NotImplementedError

    def _load_checkpoint(self, folder: str):
        """The user's tokenizer and model, every failure turned into one ``ConfigError``."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = str(self.model_path)
        try:
            with _quiet_transformers():
                tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
                model = AutoModelForSequenceClassification.from_pretrained(
                    folder, local_files_only=True, ignore_mismatched_sizes=True, dtype=torch.float32,
                    **self._head())
        except Exception as error:  # OSError, ValueError, JSON errors, missing tokenizer libraries...
            raise _unusable(path, error) from error
        if tokenizer.pad_token is None:  # GPT-style tokenizers have none; batches need one
            fallback = tokenizer.eos_token or tokenizer.unk_token
            if fallback is None:
                raise _unusable(path, "the tokenizer has no padding, end or unknown token")
            tokenizer.pad_token = fallback
        model.config.pad_token_id = tokenizer.pad_token_id
        return tokenizer, model

    def _train(self, model, tokenizer, rows: list[dict], targets: np.ndarray,
               deadline: float | None) -> tuple[int, int]:
        """AdamW with linear decay; the epoch with the lowest validation loss is kept.

        Returns (best epoch, epochs run), both counted from 1.
        """
        import torch

        train_index, valid_index = holdout(targets, is_classifier(self), int(self.random_state),
                                           MIN_ROWS_TO_HOLD_OUT)
        batch_size = max(1, int(self.batch_size))
        max_epochs = max(1, int(self.max_epochs))
        steps = max_epochs * math.ceil(len(train_index) / batch_size)
        groups: tuple[list, list] = ([], [])  # (decayed, not decayed)
        for name, parameter in model.named_parameters():
            groups[_no_decay(name)].append(parameter)
        optimizer = torch.optim.AdamW([{"params": groups[0], "weight_decay": float(self.weight_decay)},
                                       {"params": groups[1], "weight_decay": 0.0}],
                                      lr=float(self.learning_rate))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))
        target_tensor = torch.as_tensor(targets)
        shuffler = np.random.default_rng(int(self.random_state))

        def loss_of(batch: np.ndarray):
            return self._loss(model(**_collate(tokenizer, [rows[i] for i in batch])).logits, target_tensor[batch])

        best_epoch, n_epochs, best_weights = train_with_early_stopping(
            model, optimizer, loss_of, lambda: batches(shuffler.permutation(train_index), batch_size),
            valid_index, batch_size, max_epochs, max(1, int(self.patience)), deadline, schedule=schedule)
        if best_weights is not None and best_epoch != n_epochs:
            model.load_state_dict(best_weights)
        return best_epoch, n_epochs

    # ---- predicting ------------------------------------------------------------------------

    def _logits(self, X: Any) -> np.ndarray:
        """The model's outputs for ``X``, in float64; rows are batched by length to pad little."""
        check_is_fitted(self, "n_features_in_")
        texts, _ = _texts(X, self.n_features_in_)
        # torch_settings forks the random state off the rebuild's random initialisation; the
        # lock is taken first, as the thread count and the random state are the process's
        with _LOCK, torch_settings(self.n_threads):
            tokenizer, model = self._built()
            rows = _encode(tokenizer, texts, self._max_tokens)
            return outputs_by_length([len(row["input_ids"]) for row in rows], max(1, int(self.batch_size)),
                                     model.config.num_labels,
                                     lambda batch: model(**_collate(tokenizer, [rows[i] for i in batch])).logits)

    def _built(self):
        """The tokenizer and model, rebuilt from the stored state on the first call after loading."""
        if getattr(self, "_model", None) is None:
            self._tokenizer, self._model = _rebuild(self._stored)
            self._stored = None  # the live model now holds the weights; keep one copy
        return self._tokenizer, self._model

    # ---- state: plain types only -----------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Parameters, fitted attributes, weights (numpy), config (JSON) and tokenizer files
        (text): plain types that skops stores without trusting torch or transformers."""
        state: dict[str, Any] = {"params": self.get_params(deep=False)}
        if not hasattr(self, "n_features_in_"):
            return state
        state["fitted"] = {name: getattr(self, name) for name in self._fitted_attributes}
        if getattr(self, "_model", None) is not None:
            state.update(_export(self._tokenizer, self._model))
        else:
            state.update(self._stored)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Keep the exported state; the model is rebuilt from it when first needed."""
        self.__dict__.update(state["params"])
        self._tokenizer = self._model = None
        self._stored = None
        if "fitted" not in state:
            return
        self.__dict__.update(state["fitted"])
        self._stored = {key: state[key] for key in _EXPORTED}


class TransformerTextClassifier(ClassifierMixin, _TransformerText):
    """A classification head fine-tuned with the checkpoint; ``classes_`` are the original labels."""

    _fitted_attributes = (*_TransformerText._fitted_attributes, "classes_")

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        self.classes_, codes = encode_classes(y)
        return codes

    def _head(self) -> dict[str, Any]:
        labels = [str(label) for label in self.classes_]
        return {"num_labels": len(labels), "id2label": dict(enumerate(labels)),
                "label2id": {label: i for i, label in enumerate(labels)}}

    def _loss(self, logits, targets):
        import torch

        return torch.nn.functional.cross_entropy(logits, targets)

    def predict_proba(self, X: Any) -> np.ndarray:
        return softmax(self._logits(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self._logits(X), axis=1)]


class TransformerTextRegressor(RegressorMixin, _TransformerText):
    """A single-output regression head; the target is standardised for training (the head
    starts near zero, and a price in the hundred thousands would take many epochs to reach)."""

    _fitted_attributes = (*_TransformerText._fitted_attributes, "y_mean_", "y_scale_")

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        scaled, self.y_mean_, self.y_scale_ = standardise(y)
        return scaled

    def _head(self) -> dict[str, Any]:
        return {"num_labels": 1, "problem_type": "regression"}

    def _loss(self, logits, targets):
        import torch

        return torch.nn.functional.mse_loss(logits[:, 0], targets)

    def predict(self, X: Any) -> np.ndarray:
        return self._logits(X)[:, 0] * self.y_scale_ + self.y_mean_


# ---- helpers --------------------------------------------------------------------------------

_EXPORTED = ("weights", "config_json", "tokenizer_files", "tokenizer_files_base64")


def _texts(X: Any, n_columns: int | None = None) -> tuple[list[str], int]:
    """One string per row (the columns joined by newlines; missing cells as ""), and the number
    of columns (refused unless ``n_columns`` when given). Accepts a 2-D array, a DataFrame, or
    a 1-D sequence as one column."""
    cells = text_cells(X, n_columns)
    return ["\n".join(cell_text(cell) for cell in row) for row in cells], cells.shape[1]


def _encode(tokenizer, texts: list[str], max_tokens: int) -> list[dict[str, list[int]]]:
    """Token ids per row, truncated to ``max_tokens``; padding waits for the batch."""
    cut = [text[: max_tokens * CHARS_PER_TOKEN] for text in texts]
    encoded = tokenizer(cut, truncation=True, max_length=max_tokens)
    keys = [key for key in ("input_ids", "attention_mask", "token_type_ids") if key in encoded]
    return [{key: encoded[key][i] for key in keys} for i in range(len(texts))]


def _collate(tokenizer, rows: list[dict[str, list[int]]]) -> dict[str, Any]:
    return dict(tokenizer.pad(rows, padding=True, return_tensors="pt"))


def _token_limit(max_length: int, tokenizer, config) -> int:
    """``max_length``, lowered to what the tokenizer and the position embeddings allow."""
    limit = max(2, max_length)
    if 0 < getattr(tokenizer, "model_max_length", 0) < 1_000_000:  # unset is a huge sentinel
        limit = min(limit, int(tokenizer.model_max_length))
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limit = min(limit, positions)
    return limit


def _no_decay(name: str) -> bool:
    """Biases and normalisation weights are not decayed (the usual fine-tuning recipe)."""
    lowered = name.lower()
    return lowered.endswith("bias") or "layernorm" in lowered or "layer_norm" in lowered or ".norm" in lowered


def check_folder(path: Any) -> str:
    """The checkpoint folder, checked: a clear error before transformers tries (and, for a
    missing folder, would take the path for a hub name)."""
    if not path:
        raise _unusable(str(path), "no checkpoint folder was given")
    folder = Path(str(path)).expanduser()
    if not folder.is_dir():
        raise _unusable(str(path), "the folder does not exist" if not folder.exists() else "not a folder")
    if not (folder / "config.json").is_file():
        raise _unusable(str(path), "the folder holds no config.json (write it with save_pretrained)")
    return str(folder)


def _unusable(path: str, error: Exception | str) -> ConfigError:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text = " ".join(text.split())
    if len(text) > _ERROR_CHARS:
        text = text[:_ERROR_CHARS] + "..."
    return ConfigError(ERROR_KEY, path=path, error=text)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No progress bars or load reports (a re-initialised head is expected) on the terminal."""
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def _export(tokenizer, model) -> dict[str, Any]:
    """The fitted model as plain types (see ``__getstate__``)."""
    texts, binaries = {}, {}
    with tempfile.TemporaryDirectory() as folder, _quiet_transformers():
        tokenizer.save_pretrained(folder)
        for file in sorted(Path(folder).iterdir()):
            if not file.is_file():
                continue
            data = file.read_bytes()
            try:
                texts[file.name] = data.decode("utf-8")
            except UnicodeDecodeError:  # a sentencepiece model, say
                binaries[file.name] = base64.b64encode(data).decode("ascii")
    return {"weights": numpy_weights(model.state_dict()), "config_json": model.config.to_json_string(),
            "tokenizer_files": texts, "tokenizer_files_base64": binaries}


def _rebuild(stored: dict[str, Any]):
    """Tokenizer and model from an exported state, through a temporary folder that is deleted
    afterwards; ``local_files_only`` so that nothing is looked up online."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    files = {name: text.encode("utf-8") for name, text in stored["tokenizer_files"].items()}
    files.update({name: base64.b64decode(text) for name, text in stored["tokenizer_files_base64"].items()})
    files["config.json"] = stored["config_json"].encode("utf-8")
    with tempfile.TemporaryDirectory() as folder, _quiet_transformers():
        for name, data in files.items():
            if Path(name).name != name or name in ("", ".", ".."):
                raise ValueError(f"not a plain file name in the saved tokenizer: {name!r}")
            (Path(folder) / name).write_bytes(data)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        model = AutoModelForSequenceClassification.from_config(config, dtype=torch.float32)
    model.load_state_dict(torch_weights(stored["weights"]))
    model.eval()
    return tokenizer, model


from manabu.base.trust import register_trusted  # noqa: E402  (at the bottom, as the other models do)

register_trusted("manabu.models.text_transformer.TransformerTextClassifier",
                 "manabu.models.text_transformer.TransformerTextRegressor")
