"""The training half of an exported script: the preprocessing and model built, fitted as manabu
fits the family, scored on the folds manabu drew with the metric manabu computed."""
from __future__ import annotations

import re
import textwrap
from typing import Any

from manabu.data.schema import ColumnType, Schema
from manabu.data.splits import TIME, ValidationPlan, plan_splitter
from manabu.export.source import ScriptParts, Source, literal_value
from manabu.models.script import ScriptFit


def builders_section(source: Source, preprocess, model) -> str:
    return (f'def make_preprocess():\n    """The preprocessing manabu built for this model family."""\n'
            f"    return {source.render(preprocess, 4)}\n\n\n"
            f'def make_model():\n    """The model with the hyperparameters the search chose."""\n'
            f"    return {source.render(model, 4)}")


def fitting_section(fitting: ScriptFit, task: str, parts: ScriptParts) -> str:
    """fit() and predict(): the family's way of training (``ModelEntry.script_fit``), or a plain fit."""
    classification = task != "regression"
    parts.need(*fitting.imports)
    fit = fitting.fit.replace("CLASSES_SEEN", "np.unique(y)" if classification else "None")
    fit = fit.replace("CLASSIFICATION", str(classification)).strip()
    predict = (_PREDICT_CLASSES if classification else _PREDICT_VALUES).replace("FEATURES_OF_X", fitting.features_of_x)
    return "# ---- training\n\n" + "\n\n\n".join([*fitting.helpers, fit, predict])


_PREDICT_CLASSES = textwrap.dedent('''\
    def predict(fitted, X, n_classes):
        """Probabilities of every class, in class order (a fold may not have seen every class)."""
        preprocess, model, seen = fitted
        scores = np.zeros((len(X), n_classes))
        scores[:, seen] = model.predict_proba(FEATURES_OF_X)
        return scores''')

_PREDICT_VALUES = textwrap.dedent('''\
    def predict(fitted, X, n_classes=None):
        """The predicted values."""
        preprocess, model, _ = fitted
        return np.asarray(model.predict(FEATURES_OF_X), dtype=float).ravel()''')


def validation_section(plan: ValidationPlan, config: dict[str, Any], parts: ScriptParts) -> str:
    source = parts.source
    head = ('def make_folds(y, frame):\n    """(training rows, validation rows) of each fold, '
            'as manabu drew them."""\n')
    if plan.kind == TIME:
        order = f"    order = frame[{literal_value(config.get('time'))}].sort_values(kind=\"stable\").index.to_numpy()\n"
        if plan.n_splits == 1:
            parts.need("from sklearn.model_selection import train_test_split")
            split = f"    splits = [train_test_split(order, test_size={plan.test_size!r}, shuffle=False)]\n"
        else:
            split = (f"    splitter = {source.render(_time_series_split(plan.n_splits), 4)}\n"
                     "    splits = [(order[t], order[v]) for t, v in splitter.split(order)]\n")
        return head + order + split + "    return [(np.sort(train), np.sort(valid)) for train, valid in splits]"
    splitter, takes = plan_splitter(plan)
    lines = [f"    splitter = {source.render(splitter, 4)}", "    rows = np.zeros((len(y), 1))"]
    if "groups" in takes:
        lines.append(f"    groups = pd.factorize(frame[{literal_value(config.get('group'))}].astype(object), "
                     "use_na_sentinel=False)[0]")
    arguments = {"": "rows", "y": "rows, y", "groups": "rows, groups=groups", "y_groups": "rows, y, groups"}[takes]
    first = "" if plan.folds_used is None else f"[:{plan.folds_used}]"  # the folds the search had time for
    lines.append(f"    return [(np.sort(train), np.sort(valid)) for train, valid in splitter.split({arguments})]{first}")
    return head + "\n".join(lines)


def _time_series_split(n_splits: int):
    from sklearn.model_selection import TimeSeriesSplit
    return TimeSeriesSplit(n_splits)


def scoring_section(metric: str, task: str, parts: ScriptParts) -> str:
    multiclass = task == "multiclass"
    function, expression = _METRICS[metric](multiclass)
    parts.need(f"from sklearn.metrics import {function}")
    return ('def score(y, predicted):\n    """' + f"{metric}, as manabu computes it" + '."""\n'
            f"    return float({expression})")


_EPSILON = "1e-15"
_METRICS = {
    "accuracy": lambda multi: ("accuracy_score", "accuracy_score(y, predicted.argmax(axis=1))"),
    "balanced_accuracy": lambda multi: ("balanced_accuracy_score",
                                        "balanced_accuracy_score(y, predicted.argmax(axis=1))"),
    "precision": lambda multi: ("precision_score", _averaged("precision_score", multi)),
    "recall": lambda multi: ("recall_score", _averaged("recall_score", multi)),
    "f1": lambda multi: ("f1_score", _averaged("f1_score", multi)),
    "roc_auc": lambda multi: ("roc_auc_score", "roc_auc_score(y, predicted / predicted.sum(axis=1, keepdims=True), "
                              "multi_class=\"ovr\", labels=list(range(predicted.shape[1])))" if multi
                              else "roc_auc_score(y == 1, predicted[:, 1])"),
    "log_loss": lambda multi: ("log_loss", f"log_loss(y, np.clip(predicted, {_EPSILON}, 1 - {_EPSILON}) / "
                               f"np.clip(predicted, {_EPSILON}, 1 - {_EPSILON}).sum(axis=1, keepdims=True), "
                               "labels=list(range(predicted.shape[1])))"),
    "mae": lambda multi: ("mean_absolute_error", "mean_absolute_error(y, predicted)"),
    "mse": lambda multi: ("mean_squared_error", "mean_squared_error(y, predicted)"),
    "rmse": lambda multi: ("root_mean_squared_error", "root_mean_squared_error(y, predicted)"),
    "r2": lambda multi: ("r2_score", "r2_score(y, predicted)"),
}


