"""The deep text families: a BiLSTM that learns word vectors from the data (``manabu[deep]``),
and the fine-tuning of a local Transformer checkpoint that the user points to
(``--text-model PATH``), tried beside the other families when the data has a free-text column."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from manabu.deep.trainer import import_torch
from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.space import Choice, Integer, Real
from manabu.models.text_lstm import LSTMTextClassifier, LSTMTextRegressor, torch_available
from manabu.models.text_transformer import (TransformerTextClassifier, TransformerTextRegressor, check_folder,
                                            transformers_available)


def _stop_at(deadline: float) -> Params:
    return {"deadline": deadline}


def make_lstm(task: str, params: Params, seed: int):
    cls = LSTMTextRegressor if task == "regression" else LSTMTextClassifier
    return cls(random_state=seed, **params)


# a fit is many epochs over every document: 5,000 reviews of ~50 words took about 6 s an epoch
LSTM_SPACE = {"embed_dim": Choice((32, 64, 128)), "hidden_size": Choice((32, 64, 128)),
              "dropout": Real(0.0, 0.5), "learning_rate": Real(1e-3, 1e-2, log=True),
              "max_length": Choice((64, 128, 256))}

LSTM = ModelEntry("lstm", ALL_TASKS, PreprocessKind.TOKENS, make_lstm, LSTM_SPACE, cost=20.0,
                  threads_param="n_threads", stop_at=_stop_at, needs_text=True, extra="deep",
                  available=torch_available, warm_up=import_torch)


def make_transformer(model_path: str, task: str, params: Params, seed: int):
    cls = TransformerTextRegressor if task == "regression" else TransformerTextClassifier
    return cls(model_path=model_path, random_state=seed, **params)


TRANSFORMER_SPACE = {"learning_rate": Real(1e-5, 1e-4, log=True), "max_epochs": Integer(2, 4),
                     "max_length": Choice((64, 128, 256))}


def transformer_entry(model_path: str | Path) -> ModelEntry:
    """The "transformer" family for one checkpoint, checked now so that a wrong path fails
    before the search rather than in its first fold."""
    folder = str(Path(check_folder(str(model_path))).resolve())
    return ModelEntry("transformer", ALL_TASKS, PreprocessKind.RAW_TEXT,
                      partial(make_transformer, folder), TRANSFORMER_SPACE, cost=100.0,
                      threads_param="n_threads", stop_at=_stop_at, needs_text=True, extra="deep",
                      available=transformers_available, warm_up=import_torch)
