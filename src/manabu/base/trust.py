"""Which types a model folder may contain: an explicit allowlist, written out and extendable.

skops trusts every scikit-learn estimator by default, ``FunctionTransformer`` (which holds an
arbitrary callable) included, so manabu does not rely on skops' defaults: every type named in a
skops file is checked against this list before anything is built. The list was found by saving
fitted pipelines of each family that manabu trains (``tests/artifact/test_trust.py`` keeps it
honest); a type is here because a real fitted pipeline needs it.

Other modules extend it at import time with ``register_trusted("manabu.features.x.MyTransformer")``.
A model folder is loaded without importing every family, so a type that only a family's module
trusts (scikit-learn's ComplementNB, for the text families) may be met before that module is
imported: ``widen_trust`` then imports the modules of the ``manabu.trust`` entry points.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points

TRUST_GROUP = "manabu.trust"

# Containers and primitives as skops names them (JSON primitives are all stored as builtins.str).
_BUILTINS = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.slice",
)

# Arrays, their dtypes (as types: OneHotEncoder(dtype=np.float64); as dtype objects:
# SimpleImputer._fit_dtype), and the random generators that HistGradientBoosting keeps.
_NUMPY = (
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.bool",
    "numpy.int32",
    "numpy.int64",
    "numpy.uint64",
    "numpy.float32",
    "numpy.float64",
    "numpy.random._generator.Generator",
    "numpy.random.mtrand.RandomState",
)

# Sparse matrices: a nearest-neighbours model fitted on one-hot output keeps its training data.
_SCIPY = (
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csc.csc_matrix",
)

_SKLEARN_PREPROCESSING = (
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.compose._column_transformer.make_column_selector",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._target_encoder.TargetEncoder",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.feature_selection._variance_threshold.VarianceThreshold",
)

_SKLEARN_MODELS = (
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._base.LinearRegression",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.linear_model._coordinate_descent.Lasso",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.linear_model._stochastic_gradient.SGDRegressor",
    "sklearn.neighbors._classification.KNeighborsClassifier",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.svm._classes.SVC",
    "sklearn.svm._classes.SVR",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.compose._target.TransformedTargetRegressor",
)

# The fitted internals of those models: trees, HGB predictors and binner, SGD and HGB losses
# (one per loss option), link functions, neighbour trees and their distance metrics, a
# perceptron's optimiser state and label binariser.
_SKLEARN_INTERNALS = (
    "sklearn.tree._tree.Tree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.linear_model._sgd_fast.Hinge",
    "sklearn.linear_model._sgd_fast.ModifiedHuber",
    "sklearn.linear_model._sgd_fast.SquaredHinge",
    "sklearn.linear_model._sgd_fast.EpsilonInsensitive",
    "sklearn.linear_model._sgd_fast.SquaredEpsilonInsensitive",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss._loss.CyAbsoluteError",
    "sklearn._loss._loss.CyPinballLoss",
    "sklearn._loss._loss.CyHuberLoss",
    "sklearn._loss._loss.CyHalfPoissonLoss",
    "sklearn._loss._loss.CyHalfGammaLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.loss.AbsoluteError",
    "sklearn._loss.loss.PinballLoss",
    "sklearn._loss.loss.HuberLoss",
    "sklearn._loss.loss.HalfPoissonLoss",
    "sklearn._loss.loss.HalfGammaLoss",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
)

TRUSTED_TYPES: frozenset[str] = frozenset(
    _BUILTINS + _NUMPY + _SCIPY + _SKLEARN_PREPROCESSING + _SKLEARN_MODELS + _SKLEARN_INTERNALS
)

# Types trusted only below one attribute of one type: HistGradientBoosting with categorical
# features builds ``_preprocessor``: a ColumnTransformer whose numerical branch is
# FunctionTransformer(partial(check_array, ...)). FunctionTransformer stays untrusted elsewhere.
_HGB = "sklearn.ensemble._hist_gradient_boosting.gradient_boosting."
HGB_PREPROCESSOR_TYPES = frozenset({
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "functools.partial",
    "sklearn.utils.validation.check_array",
})
# extended by ``register_nested_trust`` for subclasses (a family's HistGradientBoosting)
NESTED_TRUST: dict[tuple[str, str], frozenset[str]] = {
    (_HGB + "HistGradientBoostingClassifier", "_preprocessor"): HGB_PREPROCESSOR_TYPES,
    (_HGB + "HistGradientBoostingRegressor", "_preprocessor"): HGB_PREPROCESSOR_TYPES,
}

# Types trusted only while the named attributes are None. ColumnTransformer turns "passthrough"
# into FunctionTransformer(func=None), the identity; one that holds a function is refused.
TRUSTED_WHEN_NONE: Mapping[str, tuple[str, ...]] = {
    "sklearn.preprocessing._function_transformer.FunctionTransformer": ("func", "inverse_func"),
}

_QUALNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_registered: set[str] = set()
_registered_native: set[str] = set()
_renamed: dict[str, str] = {}
_widened: list[bool] = []


def register_trusted(*qualnames: str, native: bool = False) -> None:
    """Trust more types (fully qualified, e.g. ``manabu.features.text.Tokens``) in model folders.

    Called by manabu's own modules at import time for the estimator classes they define. With
    ``native=True`` the types are trusted only as the class that a native-format sidecar names
    (an XGBoost or CatBoost estimator), never inside a skops file.
    """
    _check_names(qualnames)
    (_registered_native if native else _registered).update(qualnames)


def _check_names(names: Iterable[str]) -> None:
    for name in names:
        if not isinstance(name, str) or not _QUALNAME.match(name):
            raise ValueError(f"not a fully qualified type name: {name!r}")


def register_nested_trust(owner: str, attribute: str, types: frozenset[str]) -> None:
    """Trust ``types`` below ``attribute`` of ``owner`` only (as scikit-learn's
    HistGradientBoosting keeps a FunctionTransformer in ``_preprocessor``)."""
    register_trusted(owner)
    NESTED_TRUST[(owner, attribute)] = frozenset(types)


def register_moved(former_module: str, current_module: str, *classes: str) -> None:
    """Classes that a family moved from ``former_module``: folders saved before name them there
    in a sidecar; load them from ``current_module``, where they must be trusted themselves (the
    former names earn no trust of their own)."""
    for cls in classes:
        former, current = f"{former_module}.{cls}", f"{current_module}.{cls}"
        _check_names((former, current))
        _renamed[former] = current


def current_name(name: str) -> str:
    """The class a stored name stands for today (itself, unless it was moved)."""
    return _renamed.get(name, name)


def trusted_types() -> frozenset[str]:
    """The allowlist as it stands now: the written-out types plus the registered ones."""
    return TRUSTED_TYPES | _registered


def trusted_native_types() -> frozenset[str]:
    """The classes a native-format sidecar may name: the skops allowlist's, and the native ones."""
    return trusted_types() | _registered_native


def untrusted(names: Iterable[str]) -> list[str]:
    """The names outside the allowlist, sorted."""
    allowed = trusted_types()
    return sorted({name for name in names if name not in allowed})


def widen_trust() -> bool:
    """Import the modules that register other libraries' types (the ``manabu.trust`` entry
    points), once; True when this call imported them, so that a refused name is worth checking
    again."""
    if _widened:
        return False
    _widened.append(True)
    for point in entry_points(group=TRUST_GROUP):
        point.load()
    return True