def _averaged(function: str, multiclass: bool) -> str:
    if multiclass:
        return f'{function}(y, predicted.argmax(axis=1), average="macro", zero_division=0.0)'
    return f'{function}(y, predicted.argmax(axis=1), pos_label=1, average="binary", zero_division=0.0)'


_ANNOTATIONS = {"Any": "from typing import Any", "Sequence": "from collections.abc import Sequence"}


def annotation_imports(body: str) -> list[str]:
    """What the annotations of the functions copied from manabu name."""
    return [line for name, line in _ANNOTATIONS.items() if re.search(rf"\b{name}\[?\b", body)]


def script_classes(schema: Schema) -> list[str]:
    return [name for column_type, name in ((ColumnType.DATETIME, "DatetimeParts"), (ColumnType.TEXT, "TextEmbedding"))
            if schema.of_type(column_type)]


def main_section(task: str, classes: list[str], sampled: bool = False) -> str:
    """main(): read, score on manabu's folds, save with --save; ``sampled``: each fit takes the
    seeded sample of its rows that manabu's took (``ROW_FRACTION``)."""
    main = _main_template(task, classes, sampled)
    return _SAMPLE + "\n\n\n" + main if sampled else main


_SAMPLE = textwrap.dedent('''\
    def sample(rows, seed):
        """The seeded sample of ``rows`` (ROW_FRACTION of them, in order) that manabu fitted on:
        its search fitted this model on part of the rows to finish within the time limit."""
        size = max(1, int(round(len(rows) * ROW_FRACTION)))
        return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))''')

# main()'s lines for a model fitted on a sample of the rows, by their placeholders; without one,
# the placeholders go and the model is fitted on X, y
_SAMPLE_LINES = {
    "FOLD_SAMPLE\n": "        train = sample(train, SEED + number - 1)  # manabu's sample of this fold's rows\n",
    "SAVED_SAMPLE\n": "        rows = sample(np.arange(len(y)), SEED)  # manabu refit on this sample of every row\n",
    "ALL_ROWS": "X.iloc[rows], y[rows]",
}
_NO_SAMPLE_LINES = {"FOLD_SAMPLE\n": "", "SAVED_SAMPLE\n": "", "ALL_ROWS": "X, y"}


def _main_template(task: str, classes: list[str], sampled: bool) -> str:
    if task == "regression":
        target = textwrap.dedent('''\
            y = pd.to_numeric(frame[TARGET], errors="coerce").to_numpy(dtype=float)
            keep = np.isfinite(y)
            frame, y, classes = frame.loc[keep].reset_index(drop=True), y[keep], []''')
    else:
        target = textwrap.dedent('''\
            frame = frame.loc[frame[TARGET].notna()].reset_index(drop=True)
            classes = sorted(pd.unique(frame[TARGET]).tolist(), key=lambda v: (str(type(v)), v))
            y = pd.Categorical(frame[TARGET], categories=classes).codes.astype(int)''')
    main = textwrap.dedent('''\
        def main():
            parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
            parser.add_argument("data", nargs="?", default=DATA,
                                help="the data file (default: the one manabu trained on)")
            parser.add_argument("--save", metavar="FILE",
                                help="also train on every row and save the model with joblib")
            args = parser.parse_args()
            if args.data is None:
                parser.error("データファイルを指定してください / give the data file: python train_best.py DATA")
            frame = read_data(args.data)
            missing = [name for name in [TARGET, *FEATURES] if name not in frame.columns]
            if missing:
                parser.error(f"{args.data} に列がありません / lacks the columns: {', '.join(missing)}")
        TARGET_LINES
            X = prepare(frame)
            folds = make_folds(y, frame)
            predicted = np.full((len(y), len(classes)) if classes else len(y), np.nan)
            for number, (train, valid) in enumerate(folds, start=1):
        FOLD_SAMPLE
                fitted = fit(X.iloc[train], y[train])
                predicted[valid] = predict(fitted, X.iloc[valid], len(classes))
                print(f"fold {number}/{len(folds)}: {METRIC} {score(y[valid], predicted[valid]):.4f}")
            scored = ~np.isnan(predicted.reshape(len(y), -1)).any(axis=1)
            print(f"{METRIC} {score(y[scored], predicted[scored]):.4f} "
                  f"(manabu's leaderboard: {LEADERBOARD_SCORE:.4f})")
            if args.save:
                import joblib
        SAVED_CLASSES
        SAVED_SAMPLE
                model = {"model": fit(ALL_ROWS), "classes": classes, "features": FEATURES}
                joblib.dump(model, args.save)
                print(f"saved / 保存しました: {args.save}")''').replace(
        "TARGET_LINES", textwrap.indent(target, "    ")).replace("SAVED_CLASSES\n", _saved_classes(classes))
    for placeholder, lines in (_SAMPLE_LINES if sampled else _NO_SAMPLE_LINES).items():
        main = main.replace(placeholder, lines)
    return main


def _saved_classes(classes: list[str]) -> str:
    """Classes defined in the script are pickled under its file's name, so that joblib.load
    finds them by importing the script (kept beside the model file, or on the Python path)."""
    if not classes:
        return ""
    return ("        import sys\n"
            "        here = Path(__file__).stem  # joblib.load imports this file for the classes defined in it\n"
            "        sys.modules[here] = sys.modules[__name__]\n"
            f"        for defined_here in ({', '.join(classes)},):\n"
            "            defined_here.__module__ = here\n")
