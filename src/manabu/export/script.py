"""``manabu export-code``: the best single model of a run as a standalone Python script.

The script reads the data file, types each column as manabu's schema did, builds the same
preprocessing and model with plain pandas, scikit-learn and the boosting libraries, scores it
on the same folds and prints the score beside the leaderboard's. It imports nothing from
manabu: what manabu adds to a library (reading "1,234円" as a number, early stopping on
held-out rows, its own date and text transformers) is copied into the script from manabu's own
source, so the two cannot drift apart unnoticed (tests run the script and compare).
"""
from __future__ import annotations

import ast
import inspect
import re
import textwrap
from datetime import date
from typing import Any

from manabu.data.schema import values as schema_module
from manabu.data.schema import ColumnType, Schema
from manabu.data.splits import TIME, ValidationPlan, plan_splitter
from manabu.base.errors import ConfigError
from manabu.export.source import Source, string_literal
from manabu.features import datetime as datetime_module
from manabu.features import text as text_module
from manabu.features.preprocess import PreprocessKind
from manabu.base.i18n import Message
from manabu.models import early_stopping
from manabu.models.catboost import family as catboost_family
from manabu.models.zoo import ZOO
from manabu.search.candidate import Candidate

# the column lists the script defines, by the schema type they hold
TYPE_LISTS = {ColumnType.NUMERIC: "NUMERIC", ColumnType.BOOLEAN: "BOOLEAN", ColumnType.CATEGORICAL: "CATEGORICAL",
              ColumnType.HIGH_CARDINALITY: "HIGH_CARDINALITY", ColumnType.DATETIME: "DATETIME",
              ColumnType.TEXT: "TEXT"}
EARLY_STOPPING = frozenset({"lightgbm", "xgboost", "catboost"})


def export_script(schema: Schema, training: dict[str, Any], model_dir: str = "") -> str:
    """The script for the best single model of the run ``training`` records (the manifest's
    ``training``): the chosen model, or the best single member of the leaderboard when an
    ensemble was chosen."""
    row = best_single_row(training)
    task, seed = training["task"], int(training["config"].get("seed", 0))
    candidate = Candidate(row["model"], ZOO[row["family"]], dict(row.get("params") or {}), row.get("origin", ""))
    pipeline, _ = candidate.build(schema, task, seed, n_rows=int(training["n_rows"]))
    preprocess, model = pipeline.steps[0][1], pipeline.steps[1][1]
    n_categorical = len(schema.of_type(ColumnType.CATEGORICAL)) if candidate.entry.preprocess is PreprocessKind.TREE else 0
    plan = ValidationPlan.from_dict(training["validation"])
    source = Source(names={tuple(schema.of_type(t)): _column_list(t) for t in TYPE_LISTS if schema.of_type(t)},
                    defined=frozenset({"DatetimeParts", "TextEmbedding"}))
    parts = _Parts(source)
    body = "\n\n\n".join(section.strip() for section in [
        _settings(schema, training, row, seed, n_categorical, candidate.family),
        _READING,
        _preparing(schema, parts),
        *_transformers(schema, parts),
        _builders(source, preprocess, model),
        _fitting(candidate.family, task, n_categorical, parts),
        _validation(plan, training["config"], parts),
        _scoring(training["metric"], task, parts),
        _main(task, _script_classes(schema)),
    ])
    parts.need(*_annotation_imports(body))
    head = _docstring(training, row, model_dir) + "\n" + "\n".join(parts.import_lines()) + "\n"
    return head + "\n\n" + body + '\n\n\nif __name__ == "__main__":\n    main()\n'


def _column_list(column_type: ColumnType) -> str:
    """The expression for the columns of one type: booleans and dates are dicts (name: how to read it)."""
    name = TYPE_LISTS[column_type]
    return f"list({name})" if column_type in (ColumnType.BOOLEAN, ColumnType.DATETIME) else name


def best_single_row(training: dict[str, Any]) -> dict[str, Any]:
    """The leaderboard's best ranked row of one model family that a script can rebuild (an
    ensemble has no single pipeline; the text families need manabu's word analysers)."""
    for row in training["leaderboard"]:
        if row.get("rank") is not None and row.get("family") in ZOO and not ZOO[row["family"]].needs_text:
            return row
    raise ConfigError("export.no_single_model")


