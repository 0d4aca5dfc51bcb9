"""Validation: how the rows are split to score a model honestly, chosen from the data.

The rules, shown to learners (``choose_validation``):

- **Tiny data** (50 rows or fewer): leave-one-out. Each row is predicted by a model trained on all
  the others; the out-of-fold predictions are pooled before scoring, so ROC-AUC and log loss are
  still defined.
- **Up to 10,000 rows**: 5-fold cross-validation. **Up to 100,000 rows**: 3-fold.
  **More**: a 20 % hold-out, because one split is already a large, stable sample.
- **Classification** keeps the class proportions in every fold (stratified). When the smallest
  class has fewer rows than folds, fewer folds are used (at least 2); when a class has a single
  row, stratifying is impossible and the folds are drawn at random instead.
- **Groups** (``--group``, e.g. a patient or a customer id): all rows of a group stay on the same
  side, so the score says how well the model does on *new* groups. Folds are capped at the number
  of groups (leave-one-group-out for tiny data); classification is stratified as far as the groups
  allow. At least 2 groups are needed.
- **Time** (``--time``): the rows are ordered by time and each split validates on rows that come
  after all its training rows (an expanding window): 5 splits up to 10,000 rows, 3 up to 100,000,
  then the latest 20 % as a hold-out. Shuffling time-ordered data would let the model peek at the
  future.
- **Override** (``--validation``): ``auto``, ``holdout``, ``kfold`` (5 folds), ``loo``, or a number
  of folds such as ``10``; with groups, ``loo`` leaves one group out; with time, ``holdout`` keeps
  the latest 20 % and a number of folds gives that many time-ordered splits. At most 2,000 folds:
  each fold trains one model per candidate.

- **No time for every fold** (k-fold plans, plain, stratified or by group): when no model has
  finished yet and a candidate gave up because its folds would not fit in the time left, the
  search validates on the first folds only, as many as fit (``ValidationPlan.first_folds``):
  each fold of a k-fold split is a hold-out of its own, and a model validated on it beats no
  model. The leaderboard and the report say so.

Everything is seeded, so the same data and seed give the same folds. The splitting itself is
scikit-learn's; this module only chooses the splitter and maps indices.
"""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    LeaveOneOut,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
    train_test_split,
)

from manabu.base.errors import ConfigError, DataError
from manabu.base.i18n import Message, Notice

HOLDOUT, KFOLD, STRATIFIED_KFOLD, GROUP_KFOLD, TIME, LOO = (
    "holdout", "kfold", "stratified_kfold", "group_kfold", "time", "loo",
)
KINDS = (HOLDOUT, KFOLD, STRATIFIED_KFOLD, GROUP_KFOLD, TIME, LOO)

