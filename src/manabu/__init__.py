"""manabu (学ぶ): from a data file to an evaluated, saved model in one call, explained as it goes.

    import manabu
    predictor = manabu.fit("train.csv", target="price", time_limit=60)
    predictor.leaderboard()
    predictor.save("models/price")
    manabu.load("models/price").predict("new.csv")
"""
from manabu.api import fit, load
from manabu.config import TrainConfig
from manabu.data.read import read
from manabu.errors import ManabuError
from manabu.estimators import AutoClassifier, AutoRegressor
from manabu.predictor import Predictor

__version__ = "0.1.0"

__all__ = ["fit", "load", "read", "Predictor", "TrainConfig", "AutoClassifier", "AutoRegressor",
           "ManabuError", "__version__"]
