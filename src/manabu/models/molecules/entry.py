"""The molecule family's entry: "mpnn", tried when the data has a SMILES column, beside the
families that learn from the molecules' fingerprints."""
from __future__ import annotations

import importlib.util

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.molecules.codec import CODEC
from manabu.models.molecules.family import MPNNClassifier, MPNNRegressor
from manabu.models.space import Choice, Integer, Real
from manabu.models.text_torch import torch_available

DEFAULT_HIDDEN, DEFAULT_DEPTH = 128, 3


def make_mpnn(task: str, params: Params, seed: int):
    cls = MPNNRegressor if task == "regression" else MPNNClassifier
    return cls(random_state=seed, **params)


def _stop_at(deadline: float) -> Params:
    return {"deadline": deadline}


def _warm_up() -> None:
    from manabu.deep.trainer import import_torch

    import_torch()
    from rdkit import Chem  # noqa: F401


def _available() -> bool:
    return torch_available() and all(importlib.util.find_spec(name) is not None for name in ("rdkit", "safetensors"))


def _work(params: Params) -> float:
    """A step's work grows with the states' width and the message-passing steps."""
    return (params.get("hidden_size", DEFAULT_HIDDEN) / DEFAULT_HIDDEN) * (params.get("depth", DEFAULT_DEPTH)
                                                                           / DEFAULT_DEPTH)


SPACE = {"hidden_size": Choice((64, 128, 256)), "depth": Integer(2, 5), "dropout": Real(0.0, 0.3),
         "readout": Choice(("mean", "sum")), "learning_rate": Real(3e-4, 5e-3, log=True),
         "max_epochs": Choice((30, 50, 100)), "batch_size": Choice((32, 50, 64))}

# the network learns on RDKit's graphs of the molecules; it needs torch and RDKit both (manabu[deep,chem])
ENTRY = ModelEntry("mpnn", ALL_TASKS, PreprocessKind.SMILES, make_mpnn, SPACE, cost=20.0,
                   threads_param="n_threads", device_param="device", stop_at=_stop_at, keeps_partial=True,
                   needs_molecules=True, extra="deep,chem", available=_available, warm_up=_warm_up, work=_work,
                   codec=CODEC)
