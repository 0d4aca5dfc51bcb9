"""Decision tree and the two forests of scikit-learn. All three take NaN as it is."""
from __future__ import annotations

from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params

def make_tree(task: str, params: Params, seed: int):
    cls = DecisionTreeRegressor if task == "regression" else DecisionTreeClassifier
    return cls(max_depth=params.get("max_depth", 8), min_samples_leaf=params.get("min_samples_leaf", 5),
               random_state=seed)


def sample_tree(rng, task: str) -> Params:
    return {"max_depth": int(rng.integers(2, 20)), "min_samples_leaf": int(rng.integers(1, 50))}


def _forest(classifier, regressor):
    def make(task: str, params: Params, seed: int):
        cls = regressor if task == "regression" else classifier
        default_features = 1.0 if task == "regression" else "sqrt"
        return cls(n_estimators=params.get("n_estimators", 200),
                   max_features=params.get("max_features", default_features),
                   min_samples_leaf=params.get("min_samples_leaf", 1),
                   random_state=seed)
    return make


def sample_forest(rng, task: str) -> Params:
    return {"n_estimators": int(rng.choice([100, 200, 300])),
            "max_features": float(rng.uniform(0.2, 1.0)),
            "min_samples_leaf": int(rng.integers(1, 10))}


TREE = ModelEntry("decision_tree", ALL_TASKS, PreprocessKind.TREE, make_tree, sample_tree, cost=0.3)
RANDOM_FOREST = ModelEntry("random_forest", ALL_TASKS, PreprocessKind.TREE,
                           _forest(RandomForestClassifier, RandomForestRegressor), sample_forest, cost=3.0,
                           threaded=True)
EXTRA_TREES = ModelEntry("extra_trees", ALL_TASKS, PreprocessKind.TREE,
                         _forest(ExtraTreesClassifier, ExtraTreesRegressor), sample_forest, cost=2.0,
                         threaded=True)
