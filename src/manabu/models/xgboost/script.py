"""XGBoost in an exported script: classes as 0..k-1, early-stopped on held-out rows, category
codes declared as categorical features."""
from __future__ import annotations

import textwrap

from manabu.models.script import EARLY_STOPPING_IMPORTS, ScriptFit, early_stopping_helpers

_FIT = textwrap.dedent('''\
    def fit(X, y):
        """Preprocessing and model fitted on the rows given, and the classes they saw. XGBoost
        picks its own number of rounds: it holds out 10% of the rows and stops when they stop
        improving; data too small to hold rows out gets a small fixed number of rounds."""
        preprocess = make_preprocess()
        features = preprocess.fit_transform(X, y)
        model = make_model()
        # CATEGORIES
        # CODES
        split = holdout_split(codes, CLASSIFICATION, SEED)
        if split is None:
            model.set_params(n_estimators=SMALL_DATA_TREES)
            model.fit(features, codes, verbose=False)
        else:
            train, valid = split
            model.set_params(early_stopping_rounds=PATIENCE)
            model.fit(features[train], codes[train], eval_set=[(features[valid], codes[valid])], verbose=False)
        return preprocess, model, seen
    ''')

_CATEGORIES = ('    model.set_params(enable_categorical=True, feature_types=["c"] * len(CATEGORY_CODES)\n'
               '                     + ["q"] * (features.shape[1] - len(CATEGORY_CODES)))\n')
_CLASS_CODES = "    seen, codes = np.unique(y, return_inverse=True)  # XGBoost wants the classes as 0..k-1\n"


def script_fit(task: str, n_categorical: int) -> ScriptFit:
    fit = _FIT.replace("    # CATEGORIES\n", _CATEGORIES if n_categorical else "")
    fit = fit.replace("    # CODES\n", _CLASS_CODES if task != "regression" else "    seen, codes = None, y\n")
    return ScriptFit(fit, imports=EARLY_STOPPING_IMPORTS, helpers=(early_stopping_helpers(),),
                     category_codes=n_categorical > 0)
