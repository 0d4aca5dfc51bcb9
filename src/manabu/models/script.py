"""How a script written by ``manabu export-code`` trains a family, when it is not plainly
``model.fit(features, y)``.

A family whose training adds something to its library (the boosting families hold rows out and
stop early; CatBoost reads category codes as integers) declares a ``ScriptFit`` in its folder,
as ``ModelEntry.script_fit``: the export writes it without knowing the family.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from manabu.base.source_text import constants_source, function_source
from manabu.models import early_stopping


@dataclass(frozen=True)
class ScriptFit:
    # ``def fit(X, y)`` returning (preprocess, model, the classes seen); the script fills in
    # CLASSES_SEEN (the classes of y, or None) and CLASSIFICATION (True or False)
    fit: str
    features_of_x: str = "preprocess.transform(X)"  # what the fitted model predicts from, given X
    imports: tuple[str, ...] = ()   # import lines the helpers and fit need
    helpers: tuple[str, ...] = ()   # manabu's code that fit calls, copied as source
    category_codes: bool = False    # the script defines CATEGORY_CODES (the columns holding codes)


PLAIN = ScriptFit(textwrap.dedent('''\
    def fit(X, y):
        """Preprocessing and model fitted on the rows given, and the classes they saw."""
        preprocess = make_preprocess()
        features = preprocess.fit_transform(X, y)
        model = make_model()
        model.fit(features, y)
        return preprocess, model, CLASSES_SEEN
    '''))

EARLY_STOPPING_IMPORTS = ("from sklearn.model_selection import train_test_split",)


def early_stopping_helpers() -> str:
    """The boosting families' held-out rows and patience, copied from ``models.early_stopping``."""
    return (constants_source(early_stopping, "PATIENCE", "HOLDOUT", "MIN_HOLDOUT_ROWS", "SMALL_DATA_TREES")
            + "\n\n\n" + function_source(early_stopping, "holdout_split"))
