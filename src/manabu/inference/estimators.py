"""scikit-learn's models at their arithmetic: trees and forests as flat arrays,
HistGradientBoosting's trees and link, linear models' dot products, SVMs' kernel sums, a
perceptron's layers; each in scikit-learn's order of operations, without the input checks
around them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from manabu.inference.errors import Unsupported
from manabu.inference.trees import Forest, hist_gradient_boosting_trees, sklearn_trees


@dataclass
class AsIs:
    """Any estimator, called on the preprocessed matrix."""

    estimator: Any

    @property
    def classes_(self):
        return getattr(self.estimator, "classes_", None)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(X)


# --------------------------------------------------------------------------- scikit-learn trees

@dataclass
class Trees:
    """DecisionTree, RandomForest and ExtraTrees: the mean of the trees' leaf values."""

    forest: Forest
    values: np.ndarray          # (nodes, classes) fractions, or (nodes, 1) values
    classes_: np.ndarray | None
    average: bool               # a forest (mean over trees) rather than one tree

    def _mean(self, X: np.ndarray) -> np.ndarray:
        leaves = self.values[self.forest.leaves(X)]  # (rows, trees, outputs)
        if not self.average:
            return leaves[:, 0, :]
        total = np.add.accumulate(leaves, axis=1)[:, -1, :]  # tree after tree, as the forest adds
        return total / leaves.shape[1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self._mean(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        mean = self._mean(X)
        if self.classes_ is None:
            return mean[:, 0]
        return self.classes_.take(np.argmax(mean, axis=1), axis=0)


def _sklearn_tree(estimator: Any) -> Trees | None:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    if not isinstance(estimator, (DecisionTreeClassifier, DecisionTreeRegressor)):
        return None
    forest, values = sklearn_trees([estimator])
    classes = np.asarray(estimator.classes_) if isinstance(estimator, DecisionTreeClassifier) else None
    if classes is not None:
        values = values[:, :estimator.n_classes_]
    return Trees(forest, values, classes, average=False)


def _sklearn_forest(estimator: Any) -> Trees | None:
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier,
                                  RandomForestRegressor)
    if not isinstance(estimator, (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier,
                                  ExtraTreesRegressor)):
        return None
    if estimator.n_outputs_ != 1:
        raise Unsupported("multi-output forest")
    forest, values = sklearn_trees(estimator.estimators_)
    classifier = isinstance(estimator, (RandomForestClassifier, ExtraTreesClassifier))
    if classifier:
        values = values[:, :estimator.n_classes_]
    return Trees(forest, values, np.asarray(estimator.classes_) if classifier else None, average=True)


# ----------------------------------------------------------------------- HistGradientBoosting

@dataclass
class HistGradientBoosting:
    """HistGradientBoosting: baseline plus the trees' leaf values, then the loss's link."""

    forest: Forest
    values: np.ndarray
    baseline: np.ndarray   # (1, trees per iteration)
    loss: Any
    classes_: np.ndarray | None
    recode: Any            # the model's own re-coding of its categorical columns, or None

    def _raw(self, X: np.ndarray) -> np.ndarray:
        if self.recode is not None:
            X = self.recode(X)
        k = self.baseline.shape[1]
        leaves = self.values[self.forest.leaves(X)].reshape(len(X), -1, k)  # (rows, iterations, k)
        start = np.broadcast_to(self.baseline, (len(X), 1, k))
        return np.add.accumulate(np.concatenate([start, leaves], axis=1), axis=1)[:, -1, :]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.loss.predict_proba(self._raw(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        raw = self._raw(X)
        if self.classes_ is None:
            return self.loss.link.inverse(raw.ravel())
        if raw.shape[1] == 1:
            return self.classes_[(raw.ravel() > 0).astype(int)]
        return self.classes_[np.argmax(raw, axis=1)]


@dataclass
class _Recode:
    """HistGradientBoosting's internal OrdinalEncoder of its categorical columns (moved first,
    each value replaced by its position among the sorted training values; others NaN)."""

    categorical: np.ndarray   # input column indices, in output order
    numerical: np.ndarray
    categories: list[np.ndarray]

    def __call__(self, X: np.ndarray) -> np.ndarray:
        out = np.empty_like(X, dtype=np.float64)
        for j, (column, known) in enumerate(zip(self.categorical, self.categories)):
            x = X[:, column]
            at = np.minimum(np.searchsorted(known, x), max(len(known) - 1, 0))
            found = (len(known) > 0) & (known[at] == x) if len(known) else np.zeros(len(x), dtype=bool)
            out[:, j] = np.where(found, at, np.nan)
        out[:, len(self.categorical):] = X[:, self.numerical]
        return out


def _hgb_recode(estimator: Any) -> _Recode | None:
    preprocessor = getattr(estimator, "_preprocessor", None)
    if preprocessor is None:
        return None
    from sklearn.preprocessing import OrdinalEncoder
    mask = np.asarray(estimator.is_categorical_, dtype=bool)
    encoder = preprocessor.named_transformers_.get("encoder")
    names = [name for name, _, _ in preprocessor.transformers_]
    if not isinstance(encoder, OrdinalEncoder) or names[:2] != ["encoder", "numerical"]:
        raise Unsupported("HistGradientBoosting's category encoder")
    categories = []
    for known in encoder.categories_:
        known = np.asarray(known, dtype=np.float64)
        categories.append(known[~np.isnan(known)])  # missing stays NaN: encoded_missing_value
    if not np.isnan(encoder.unknown_value) or not np.isnan(encoder.encoded_missing_value):
        raise Unsupported("HistGradientBoosting's category encoder settings")
    return _Recode(np.flatnonzero(mask), np.flatnonzero(~mask), categories)


def _hist_gradient_boosting(estimator: Any) -> HistGradientBoosting | None:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    if not isinstance(estimator, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        return None
    known, feature_map = estimator._bin_mapper.make_known_categories_bitsets()
    forest, values = hist_gradient_boosting_trees(estimator._predictors, known, feature_map)
    classes = np.asarray(estimator.classes_) if isinstance(estimator, HistGradientBoostingClassifier) else None
    return HistGradientBoosting(forest, values, np.asarray(estimator._baseline_prediction, dtype=np.float64),
                                estimator._loss, classes, _hgb_recode(estimator))


# ------------------------------------------------------------------------------ linear models

@dataclass
class Linear:
    """LogisticRegression, Ridge, ElasticNet, Lasso, LinearRegression: scikit-learn's
    ``X @ coef.T + intercept`` and its link, without the input checks around them."""

    coef: np.ndarray        # as fitted: (features,) or (outputs, features)
    intercept: Any
    classes_: np.ndarray | None

    def decision(self, X: np.ndarray) -> np.ndarray:
        if self.coef.ndim == 1:
            return X @ self.coef + self.intercept
        scores = X @ self.coef.T + self.intercept
        return scores.reshape(-1) if scores.shape[1] == 1 else scores

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import expit
        from sklearn.utils.extmath import softmax
        scores = self.decision(X)
        if len(self.classes_) <= 2:
            p = expit(scores)
            return np.stack([1 - p, p], axis=1)
        return softmax(scores, copy=False)

    def predict(self, X: np.ndarray) -> np.ndarray:
        scores = self.decision(X)
        if self.classes_ is None:
            return scores
        indices = (scores > 0).astype(np.intp) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return np.take(self.classes_, indices, axis=0)


def _linear(estimator: Any) -> Linear | None:
    from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
    if type(estimator) in (Ridge, ElasticNet, Lasso, LinearRegression):
        return Linear(np.asarray(estimator.coef_, dtype=np.float64), estimator.intercept_, None)
    if type(estimator) is LogisticRegression:
        if np.asarray(estimator.coef_).dtype != np.float64:
            raise Unsupported("logistic regression of another precision")
        return Linear(estimator.coef_, estimator.intercept_, np.asarray(estimator.classes_))
    return None


# ---------------------------------------------------------------------- support vector machines

@dataclass
class SupportVectors:
    """A fitted two-class SVC or an SVR: ``dual_coef_ · K(x, support vectors) + intercept_``
    with libsvm's kernels, each sum taken left to right as libsvm takes it."""

    vectors: np.ndarray     # (support vectors, features)
    coef: np.ndarray        # (support vectors,)
    intercept: float
    kernel: str
    gamma: float
    classes_: np.ndarray | None

    def decision(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(len(X))
        for i, x in enumerate(X):
            if self.kernel == "rbf":
                d = self.vectors - x
                k = np.exp(-self.gamma * np.add.accumulate(d * d, axis=1)[:, -1])
            else:
                k = np.add.accumulate(self.vectors * x, axis=1)[:, -1]
            out[i] = np.add.accumulate(self.coef * k)[-1] + self.intercept
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        values = self.decision(X)
        if self.classes_ is None:
            return values
        return self.classes_[(values > 0).astype(np.intp)]


def _support_vectors(estimator: Any) -> SupportVectors | None:
    from sklearn.svm import SVC, SVR
    if type(estimator) not in (SVC, SVR):
        return None
    classes = np.asarray(estimator.classes_) if isinstance(estimator, SVC) else None
    if (estimator.kernel not in ("rbf", "linear") or (classes is not None and len(classes) != 2)
            or estimator.dual_coef_.shape[0] != 1 or not isinstance(estimator.support_vectors_, np.ndarray)):
        return AsIs(estimator)
    if classes is not None and estimator.break_ties:
        return AsIs(estimator)
    return SupportVectors(np.ascontiguousarray(estimator.support_vectors_, dtype=np.float64),
                          np.asarray(estimator.dual_coef_[0], dtype=np.float64), float(estimator.intercept_[0]),
                          estimator.kernel, float(estimator._gamma), classes)


@dataclass
class Calibrated:
    """CalibratedClassifierCV of a two-class SVC with sigmoid (Platt) calibration: the mean of
    its calibrated classifiers' ``expit(-(a * decision + b))``, as scikit-learn computes it."""

    parts: list[tuple[SupportVectors, float, float]]
    classes_: np.ndarray

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import expit
        mean = np.zeros((len(X), 2))
        for model, a, b in self.parts:
            proba = np.zeros((len(X), 2))
            proba[:, 1] = expit(-(a * model.decision(X) + b))
            proba[:, 0] = 1.0 - proba[:, 1]
            proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
            mean += proba
        mean /= len(self.parts)
        return mean

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _calibrated(estimator: Any) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    if not isinstance(estimator, CalibratedClassifierCV):  # a subclass that fits otherwise answers alike
        return None
    parts = []
    for calibrated in estimator.calibrated_classifiers_:
        inner = _support_vectors(calibrated.estimator)
        calibrators = calibrated.calibrators
        if (not isinstance(inner, SupportVectors) or calibrated.method != "sigmoid" or len(calibrators) != 1
                or len(calibrated.classes) != 2 or list(calibrated.estimator.classes_) != list(calibrated.classes)):
            return AsIs(estimator)
        parts.append((inner, float(calibrators[0].a_), float(calibrators[0].b_)))
    return Calibrated(parts, np.asarray(estimator.classes_))


# --------------------------------------------------------------------- multi-layer perceptrons

@dataclass
class Perceptron:
    """MLPClassifier, MLPRegressor (alone or inside a TransformedTargetRegressor with a
    StandardScaler) with ReLU layers: ``_forward_pass_fast`` of scikit-learn, then its output
    function and, for a scaled target, the scaler's inverse."""

    coefs: list[np.ndarray]
    intercepts: list[np.ndarray]
    output: str                       # "identity", "logistic" or "softmax"
    classes_: np.ndarray | None
    target_scale: tuple[np.ndarray, np.ndarray] | None = None  # (scale, mean) of the target

    def _forward(self, X: np.ndarray) -> np.ndarray:
        activation = X
        last = len(self.coefs) - 1
        for i, (coef, intercept) in enumerate(zip(self.coefs, self.intercepts)):
            activation = activation @ coef
            activation += intercept
            if i != last:
                np.maximum(activation, 0, out=activation)
        return activation

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import expit
        out = self._forward(X)
        if self.output == "logistic":
            p = expit(out, out=out).ravel()
            return np.vstack([1 - p, p]).T
        out = np.exp(out - out.max(axis=1)[:, np.newaxis])  # scikit-learn's inplace_softmax
        out /= out.sum(axis=1)[:, np.newaxis]
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.classes_ is None:
            values = self._forward(X)
            if self.target_scale is not None:
                scale, mean = self.target_scale
                values *= scale
                values += mean
            return values.ravel()
        proba = self.predict_proba(X)
        indices = (proba[:, 1] > 0.5).astype(np.intp) if self.output == "logistic" else np.argmax(proba, axis=1)
        return np.take(self.classes_, indices, axis=0)


def _perceptron(estimator: Any) -> Perceptron | AsIs | None:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler
    target_scale = None
    if type(estimator) is TransformedTargetRegressor:
        scaler, inner = getattr(estimator, "transformer_", None), getattr(estimator, "regressor_", None)
        if (type(scaler) is not StandardScaler or type(inner) is not MLPRegressor or scaler.scale_ is None
                or scaler.mean_ is None or len(scaler.scale_) != 1 or estimator._training_dim != 1):
            return AsIs(estimator)
        target_scale, estimator = (scaler.scale_.astype(np.float64), scaler.mean_.astype(np.float64)), inner
    if type(estimator) not in (MLPClassifier, MLPRegressor):
        return None
    if estimator.activation != "relu" or estimator.n_outputs_ != (1 if estimator.out_activation_ != "softmax" else len(estimator.classes_)):
        return AsIs(estimator)
    if any(np.asarray(c).dtype != np.float64 for c in estimator.coefs_):
        raise Unsupported("perceptron of another precision")
    classes = np.asarray(estimator.classes_) if type(estimator) is MLPClassifier else None
    if classes is not None and estimator.out_activation_ == "logistic" and len(classes) != 2:
        return AsIs(estimator)  # multi-label
    return Perceptron(list(estimator.coefs_), list(estimator.intercepts_), estimator.out_activation_, classes,
                      target_scale)


BUILDERS = (_sklearn_tree, _sklearn_forest, _hist_gradient_boosting, _linear, _support_vectors, _calibrated,
            _perceptron)