def _text_family_above(training: dict[str, Any], row: dict[str, Any]) -> str | None:
    """A text family's model ranked above the one written out, if any."""
    for above in training["leaderboard"]:
        if above is row:
            return None
        family = above.get("family")
        if above.get("rank") is not None and family in ZOO and ZOO[family].needs_text:
            return above["model"]
    return None


class _Parts:
    """What the script's sections need imported, gathered as they are written."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.lines: set[str] = {"import argparse", "import json", "from pathlib import Path",
                                "import numpy as np", "import pandas as pd"}

    def need(self, *lines: str) -> None:
        self.lines.update(lines)

    def import_lines(self) -> list[str]:
        lines = self.lines | set(self.source.import_lines())
        plain = sorted(line for line in lines if line.startswith("import "))
        from_lines = sorted(line for line in lines if line.startswith("from "))
        return plain + from_lines


# ------------------------------------------------------------------------------------ sections

def _docstring(training: dict[str, Any], row: dict[str, Any], model_dir: str) -> str:
    chosen = training["best_model"]
    validation = Message(training["validation_text"]["key"], training["validation_text"].get("params", {}))
    lines = [f'"""{row["model"]} ({row["family"]}): the best single model of a manabu run.',
             "",
             "Rebuilt with plain libraries: pandas, scikit-learn and the model's own library.",
             f"Written by `manabu export-code {model_dir}` on {date.today().isoformat()}; it does not "
             "import manabu."]
    if chosen != row["model"]:
        lines += [f"manabu chose {chosen!r}, which combines several models; this script rebuilds the best",
                  "single model among them."]
    text_model = _text_family_above(training, row)
    if text_model is not None:
        lines += [f"{text_model!r} ranked higher, but it reads words with manabu's Japanese/English analysers,",
                  "which a plain script cannot rebuild: this is the best model of the other families."]
    lines += ["",
              "    python train_best.py [DATA] [--save MODEL.joblib]",
              "",
              "It reads DATA (by default the file manabu trained on), prepares its columns as manabu did,",
              f"scores the model on the same validation ({validation.render('en')})",
              "and prints the score beside manabu's leaderboard. With --save it also trains on every row",
              'and saves the fitted model with joblib.',
              '"""']
    return "\n".join(lines)


def _settings(schema: Schema, training: dict[str, Any], row: dict[str, Any], seed: int, n_categorical: int,
              family: str) -> str:
    source = training.get("source") or {}
    lines = [
        f"DATA = {_value(source.get('path'))}  # the file manabu trained on",
        f"ENCODING = {_value(source.get('encoding') or 'utf-8')}",
        f"SEPARATOR = {_value(source.get('sep') or ',')}",
        f"SHEET = {_value(source.get('sheet') if source.get('sheet') is not None else 0)}",
        f"TARGET = {_value(training['config']['target'])}",
        f"METRIC = {_value(training['metric'])}",
        f"SEED = {seed}",
        f"LEADERBOARD_SCORE = {row['score']!r}  # {row['model']} on manabu's leaderboard",
        "",
        "# The columns as manabu typed them; the model sees these and no others.",
    ]
    for column_type, name in TYPE_LISTS.items():
        names = schema.of_type(column_type)
        if names and column_type is ColumnType.BOOLEAN:
            words = {c.name: (sorted(c.true_values or []), sorted(c.false_values or [])) for c in schema.features
                     if c.type is ColumnType.BOOLEAN}
            lines.append(f"BOOLEAN = {_literal(words)}  # column: (its words for true, its words for false)")
        elif names and column_type is ColumnType.DATETIME:
            formats = {c.name: c.datetime_format or "ISO8601" for c in schema.features if c.type is ColumnType.DATETIME}
            lines.append(f"DATETIME = {_literal(formats)}  # column: the format its text is read with")
        elif names:
            lines.append(f"{name} = {_literal(names)}")
    lines.append(f"FEATURES = {_literal([c.name for c in schema.features])}")
    left_out = [f"{c.name} ({c.role.value if c.role.value != 'dropped' else c.type.value})"
                for c in schema.columns if c.role.value not in ("feature", "target")]
    if left_out:
        lines.append("# left out: " + ", ".join(left_out))
    if n_categorical and family in EARLY_STOPPING | {"hist_gradient_boosting"}:
        lines.append(f"CATEGORY_CODES = list(range({n_categorical}))  # the first columns of the "
                     "preprocessed matrix hold category codes")
    return "\n".join(lines)


