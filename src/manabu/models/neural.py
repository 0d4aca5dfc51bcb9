"""A multi-layer perceptron (scikit-learn's): smooth where trees are step-wise, so it wins on
small numeric data (abalone, blood transfusion, vehicle) and adds what trees lack to an ensemble.

Regression targets are standardised for training and turned back for predictions: the network's
weights start at a scale that suits targets near zero, and a price in the hundred thousands
would take it hundreds of epochs to reach.
"""
from __future__ import annotations

from sklearn.compose import TransformedTargetRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.space import Choice, Integer, Real

MAX_EPOCHS = 200     # early stopping ends most fits far sooner (30-110 epochs on the public sets)
PATIENCE = 20        # epochs without progress on the held-out tenth before stopping


def hidden_layers(params: Params) -> tuple[int, ...]:
    """``depth`` layers, the first ``width`` wide and each next one half as wide (at least 16)."""
    width, depth = int(params.get("width", 256)), int(params.get("depth", 2))
    return tuple(max(16, width >> i) for i in range(depth))


def make(task: str, params: Params, seed: int):
    settings = dict(hidden_layer_sizes=hidden_layers(params), alpha=params.get("alpha", 1e-3),
                    learning_rate_init=params.get("learning_rate", 3e-3),
                    batch_size=int(params.get("batch_size", 256)), early_stopping=True,
                    n_iter_no_change=PATIENCE, max_iter=MAX_EPOCHS, random_state=seed)
    if task == "regression":
        return TransformedTargetRegressor(MLPRegressor(**settings), transformer=StandardScaler())
    return MLPClassifier(**settings)


SPACE = {"width": Choice((64, 128, 256, 512)), "depth": Integer(1, 3),
         "alpha": Real(1e-6, 1e-1, log=True), "learning_rate": Real(3e-4, 1e-2, log=True),
         "batch_size": Choice((64, 128, 256, 512))}

ENTRY = ModelEntry("mlp", ALL_TASKS, PreprocessKind.LINEAR, make, SPACE, cost=2.0)
