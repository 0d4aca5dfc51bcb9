"""Linear models: logistic regression for classes, Ridge/Lasso/ElasticNet for numbers."""
from __future__ import annotations

from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.space import Choice, Real


def make(task: str, params: Params, seed: int):
    penalty = params.get("penalty", "l2")
    strength = params.get("strength", 1.0)  # larger means more regularisation, for both tasks
    if task == "regression":
        if penalty == "l2":
            return Ridge(alpha=strength)
        l1_ratio = 1.0 if penalty == "l1" else params.get("l1_ratio", 0.5)
        return ElasticNet(alpha=strength * 1e-3, l1_ratio=l1_ratio, max_iter=5000, random_state=seed)
    if penalty == "l2":
        return LogisticRegression(C=1.0 / strength, max_iter=2000)
    l1_ratio = 1.0 if penalty == "l1" else params.get("l1_ratio", 0.5)
    return LogisticRegression(C=1.0 / strength, l1_ratio=l1_ratio, solver="saga", tol=SAGA_TOL,
                              max_iter=SAGA_MAX_ITER, random_state=seed)


# saga (the solver of the l1 and elastic-net penalties) has no deadline to stop at, and the search
# times the linear family by its fast l2 fits: on cnae_9 (864 rows x 857 columns, 9 classes) one
# saga fit ran its 2,000 passes in 60-80 s and the search ended 35 s past its budget. A bounded
# number of passes keeps one fit within seconds (on cnae_9, 4-5 s at 100 passes).
SAGA_MAX_ITER = 100
SAGA_TOL = 1e-3
# ...and l1 and elastic-net fits still cost more than the l2 fits the search learns the family's
# cost from: on 312k rows of adult-like data one l2 fit took 3.3 s, one l1 (saga) fit 34 s
SAGA_WORK = 10.0


def work(params: Params) -> float:
    """The cost of a configuration against the default (l2) one."""
    return 1.0 if params.get("penalty", "l2") == "l2" else SAGA_WORK


# l1_ratio matters only with the elastic-net penalty; the other penalties ignore it
SPACE = {"penalty": Choice(("l2", "l1", "elasticnet")), "strength": Real(1e-3, 1e2, log=True),
         "l1_ratio": Real(0.1, 0.9)}

ENTRY = ModelEntry("linear", ALL_TASKS, PreprocessKind.LINEAR, make, SPACE, cost=0.2, sparse_input=True,
                   work=work)