def _value(value: Any) -> str:
    return Source().render(value)


def _literal(value: Any) -> str:
    """A list or dict of names as source: on one line when short, else filled to the width."""
    items = ([f"{string_literal(k)}: {Source().render(v)}" for k, v in value.items()] if isinstance(value, dict)
             else [Source().render(v) for v in value])
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    one_line = opening + ", ".join(items) + closing
    if len(one_line) <= 90:
        return one_line
    if isinstance(value, dict):
        return opening + "\n" + "".join(f"    {item},\n" for item in items) + closing
    lines, line = [], "   "
    for item in items:
        if len(line) + len(item) + 2 > 100:
            lines.append(line.rstrip())
            line = "   "
        line += f" {item},"
    return opening + "\n" + "\n".join([*lines, line.rstrip()]) + "\n" + closing


_READING = textwrap.dedent('''\
        def read_data(path):
            """The table, read as manabu read it: column names as text."""
            suffix = Path(path).suffix.lower()
            if suffix in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            elif suffix in (".xlsx", ".xlsm"):
                frame = pd.read_excel(path, sheet_name=SHEET)
            elif suffix in (".json", ".jsonl", ".ndjson"):
                text = Path(path).read_text(encoding=ENCODING)
                try:
                    records = json.loads(text)
                except json.JSONDecodeError:  # one JSON object per line
                    records = [json.loads(line) for line in text.splitlines() if line.strip()]
                frame = pd.json_normalize(records) if isinstance(records, list) else pd.DataFrame(records)
            else:
                frame = pd.read_csv(path, sep=SEPARATOR, encoding=ENCODING, index_col=False, low_memory=False)
            frame.columns = [str(name) for name in frame.columns]
            return frame''')


def _preparing(schema: Schema, parts: _Parts) -> str:
    """prepare(): each feature typed as ``Schema.prepare`` types it, with manabu's own parsing
    functions copied in."""
    present = {t for t in TYPE_LISTS if schema.of_type(t)}
    text_types = [TYPE_LISTS[t] for t in (ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY, ColumnType.TEXT)
                  if t in present]
    parts.need("import re", "import unicodedata", "from datetime import date, datetime")
    helpers = [_constants(schema_module, "_INT_TEXT", "_FLOAT_TEXT", "_FORMATTED", "TRUE_WORDS", "FALSE_WORDS"),
               *(_function(schema_module, name) for name in
                 ("float_text", "canonical_text", "norm_text", "normalised", "parse_number", "bool_token")),
               _AS_FUNCTIONS]
    lines = ['def prepare(frame):',
             '    """The feature columns typed as manabu typed them for its models."""',
             '    columns = {}']
    if ColumnType.NUMERIC in present:
        lines += ["    for name in NUMERIC:", "        columns[name] = as_number(frame[name])"]
    if ColumnType.BOOLEAN in present:
        lines += ["    for name, (true_words, false_words) in BOOLEAN.items():",
                  "        columns[name] = as_boolean(frame[name], true_words, false_words)"]
    if text_types:
        lines += [f"    for name in {' + '.join(text_types)}:", "        columns[name] = as_text(frame[name])"]
    if ColumnType.DATETIME in present:
        lines += ["    for name, date_format in DATETIME.items():",
                  "        columns[name] = as_datetime(frame[name], date_format)"]
    lines += ["    return pd.DataFrame(columns, index=frame.index)[FEATURES]"]
    return "# ---- manabu's rules for reading values (copied from manabu.data.schema)\n\n" + \
        "\n\n\n".join(helpers) + "\n\n\n" + "\n".join(lines)


