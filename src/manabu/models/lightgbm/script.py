"""LightGBM in an exported script: early-stopped on held-out rows, category codes named."""
from __future__ import annotations

import textwrap

from manabu.models.script import EARLY_STOPPING_IMPORTS, ScriptFit, early_stopping_helpers

_FIT = textwrap.dedent('''\
    def fit(X, y):
        """Preprocessing and model fitted on the rows given, and the classes they saw. LightGBM
        picks its own number of trees: it holds out 10% of the rows and stops when they stop
        improving; data too small to hold rows out gets a small fixed number of trees."""
        preprocess = make_preprocess()
        features = preprocess.fit_transform(X, y)
        model = make_model()
        split = holdout_split(y, CLASSIFICATION, SEED)
        if split is None:
            model.set_params(n_estimators=SMALL_DATA_TREES)
            model.fit(features, y, CATEGORIES)
        else:
            train, valid = split
            model.fit(features[train], y[train], eval_X=(features[valid],), eval_y=(y[valid],),
                      callbacks=[lightgbm.early_stopping(PATIENCE, verbose=False)], CATEGORIES)
        return preprocess, model, CLASSES_SEEN
    ''')


def script_fit(task: str, n_categorical: int) -> ScriptFit:
    long_call = "],\n" + " " * 18 + "categorical_feature=CATEGORY_CODES)"
    fit = _FIT.replace("], CATEGORIES)", long_call if n_categorical else "])")
    fit = fit.replace(", CATEGORIES)", ", categorical_feature=CATEGORY_CODES)" if n_categorical else ")")
    return ScriptFit(fit, imports=(*EARLY_STOPPING_IMPORTS, "import lightgbm"), helpers=(early_stopping_helpers(),),
                     category_codes=n_categorical > 0)
