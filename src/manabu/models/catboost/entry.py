"""The CatBoost family as the zoo lists it: importing this imports CatBoost (``family``)."""
from __future__ import annotations

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, TREE_ENSEMBLE_COST_EXPONENT, ModelEntry

from .codec import CODEC
from .family import SPACE, categorical_params, deadline_params, make
from .rows import compile_catboost
from .script import script_fit

ENTRY = ModelEntry("catboost", ALL_TASKS, PreprocessKind.TREE, make, SPACE, cost=2.0,
                   cost_exponent=TREE_ENSEMBLE_COST_EXPONENT, use_categoricals=categorical_params,
                   stop_at=deadline_params, keeps_partial=True, threads_param="thread_count", strong_start=True,
                   codec=CODEC, row_model=compile_catboost, script_fit=script_fit)