_AS_FUNCTIONS = textwrap.dedent('''\
    def as_number(values):
        """Floats: numbers as they are, text read as manabu reads it ("1,234円", "▲5", full-width
        digits); ±inf and what cannot be read become NaN."""
        if pd.api.types.is_timedelta64_dtype(values.dtype):
            numbers = values.dt.total_seconds()
        elif pd.api.types.is_numeric_dtype(values.dtype):
            numbers = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index)
        else:
            numbers = values.astype(object).map(lambda v: parse_number(normalised(v)), na_action="ignore")
        return numbers.astype(float).replace([np.inf, -np.inf], np.nan)


    def as_boolean(values, true_words, false_words):
        """1.0, 0.0 or NaN: the column's own words first, then common words for true and false."""
        if pd.api.types.is_bool_dtype(values.dtype):
            return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index)

        def read(value):
            word = bool_token(value)
            if word in true_words:
                return 1.0
            if word in false_words:
                return 0.0
            return 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else np.nan

        return values.astype(object).map(read, na_action="ignore").astype(float)


    def as_text(values):
        """Categories and text as strings, one spelling per value (1, 1.0 and "1" alike)."""
        texts = values.astype(object).map(canonical_text, na_action="ignore")
        return texts.where(texts.notna(), np.nan)


    def as_datetime(values, date_format):
        """Naive UTC datetimes; text is read with the format manabu found for the column."""
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            return values.astype("datetime64[ns]")
        texts = values.astype(object).map(normalised, na_action="ignore")
        if date_format == "%Y%m%d":
            texts = texts.where(texts.astype(str).str.fullmatch(r"\\d{8}"))
        parsed = pd.to_datetime(texts, format=date_format, errors="coerce", utc=True)
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")''')


def _transformers(schema: Schema, parts: _Parts) -> list[str]:
    """manabu's date and text transformers, copied whole, when the data has such columns."""
    modules = [(ColumnType.DATETIME, datetime_module), (ColumnType.TEXT, text_module)]
    sections = []
    for column_type, module in modules:
        if schema.of_type(column_type):
            imports, body = _module_body(module)
            parts.need(*imports)
            sections.append(f"# ---- copied from {module.__name__}\n\n{body}")
    return sections


def _builders(source: Source, preprocess, model) -> str:
    return (f'def make_preprocess():\n    """The preprocessing manabu built for this model family."""\n'
            f"    return {source.render(preprocess, 4)}\n\n\n"
            f'def make_model():\n    """The model with the hyperparameters the search chose."""\n'
            f"    return {source.render(model, 4)}")


def _fitting(family: str, task: str, n_categorical: int, parts: _Parts) -> str:
    classification = task != "regression"
    sections = []
    if family in EARLY_STOPPING:
        parts.need("from sklearn.model_selection import train_test_split")
        sections.append(_constants(early_stopping, "PATIENCE", "HOLDOUT", "MIN_HOLDOUT_ROWS", "SMALL_DATA_TREES")
                        + "\n\n\n" + _function(early_stopping, "holdout_split"))
    if family == "catboost":
        sections.append(_constants(catboost_family, "MISSING_CODE") + "\n\n\n"
                        + _function(catboost_family, "category_frame").replace("isinstance(X, Pool)", "False"))
    fit = _FIT[family if family in EARLY_STOPPING else "plain"]
    if family == "lightgbm":
        parts.need("import lightgbm")
        long_call = "],\n" + " " * 18 + "categorical_feature=CATEGORY_CODES)"
        fit = fit.replace("], CATEGORIES)", long_call if n_categorical else "])")
        fit = fit.replace(", CATEGORIES)", ", categorical_feature=CATEGORY_CODES)" if n_categorical else ")")
    if family == "xgboost" and n_categorical:
        fit = fit.replace("    # CATEGORIES\n", _XGBOOST_CATEGORIES)
    fit = fit.replace("    # CATEGORIES\n", "")
    features = "category_frame(preprocess.transform(X), CATEGORY_CODES)" if family == "catboost" and n_categorical \
        else "preprocess.transform(X)"
    if family == "catboost" and n_categorical:
        fit = fit.replace("    # CATBOOST\n", "    features = category_frame(features, CATEGORY_CODES)\n")
    fit = fit.replace("    # CATBOOST\n", "")
    classes = "np.unique(y)" if classification else "None"
    fit = fit.replace("    # CODES\n", "    seen, codes = np.unique(y, return_inverse=True)  # XGBoost wants the classes as 0..k-1\n"
                      if classification else "    seen, codes = None, y\n")
    sections.append(fit.replace("CLASSES_SEEN", classes).replace("CLASSIFICATION", str(classification)).strip())
    predict = _PREDICT_CLASSES if classification else _PREDICT_VALUES
    sections.append(predict.replace("FEATURES_OF_X", features))
    return "# ---- training\n\n" + "\n\n\n".join(sections)


