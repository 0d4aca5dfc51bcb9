"""CatBoost in an exported script: category codes as integers, early-stopped on held-out rows."""
from __future__ import annotations

import textwrap

from manabu.base.source_text import constants_source, function_source
from manabu.models.script import EARLY_STOPPING_IMPORTS, ScriptFit, early_stopping_helpers

from . import family

_FIT = textwrap.dedent('''\
    def fit(X, y):
        """Preprocessing and model fitted on the rows given, and the classes they saw. CatBoost
        picks its own number of trees: it holds out 10% of the rows and keeps the best round;
        data too small to hold rows out gets a small fixed number of trees."""
        preprocess = make_preprocess()
        features = preprocess.fit_transform(X, y)
        # CATBOOST
        model = make_model()
        split = holdout_split(y, CLASSIFICATION, SEED)
        if split is None:
            model.set_params(iterations=SMALL_DATA_TREES)
            model.fit(features, y)
        else:
            train, valid = split
            rows = features.iloc if hasattr(features, "iloc") else features
            model.fit(rows[train], y[train], eval_set=(rows[valid], y[valid]),
                      early_stopping_rounds=PATIENCE, use_best_model=True)
        return preprocess, model, CLASSES_SEEN
    ''')


def script_fit(task: str, n_categorical: int) -> ScriptFit:
    # the script has no Pool to pass through: category_frame's check for one is dropped
    category_frame = constants_source(family, "MISSING_CODE") + "\n\n\n" + \
        function_source(family, "category_frame").replace("isinstance(X, Pool)", "False")
    if not n_categorical:
        return ScriptFit(_FIT.replace("    # CATBOOST\n", ""), imports=EARLY_STOPPING_IMPORTS,
                         helpers=(early_stopping_helpers(), category_frame))
    return ScriptFit(_FIT.replace("    # CATBOOST\n", "    features = category_frame(features, CATEGORY_CODES)\n"),
                     features_of_x="category_frame(preprocess.transform(X), CATEGORY_CODES)",
                     imports=EARLY_STOPPING_IMPORTS, helpers=(early_stopping_helpers(), category_frame),
                     category_codes=True)
