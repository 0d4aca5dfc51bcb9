"""Rows made up from the schema and the fitted model, predicted both ways before the row path
is trusted. No training data is kept: the rows mix, column by column, values the model knows
(its categories, its split thresholds and the values just beside them, dates around its
origin, n-grams of its vocabulary) with the ones it must survive (missing, unseen, empty).
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from manabu.data.schema import Column, ColumnType, Schema
from manabu.inference.errors import NotCovered, Unsupported
from manabu.inference.compiled import compiled_pipelines
from manabu.inference.preprocess import DateParts, Lookup, Passthrough
from manabu.inference.text import TextVectors
from manabu.inference.text_words import TextWords

TOLERANCE = 1e-6     # largest difference allowed between a row path's answer and the original's
N_ROWS = 96          # random rows, besides the all-missing and all-unseen ones
N_SINGLE = 4         # rows also predicted one at a time
SEED = 0
_TEXTS = ("", "Hello world", "東京都 渋谷区", "x")
_NUMBERS = (0.0, 1.0, -1.0, 0.5, 2.0, 10.0, 1e6, -1e6)


def verify(path: Any, original: Any, schema: Schema) -> None:
    """Raise ``Unsupported`` unless ``path`` answers as ``original`` on the made-up rows."""
    values = verification_values(path, schema)
    n_rows = len(next(iter(values.values())))
    frame = _frame(schema, values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        singles = range(min(N_SINGLE, n_rows))
        try:  # one row at a time too: a dot product of one row may round unlike a batch's
            expected = [_answers(original, frame, path.classifier)]
            expected += [_answers(original, frame.iloc[[i]], path.classifier) for i in singles]
        except Exception as error:
            raise Unsupported(f"the original pipeline fails on the verification rows ({error})") from error
        try:
            got = [_answers_rows(path, values, n_rows)]
            got += [_answers_rows(path, {k: v[i:i + 1] for k, v in values.items()}, 1) for i in singles]
        except NotCovered as reason:
            raise Unsupported(f"verification rows not covered ({reason})") from reason
    for i, (e, g) in enumerate(zip(expected, got)):
        _compare(e, g, "batch" if i == 0 else f"row {i - 1}")


def _answers(model: Any, frame: pd.DataFrame, classifier: bool) -> tuple[np.ndarray, ...]:
    predicted = np.asarray(model.predict(frame))
    if not classifier:
        return (predicted.astype(np.float64),)
    return predicted, np.asarray(model.predict_proba(frame), dtype=np.float64)


def _answers_rows(path: Any, values: dict[str, np.ndarray], n_rows: int) -> tuple[np.ndarray, ...]:
    predicted = np.asarray(path.predict(values, n_rows))
    if not path.classifier:
        return (predicted.astype(np.float64),)
    return predicted, np.asarray(path.predict_proba(values, n_rows), dtype=np.float64)


def _compare(expected: tuple[np.ndarray, ...], got: tuple[np.ndarray, ...], where: str) -> None:
    for e, g in zip(expected, got):
        if e.shape != g.shape:
            raise Unsupported(f"{where}: shape {g.shape} instead of {e.shape}")
        if e.dtype.kind == "f" or g.dtype.kind == "f":
            e, g = e.astype(np.float64), g.astype(np.float64)
            same_missing = np.array_equal(np.isnan(e), np.isnan(g))
            if not same_missing or not np.all(np.abs(np.nan_to_num(e - g)) <= TOLERANCE):
                worst = float(np.nanmax(np.abs(e - g))) if same_missing else float("nan")
                raise Unsupported(f"{where}: answers differ by {worst:.3g}")
        elif not np.array_equal(e, g):
            raise Unsupported(f"{where}: labels differ")


def _frame(schema: Schema, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """The frame ``Schema.prepare`` would give for these prepared values."""
    return pd.DataFrame({c.name: pd.Series(values[c.name], dtype=values[c.name].dtype) for c in schema.features})


# --------------------------------------------------------------------------- the made-up rows

def verification_values(path: Any, schema: Schema) -> dict[str, np.ndarray]:
    """Prepared values for every feature: N_ROWS random rows drawn from each column's pool,
    then a row with every value missing and a row with every category unseen."""
    rng = np.random.default_rng(SEED)
    hints = _hints(path.compiled)
    out = {}
    for col in schema.features:
        pool = _pool(col, hints[col.name], rng)
        picks = [pool[i] for i in rng.integers(0, len(pool), N_ROWS)]
        out[col.name] = _array(col, picks + [_missing(col), _unseen(col)])
    return out


def _hints(compiled: Any) -> dict[str, list[Any]]:
    """Values each column's fitted steps know about, from every compiled pipeline inside."""
    hints: dict[str, list[Any]] = defaultdict(list)
    for member in compiled_pipelines(compiled):
        thresholds = _thresholds(member.model)
        offsets = np.cumsum([0] + member.columns.widths)
        for (block, steps), offset in zip(member.columns.blocks, offsets):
            if isinstance(block, Lookup):
                for name, rows in zip(block.columns, block.rows):
                    hints[name] += list(rows)
            elif isinstance(block, Passthrough) and not steps:
                for j, name in enumerate(block.columns):
                    hints[name] += thresholds.get(int(offset) + j, [])
            elif isinstance(block, DateParts):
                hints.update({name: [origin] for name, origin in zip(block.columns, block.origins)
                              if origin is not None})
            elif isinstance(block, TextVectors):
                hints[block.column] += list(block.vocabulary)
            elif isinstance(block, TextWords):
                hints[block.column] += block.sample_terms()
    return hints


