"""Leakage: features that equal, or nearly equal, the target.

A model that leans on such a column scores well in validation and fails in use, so the user is
told; the column stays a feature, because only the user knows whether it exists at predict time.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from manabu.base.i18n import Notice
from manabu.data.schema.columns import Column, ColumnType, Role
from manabu.data.schema.inference import BLOCK_CELLS, MAX_CATEGORIES, category_limit, float_matrix
from manabu.data.schema.prepare import PREPARE, prepare_numeric
from manabu.data.schema.values import canonical

LEAK_CORRELATION = 0.99
LEAK_PURITY = 0.995


def flag_leakage(df: pd.DataFrame, columns: dict[str, Column], target: str) -> list[Notice]:
    """Flag features that (nearly) equal the target; they stay features, the user decides. The
    genes of an expression matrix are not looked at: one that tells the classes apart is a marker."""
    tcol = columns[target]
    feats = [c for c in columns.values() if c.role is Role.FEATURE and c.block is None]
    numberish = (ColumnType.NUMERIC, ColumnType.BOOLEAN)
    y_num = prepare_numeric(df[target]) if tcol.type is ColumnType.NUMERIC else None
    leaks: set[str] = set()
    if y_num is not None:
        leaks |= _correlated(df, [c for c in feats if c.type in numberish], y_num)
    if 2 <= tcol.n_unique <= MAX_CATEGORIES:
        y_codes, _ = pd.factorize(canonical(df[target]), use_na_sentinel=True)
        few = min(category_limit(len(df)), max(2, len(df) // 10))
        leaks |= {c.name for c in feats if 2 <= c.n_unique <= few and _pure(df[c.name], y_codes)}
    if y_num is None:  # numeric targets: the correlation already caught copies
        texts = (ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY, ColumnType.TEXT)
        leaks |= {c.name for c in feats if c.name not in leaks and c.type in texts
                  and c.n_unique == tcol.n_unique and _equal(df[c.name], df[target])}
    notices = []
    for c in feats:
        if c.name in leaks:
            c.leakage = True
            notices.append(Notice("schema.leakage", {"name": c.name}))
    return notices


def _correlated(df: pd.DataFrame, cols: list[Column], y: np.ndarray) -> set[str]:
    out: set[str] = set()
    step = max(1, BLOCK_CELLS // max(len(y), 1))
    for start in range(0, len(cols), step):
        block = cols[start:start + step]
        by_name = {c.name: c for c in block}
        x = float_matrix(df, list(by_name), lambda s: PREPARE[by_name[s.name].type](s, by_name[s.name]))
        x[np.isinf(x)] = np.nan
        out |= {c.name for c, r in zip(block, _abs_corr(x, y)) if r >= LEAK_CORRELATION}
    return out


def _abs_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|Pearson r| of each column of ``x`` with ``y`` over the rows where both are present."""
    m = ~np.isnan(x) & ~np.isnan(y)[:, None]
    n = m.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mx = np.where(m, x, 0.0).sum(0) / n
        my = np.where(m, y[:, None], 0.0).sum(0) / n
        dx, dy = np.where(m, x - mx, 0.0), np.where(m, y[:, None] - my, 0.0)
        r = (dx * dy).sum(0) / np.sqrt((dx * dx).sum(0) * (dy * dy).sum(0))
    return np.where(n >= 3, np.nan_to_num(np.abs(r)), 0.0)


def _pure(x: pd.Series, y_codes: np.ndarray) -> bool:
    """True when each value of a few-valued feature nearly always goes with one class."""
    x_codes, _ = pd.factorize(canonical(x), use_na_sentinel=True)
    both = (x_codes >= 0) & (y_codes >= 0)
    xc, yc = x_codes[both], y_codes[both]
    if len(xc) < 10:
        return False
    k = int(yc.max()) + 1
    table = np.bincount(xc * k + yc, minlength=(int(xc.max()) + 1) * k).reshape(-1, k)
    errors = len(xc) - table.max(axis=1).sum()
    baseline = len(xc) - table.sum(axis=0).max()
    return bool(errors <= (1 - LEAK_PURITY) * len(xc) and errors < 0.1 * baseline)


def _equal(x: pd.Series, y: pd.Series) -> bool:
    a, b = canonical(x), canonical(y)
    both = pd.notna(a) & pd.notna(b)
    return bool(both.sum() >= 3 and (a[both] == b[both]).mean() >= LEAK_PURITY)
