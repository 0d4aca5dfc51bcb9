"""The XGBoost family as the zoo lists it: importing this imports XGBoost (``family``)."""
from __future__ import annotations

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, TREE_ENSEMBLE_COST_EXPONENT, ModelEntry

from .codec import CODEC
from .family import SPACE, categorical_params, deadline_params, make
from .rows import compile_xgboost
from .script import script_fit

ENTRY = ModelEntry("xgboost", ALL_TASKS, PreprocessKind.TREE, make, SPACE, cost=1.5,
                   cost_exponent=TREE_ENSEMBLE_COST_EXPONENT, use_categoricals=categorical_params,
                   stop_at=deadline_params, keeps_partial=True, threads_param="n_jobs", strong_start=True,
                   codec=CODEC, row_model=compile_xgboost, script_fit=script_fit)
