"""manabu (学ぶ): from a data file to an evaluated, saved model in one call, explained as it goes.

    import manabu
    predictor = manabu.fit("train.csv", target="price", time_limit=60)
    predictor.leaderboard()
    predictor.save("models/price")            # the model folder, with its report.html
    manabu.load("models/price").predict("new.csv")

``manabu.fit("train.csv", target="price", output="models/price")`` trains and saves in one call,
as ``manabu train`` does (Ctrl-C keeps the best model so far, ``resume=True`` continues).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# The public names are imported on first use, so that `manabu --help` and the error paths of
# the CLI do not wait for scikit-learn, LightGBM and pandas to load.
_PUBLIC = {
    "fit": "manabu.api",
    "load": "manabu.api",
    "read": "manabu.data.read",
    "cluster": "manabu.unsupervised.model",
    "anomalies": "manabu.unsupervised.model",
    "reduce": "manabu.unsupervised.model",
    "segment": "manabu.segmentation.model",
    "forecast": "manabu.forecasting.training",
    "Forecaster": "manabu.forecasting.model",
    "rl": "manabu.reinforcement.training",
    "Agent": "manabu.reinforcement.agent",
    "Predictor": "manabu.training.predictor",
    "TrainConfig": "manabu.training.config",
    "AutoClassifier": "manabu.estimators",
    "AutoRegressor": "manabu.estimators",
    "ManabuError": "manabu.base.errors",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'manabu' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from manabu.api import fit, load
    from manabu.training.config import TrainConfig
    from manabu.data.read import read
    from manabu.unsupervised.model import anomalies, cluster, reduce
    from manabu.segmentation.model import segment
    from manabu.forecasting.training import forecast
    from manabu.forecasting.model import Forecaster
    from manabu.reinforcement.agent import Agent
    from manabu.reinforcement.training import rl
    from manabu.base.errors import ManabuError
    from manabu.estimators import AutoClassifier, AutoRegressor
    from manabu.training.predictor import Predictor