TINY_ROWS = 50            # at most: leave-one-out
SMALL_ROWS = 10_000       # at most: 5 folds
LARGE_ROWS = 100_000      # at most: 3 folds; above: hold-out
MAX_SPLITS = 2_000        # folds beyond this cost too many fits (and O(rows x folds) memory)
HOLDOUT_SIZE = 0.2
SCAFFOLD = "scaffold"
DEFAULT_FOLDS = 5
_CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class ValidationPlan:
    """Which validation to run, and what was adjusted to fit the data (``notes``)."""

    kind: str                         # one of KINDS
    n_splits: int                     # folds; 1 for a hold-out
    test_size: float | None = None    # hold-out fraction (holdout, time hold-out)
    n_rows: int = 0
    stratified: bool = False          # class proportions kept (holdout, group_kfold)
    n_groups: int | None = None       # set when rows are split by group
    seed: int = 0
    notes: tuple[Message, ...] = ()
    # only the first of the folds were scored: the time limit left no time for them all (the
    # search decides, ``manabu.search.loop``); None: all of them
    folds_used: int | None = None
    grouped_by: str | None = None     # "scaffold": the groups are the molecules' scaffolds

    @property
    def can_use_first_folds(self) -> bool:
        """Whether the first folds alone still validate on rows drawn like all of them: each
        fold of a k-fold split is a hold-out of its own (not so for time-ordered splits, whose
        first training window is the shortest)."""
        return self.kind in (KFOLD, STRATIFIED_KFOLD, GROUP_KFOLD) and self.n_splits > 1

    def first_folds(self, used: int) -> ValidationPlan:
        """The plan of which only the first ``used`` folds were scored."""
        return replace(self, folds_used=used if used < self.n_splits else None)

    def describe(self) -> Message:
        """One line for a learner, e.g. "5-fold stratified cross-validation (2,000 rows)"."""
        if self.folds_used is not None:
            return Message("validation.describe_first_folds", {
                "used": self.folds_used, "n_splits": self.n_splits, "n_rows": self.n_rows,
                "pct": round(100 * self.folds_used / self.n_splits)})
        key = {
            HOLDOUT: "describe_group_holdout" if self.n_groups else "describe_holdout",
            KFOLD: "describe_kfold",
            STRATIFIED_KFOLD: "describe_stratified_kfold",
            GROUP_KFOLD: "describe_group_kfold",
            TIME: "describe_time_holdout" if self.n_splits == 1 else "describe_time",
            LOO: "describe_loo",
        }[self.kind]
        if self.stratified and self.kind in (HOLDOUT, GROUP_KFOLD):
            key = key.replace("describe_", "describe_stratified_")
        if self.grouped_by == SCAFFOLD:
            key = "describe_scaffold_holdout" if self.kind == HOLDOUT else "describe_scaffold_kfold"
        params: dict[str, Any] = {"n_splits": self.n_splits, "n_rows": self.n_rows}
        if self.test_size is not None:
            params["pct"] = round(self.test_size * 100)
        if self.n_groups is not None:
            params["n_groups"] = self.n_groups
        return Message(f"validation.{key}", params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "n_splits": self.n_splits,
            "test_size": self.test_size,
            "n_rows": self.n_rows,
            "stratified": self.stratified,
            "n_groups": self.n_groups,
            "seed": self.seed,
            "folds_used": self.folds_used,
            "grouped_by": self.grouped_by,
            "description": self.describe().to_dict(),
            "notes": [note.to_dict() for note in self.notes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationPlan:
        notes = tuple(Notice(n["key"], dict(n.get("params", {}))) for n in data.get("notes", []))
        return cls(
            kind=data["kind"],
            n_splits=int(data["n_splits"]),
            test_size=data.get("test_size"),
            n_rows=int(data.get("n_rows", 0)),
            stratified=bool(data.get("stratified", False)),
            n_groups=data.get("n_groups"),
            seed=int(data.get("seed", 0)),
            notes=notes,
            grouped_by=data.get("grouped_by"),
            folds_used=data.get("folds_used"),
        )


def choose_validation(
    n_rows: int,
    task: str,
    y: Any = None,
    *,
    groups: Any = None,
    time: Any = None,
    override: str | int | None = None,
    seed: int = 0,
) -> ValidationPlan:
    """The validation that suits these data (rules in the module docstring).

    ``y`` (the encoded target) lets classification be stratified; ``groups`` and ``time`` are
    per-row values (one of them at most). ``override`` is the user's ``--validation``; with
    "scaffold", ``groups`` are the molecules' scaffolds, and the folds are chosen as for groups.
    """
    scaffold = isinstance(override, str) and override.strip().lower() == SCAFFOLD
    if scaffold:
        if groups is None:
            raise ConfigError("molecules.scaffold_needs_smiles")
        override = None
    if n_rows < 2:
        raise DataError("validation.too_few_rows", n_rows=n_rows)
    if groups is not None and time is not None:
        raise ConfigError("validation.group_and_time")
    mode, k = _parse_override(override)
    if k is not None and k > n_rows:
        raise ConfigError("validation.too_many_folds", n_splits=k, n_rows=n_rows)
    counts = _class_counts(y, n_rows) if str(task) in _CLASSIFICATION and y is not None else None
    if time is not None:
        _time_order(time, n_rows)  # fail early on missing times
        plan = _time_plan(n_rows, mode, k, seed)
    elif groups is not None:
        plan = _group_plan(n_rows, counts, _group_codes(groups, n_rows), mode, k, seed)
    else:
        plan = _plain_plan(n_rows, counts, mode, k, seed)
    if plan.n_splits > MAX_SPLITS:
        raise ConfigError("validation.too_many_splits", n_splits=plan.n_splits, max_splits=MAX_SPLITS)
    if scaffold:
        note = Notice("molecules.scaffold_note", {"n_groups": plan.n_groups})
        plan = replace(plan, grouped_by=SCAFFOLD, notes=(*plan.notes, note))
    return plan


def _parse_override(override: str | int | None) -> tuple[str | None, int | None]:
    """``(mode, folds)``: mode is None (auto), "holdout", "loo" or "kfold" with its folds."""
    if override is None:
        return None, None
    text = str(override).strip().lower().replace("-", "_")
    if text in ("", "auto"):
        return None, None
    if text in ("holdout", "hold_out"):
        return HOLDOUT, None
    if text in ("loo", "leave_one_out"):
        return LOO, None
    if text in ("kfold", "cv"):
        return KFOLD, DEFAULT_FOLDS
    match = re.fullmatch(r"(?:cv)?(\d+)(?:_?fold)?", text)
    if match and int(match.group(1)) >= 2:
        return KFOLD, int(match.group(1))
    raise ConfigError("validation.bad_override", value=str(override))


def _auto_folds(n_rows: int) -> int | None:
    """Folds by size; None above LARGE_ROWS, where a hold-out is used."""
    if n_rows <= SMALL_ROWS:
        return DEFAULT_FOLDS
    return 3 if n_rows <= LARGE_ROWS else None


def _class_counts(y: Any, n_rows: int) -> np.ndarray:
    codes = pd.factorize(pd.Series(np.asarray(y, dtype=object)), use_na_sentinel=False)[0]
    _check_length(codes, n_rows, "y")
    return np.bincount(codes)


def _group_codes(groups: Any, n_rows: int) -> np.ndarray:
    """Groups as integer codes; a missing value is one group of its own."""
    codes = pd.factorize(pd.Series(np.asarray(groups, dtype=object)), use_na_sentinel=False)[0]
    _check_length(codes, n_rows, "groups")
    return codes


def _check_length(values: np.ndarray, n_rows: int, what: str) -> None:
    if len(values) != n_rows:
        raise ValueError(f"{what} has {len(values)} values for {n_rows} rows")


def _plain_plan(
    n_rows: int, counts: np.ndarray | None, mode: str | None, k: int | None, seed: int
) -> ValidationPlan:
    if mode == LOO or (mode is None and n_rows <= TINY_ROWS):
        return ValidationPlan(LOO, n_rows, None, n_rows, seed=seed)
    k = k if mode == KFOLD else (None if mode == HOLDOUT else _auto_folds(n_rows))
    if k is None:
        n_valid = math.ceil(HOLDOUT_SIZE * n_rows)
        can = bool(counts is not None and counts.min() >= 2 and min(n_valid, n_rows - n_valid) >= len(counts))
        notes = (_unstratified(counts),) if counts is not None and not can else ()
        return ValidationPlan(HOLDOUT, 1, HOLDOUT_SIZE, n_rows, can, seed=seed, notes=notes)
    if counts is None:
        return ValidationPlan(KFOLD, k, None, n_rows, seed=seed)
    smallest = int(counts.min())
    if smallest < 2:
        return ValidationPlan(KFOLD, k, None, n_rows, seed=seed, notes=(_unstratified(counts),))
    notes: tuple[Message, ...] = ()
    if smallest < k:
        notes = _fewer("note_fewer_folds", smallest, k, min_count=smallest)
        k = smallest
    return ValidationPlan(STRATIFIED_KFOLD, k, None, n_rows, True, seed=seed, notes=notes)


def _fewer(key: str, n_splits: int, wanted: int, **params: int) -> tuple[Message, ...]:
    """The notice that fewer folds than ``wanted`` are used, and why."""
    return (Notice(f"validation.{key}", {"n_splits": n_splits, "wanted": wanted, **params}),)


def _unstratified(counts: np.ndarray) -> Message:
    return Notice("validation.note_unstratified", {"n_classes": len(counts), "min_count": int(counts.min())})


def _group_plan(
    n_rows: int, counts: np.ndarray | None, codes: np.ndarray, mode: str | None, k: int | None, seed: int
) -> ValidationPlan:
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise ConfigError("validation.too_few_groups", n_groups=n_groups)
    if mode == HOLDOUT or (mode is None and n_rows > LARGE_ROWS):
        return ValidationPlan(HOLDOUT, 1, HOLDOUT_SIZE, n_rows, n_groups=n_groups, seed=seed)
    if mode == LOO or (mode is None and n_rows <= TINY_ROWS):
        k = n_groups  # leave one group out
    elif mode is None:
        k = _auto_folds(n_rows)
    notes: tuple[Message, ...] = ()
    if k > n_groups:
        notes = _fewer("note_few_groups", n_groups, k, n_groups=n_groups)
        k = n_groups
    # StratifiedGroupKFold needs some class with at least as many rows as folds
    stratified = counts is not None and int(counts.max()) >= k
    return ValidationPlan(GROUP_KFOLD, k, None, n_rows, stratified, n_groups, seed, notes)


def _time_plan(n_rows: int, mode: str | None, k: int | None, seed: int) -> ValidationPlan:
    if mode == LOO:
        raise ConfigError("validation.loo_with_time")
    if mode is None:
        k = _auto_folds(n_rows)
    if mode == HOLDOUT or k is None or n_rows < 3:
        return ValidationPlan(TIME, 1, HOLDOUT_SIZE, n_rows, seed=seed)
    notes: tuple[Message, ...] = ()
    if k > n_rows - 1:  # each split validates on at least one row
        notes = _fewer("note_short_series", n_rows - 1, k, n_rows=n_rows)
        k = n_rows - 1
    return ValidationPlan(TIME, k, None, n_rows, seed=seed, notes=notes)


def _time_order(time: Any, n_rows: int) -> np.ndarray:
    """Positions sorted by time (stable, so ties keep their row order)."""
    series = pd.Series(time).reset_index(drop=True)
    _check_length(series, n_rows, "time")
    n_missing = int(series.isna().sum())
    if n_missing:
        raise DataError("validation.time_missing", n_missing=n_missing, n_rows=n_rows)
    return series.sort_values(kind="stable").index.to_numpy()


def make_folds(
    plan: ValidationPlan,
    n_rows: int,
    y: Any = None,
    *,
    groups: Any = None,
    time: Any = None,
    seed: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, valid)`` positional indices (sorted) for each fold of ``plan``.

    ``seed`` defaults to the plan's. Stratified plans need ``y``, group plans ``groups``, time
    plans ``time``.
    """
    seed = plan.seed if seed is None else seed
    folds = [(np.sort(train), np.sort(valid)) for train, valid in _split(plan, n_rows, y, groups, time, seed)]
    return [(train.astype(np.intp), valid.astype(np.intp)) for train, valid in folds][: plan.folds_used]


def _split(
    plan: ValidationPlan, n_rows: int, y: Any, groups: Any, time: Any, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    X = np.zeros((n_rows, 1))  # the splitters only need the number of rows
    if plan.kind == TIME:
        order = _time_order(time, n_rows)
        if plan.n_splits == 1:
            train, valid = train_test_split(order, test_size=plan.test_size, shuffle=False)
            return iter([(train, valid)])
        return ((order[t], order[v]) for t, v in TimeSeriesSplit(plan.n_splits).split(order))
    splitter, takes = plan_splitter(plan, seed)
    if takes == "y":
        return splitter.split(X, _need(y, "y"))
    if takes == "groups":
        return splitter.split(X, groups=_group_codes(_need(groups, "groups"), n_rows))
    if takes == "y_groups":
        codes = _group_codes(_need(groups, "groups"), n_rows)
        with warnings.catch_warnings():  # "least populated class" is expected with groups
            warnings.simplefilter("ignore", UserWarning)
            return iter(list(splitter.split(X, _need(y, "y"), codes)))
    return splitter.split(X)


def plan_splitter(plan: ValidationPlan, seed: int | None = None) -> tuple[Any, str]:
    """The scikit-learn splitter of a plan that is not ordered by time, and what its ``split``
    takes besides the rows: "" (nothing), "y", "groups" or "y_groups" (``manabu export-code``
    writes the same splitter into its script)."""
    seed = plan.seed if seed is None else seed
    if plan.kind == LOO:
        return LeaveOneOut(), ""
    if plan.kind == KFOLD:
        return KFold(plan.n_splits, shuffle=True, random_state=seed), ""
    if plan.kind == STRATIFIED_KFOLD:
        return StratifiedKFold(plan.n_splits, shuffle=True, random_state=seed), "y"
    if plan.kind == GROUP_KFOLD:
        if not plan.stratified:
            return GroupKFold(plan.n_splits), "groups"  # balanced by group size
        return StratifiedGroupKFold(plan.n_splits, shuffle=True, random_state=seed), "y_groups"
    if plan.kind == HOLDOUT:
        if plan.n_groups:
            return GroupShuffleSplit(1, test_size=plan.test_size, random_state=seed), "groups"
        if plan.stratified:
            return StratifiedShuffleSplit(1, test_size=plan.test_size, random_state=seed), "y"
        return ShuffleSplit(1, test_size=plan.test_size, random_state=seed), ""
    raise ValueError(f"no single splitter for validation kind {plan.kind!r}; expected one of {KINDS}")


def _need(values: Any, what: str) -> np.ndarray:
    if values is None:
        raise ValueError(f"this validation plan needs {what}")
    return np.asarray(values)