_FIT = {
    "plain": textwrap.dedent('''\
        def fit(X, y):
            """Preprocessing and model fitted on the rows given, and the classes they saw."""
            preprocess = make_preprocess()
            features = preprocess.fit_transform(X, y)
            model = make_model()
            model.fit(features, y)
            return preprocess, model, CLASSES_SEEN
        '''),
    "lightgbm": textwrap.dedent('''\
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
        '''),
    "xgboost": textwrap.dedent('''\
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
        '''),
    "catboost": textwrap.dedent('''\
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
        '''),
}

_XGBOOST_CATEGORIES = ('    model.set_params(enable_categorical=True, feature_types=["c"] * len(CATEGORY_CODES)\n'
                       '                     + ["q"] * (features.shape[1] - len(CATEGORY_CODES)))\n')

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


def _validation(plan: ValidationPlan, config: dict[str, Any], parts: _Parts) -> str:
    source = parts.source
    head = ('def make_folds(y, frame):\n    """(training rows, validation rows) of each fold, '
            'as manabu drew them."""\n')
    if plan.kind == TIME:
        order = f"    order = frame[{_value(config.get('time'))}].sort_values(kind=\"stable\").index.to_numpy()\n"
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
        lines.append(f"    groups = pd.factorize(frame[{_value(config.get('group'))}].astype(object), "
                     "use_na_sentinel=False)[0]")
    arguments = {"": "rows", "y": "rows, y", "groups": "rows, groups=groups", "y_groups": "rows, y, groups"}[takes]
    lines.append(f"    return [(np.sort(train), np.sort(valid)) for train, valid in splitter.split({arguments})]")
    return head + "\n".join(lines)


def _time_series_split(n_splits: int):
    from sklearn.model_selection import TimeSeriesSplit
    return TimeSeriesSplit(n_splits)


def _scoring(metric: str, task: str, parts: _Parts) -> str:
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


def _annotation_imports(body: str) -> list[str]:
    """What the annotations of the functions copied from manabu name."""
    return [line for name, line in _ANNOTATIONS.items() if re.search(rf"\b{name}\[?\b", body)]


def _script_classes(schema: Schema) -> list[str]:
    return [name for column_type, name in ((ColumnType.DATETIME, "DatetimeParts"), (ColumnType.TEXT, "TextEmbedding"))
            if schema.of_type(column_type)]


def _main(task: str, classes: list[str]) -> str:
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
    return textwrap.dedent('''\
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
                fitted = fit(X.iloc[train], y[train])
                predicted[valid] = predict(fitted, X.iloc[valid], len(classes))
                print(f"fold {number}/{len(folds)}: {METRIC} {score(y[valid], predicted[valid]):.4f}")
            scored = ~np.isnan(predicted.reshape(len(y), -1)).any(axis=1)
            print(f"{METRIC} {score(y[scored], predicted[scored]):.4f} "
                  f"(manabu's leaderboard: {LEADERBOARD_SCORE:.4f})")
            if args.save:
                import joblib
        SAVED_CLASSES
                model = {"model": fit(X, y), "classes": classes, "features": FEATURES}
                joblib.dump(model, args.save)
                print(f"saved / 保存しました: {args.save}")''').replace(
        "TARGET_LINES", textwrap.indent(target, "    ")).replace("SAVED_CLASSES\n", _saved_classes(classes))


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


# ------------------------------------------------------------------------- copying manabu's code

def _function(module, name: str) -> str:
    return inspect.getsource(getattr(module, name)).rstrip()


def _constants(module, *names: str) -> str:
    """Module-level constants, written as the module wrote them."""
    tree = ast.parse(inspect.getsource(module))
    found = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = ast.get_source_segment(inspect.getsource(module), node)
    missing = set(names) - set(found)
    if missing:
        raise LookupError(f"{module.__name__} defines no {sorted(missing)}")
    return "\n".join(found[name] for name in names)


def _module_body(module) -> tuple[list[str], str]:
    """A module's import lines and the rest of its code (no docstring, no imports)."""
    text = inspect.getsource(module)
    tree = ast.parse(text)
    lines = text.splitlines()
    imports, skipped = [], set()
    for node in tree.body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) \
            and node is tree.body[0]
        if isinstance(node, ast.Import | ast.ImportFrom) or is_docstring:
            segment = ast.get_source_segment(text, node)
            if isinstance(node, ast.Import | ast.ImportFrom) and "__future__" not in segment:
                imports.append(segment)
            skipped.update(range(node.lineno - 1, node.end_lineno))
    body = "\n".join(line for i, line in enumerate(lines) if i not in skipped).strip()
    return imports, body