def _thresholds(model: Any) -> dict[int, list[float]]:
    """Split thresholds per input column of a flat-array model, and the floats on each side."""
    forest = getattr(model, "forest", None)
    if forest is None:
        return {}
    inner = forest.left != np.arange(len(forest.left))
    largest = float(np.finfo(np.float32).max) / 2 if forest.float32 else float(np.finfo(np.float64).max) / 2
    by_feature: dict[int, list[float]] = defaultdict(list)
    for f, t in zip(forest.feature[inner].tolist(), forest.threshold[inner].tolist()):
        if len(by_feature[f]) < 64 and abs(t) < largest:  # scikit-learn splits "missing or not" at inf
            by_feature[f] += [t, float(np.nextafter(t, np.inf)), float(np.nextafter(t, -np.inf))]
            if forest.float32:
                t32 = float(np.float32(t))
                by_feature[f] += [t32, float(np.nextafter(np.float32(t), np.float32(np.inf)))]
    return by_feature


def _pool(col: Column, hints: list[Any], rng: np.random.Generator) -> list[Any]:
    if col.type is ColumnType.BOOLEAN:
        return [0.0, 1.0, np.nan]
    if col.type is ColumnType.NUMERIC:
        spread = rng.normal(size=24) * 10.0 ** rng.uniform(-2, 5, size=24)
        return [np.nan, *_NUMBERS, *spread.tolist(), *np.round(spread).tolist(), *hints]
    if col.type is ColumnType.DATETIME:
        origin = hints[0] if hints else 1.7e9
        seconds = origin + rng.uniform(-3650, 3650, size=24) * 86_400.0
        dates = [np.datetime64(int(s * 1e9), "ns") for s in seconds]
        return [np.datetime64("NaT", "ns"), np.datetime64("1960-02-29T13:45:00", "ns"),
                np.datetime64("2024-12-31T23:59:59", "ns"), *dates]
    if col.type is ColumnType.TEXT:
        grams = [h for h in hints if isinstance(h, str)]
        made = ["".join(rng.choice(grams, size=int(rng.integers(1, 8)))) for _ in range(16)] if grams else []
        return [np.nan, *_TEXTS, *made]
    known = [h for h in hints if isinstance(h, str)] + [c for c in col.categories or [] if isinstance(c, str)]
    return [np.nan, "\x00unseen", "unseen value", *known]


def _missing(col: Column) -> Any:
    return np.datetime64("NaT", "ns") if col.type is ColumnType.DATETIME else np.nan


def _unseen(col: Column) -> Any:
    if col.type is ColumnType.DATETIME:
        return np.datetime64("2200-01-01", "ns")
    if col.type in (ColumnType.NUMERIC, ColumnType.BOOLEAN):
        return 123456.789
    return "\x00never seen"


def _array(col: Column, items: list[Any]) -> np.ndarray:
    if col.type in (ColumnType.NUMERIC, ColumnType.BOOLEAN):
        return np.array(items, dtype=np.float64)
    if col.type is ColumnType.DATETIME:
        return np.array(items, dtype="datetime64[ns]")
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
