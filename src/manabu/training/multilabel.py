"""Several target columns at once (multi-label: tox21's twelve 0/1 assays), missing labels masked.

A manabu search per label, each on the rows where that label is present (a row missing label A
still trains label B: masked, not dropped row-wise) and with the other labels out of its features
(they are targets, and would leak). The labels share the time limit and what their searches find
(``training.multilabel_sharing``): each label's search opens with the configurations chosen for
the labels before it, is validated on its first fold, and gets an equal share of the time left,
less what the labels before it overran their shares by.

``MultiLabelPredictor`` answers a column per label. It is saved as one ordinary Predictor folder
per label (``labels/NN-name/``, each loadable on its own) inside a folder whose manifest, of kind
"multilabel", lists them and checksums every file (a ``ContainerCodec``, so ``save_model``
writes it atomically and ``load_model`` checks it as any other folder). The module is light (an
entry point of ``manabu.plugins``): the search is imported only when ``fit_labels`` runs.
"""
from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from manabu.artifact import REPORT_FILE, load_model, save_model
from manabu.artifact.codecs import ContainerCodec, register_codec
from manabu.artifact.pages import page, page_maker
from manabu.base.errors import ArtifactError, ConfigError, SchemaError, TargetError
from manabu.base.i18n import Message
from manabu.base.loaded import instance_of
from manabu.data.read import read
from manabu.data.schema.checks import require_column
from manabu.training.config import DEFAULT_TIME_LIMIT, TrainConfig
from manabu.training.multilabel_sharing import (MIN_LABEL_SECONDS, SHARING, SharedSearch, label_folds,
                                                label_seconds)
from manabu.training.predictor import Predictor

__all__ = ["MIN_LABEL_SECONDS", "MultiLabelPredictor", "check_targets", "fit_labels", "label_seconds", "target_names"]

KIND = "multilabel"
LABELS_FOLDER = "labels"


def target_names(text: str) -> str | list[str]:
    """The CLI's ``--target``: "a,b,c" is several labels, "a" one target (names stripped, empty
    ones left out: "a,b," is two labels)."""
    names = [name.strip() for name in str(text).split(",") if name.strip()] or [str(text)]
    return names[0] if len(names) == 1 else names


def check_targets(frame: pd.DataFrame, targets: list[str]) -> None:
    """One clear error for what would make a multi-label fit fail or mislead: no or repeated
    names, a name not in the data (with the closest names), no label on any row, a label column
    with no value or a single class among its present values."""
    if not targets:
        raise ConfigError("multilabel.no_targets")
    repeated = sorted({name for name in targets if targets.count(name) > 1})
    if repeated:
        raise ConfigError("multilabel.duplicate_targets", names=", ".join(f'"{n}"' for n in repeated))
    where = frame.attrs.get("manabu_source", {}).get("path")
    for name in targets:
        require_column(frame, name, "multilabel.target_missing", where)
    present = frame[targets].notna()
    if not present.to_numpy().any():
        raise TargetError("multilabel.all_missing", names=", ".join(targets), n=len(frame))
    for name in targets:
        values = frame.loc[present[name], name]
        if values.empty:
            raise TargetError("multilabel.label_empty", name=name, n=len(frame))
        if values.nunique() < 2:
            raise TargetError("multilabel.single_class", name=name, value=str(values.iloc[0])[:40],
                              n=len(values))


def fit_labels(data, targets: list[str], *, time_limit: float = DEFAULT_TIME_LIMIT, verbose: bool = False,
               report: bool = False, started: float | None = None,
               progress: Callable[[Message], None] | None = None, **fit_options) -> MultiLabelPredictor:
    """A search per label of ``targets``, within ``time_limit`` seconds in all (the reading
    included; ``started`` is when the caller's clock started, time.monotonic()), sharing what
    they find (``training.multilabel_sharing``).

    ``fit_options`` are ``manabu.fit``'s settings (``TrainConfig``'s fields: metric, models,
    seed, ...), the same for every label. ``report=True`` leaves each search time to draw its
    label's page (when the model will be saved with its report). ``progress`` receives a line
    per label as it starts and ends (with ``verbose``, they are printed with the search's bar).
    """
    started = time.monotonic() if started is None else started
    targets = list(targets)
    base = TrainConfig(target=targets[0] if targets else None, time_limit=time_limit, **fit_options)
    frame = read(data)
    check_targets(frame, targets)
    # the search and the zoo, after the data's errors (they come fast), on the clock
    from manabu.training.molecules import molecule_texts
    from manabu.training.multilabel_sharing import descriptors_affordable, warm_molecules
    from manabu.training.numbers import draw_seconds
    from manabu.training.run import train
    say, listener_of = _progress(verbose, progress)
    # each search leaves, at its end, the time to draw its page and save its folder (``report``),
    # which happens when the whole model is saved: that time is held back, not passed on
    features = frame.drop(columns=targets)
    molecules = molecule_texts(features)
    shared = SharedSearch(started + time_limit, len(targets), draw_seconds(features.shape[1], report),
                          label_folds(base.validation), descriptors_affordable(molecules, time_limit))
    warm_molecules(molecules, shared.descriptors)  # once for all the labels, on the clock
    fits: dict[str, Predictor] = {}
    entries: list[dict[str, Any]] = []
    for i, label in enumerate(targets):
        share, opening = shared.share(i), shared.opening()
        rows = _label_frame(frame, label, targets)
        say(Message("multilabel.progress", {"i": i + 1, "n": len(targets), "label": label, "rows": len(rows),
                                            "seconds": f"{share:.0f}"}))
        predictor, seconds = _fit_one(train, rows, replace(base, target=label, time_limit=share), listener_of(),
                                      report, opening)
        shared.learn(predictor.record, share, seconds)
        fits[label] = predictor
        entries.append(_entry(i, label, frame, predictor, share, seconds, opening))
        say(Message("multilabel.done", {"i": i + 1, "n": len(targets), "label": label,
                                        "metric": predictor.metric, "score": _shown(entries[-1]["score"]),
                                        "model": predictor.record.best_model, "seconds": f"{seconds:.0f}"}))
    return MultiLabelPredictor(fits, _record(base, frame, entries, started, shared))


def _fit_one(train, rows: pd.DataFrame, config: TrainConfig, listener, report: bool,
             opening) -> tuple[Predictor, float]:
    """One label's search and refit (``training.run.train``), timed from its own start; Ctrl-C
    stops them all (a multi-label model lacking labels would answer for fewer columns than asked)."""
    begun = time.monotonic()
    predictor = train(rows, config, listener, started=begun, report=report, opening=opening)
    if predictor.record.interrupted:
        raise KeyboardInterrupt
    return predictor, time.monotonic() - begun


def _progress(verbose: bool, progress: Callable[[Message], None] | None):
    """Where the per-label lines go, and the listener each search shows its bar with."""
    if not verbose:
        return (progress or (lambda message: None)), (lambda: None)
    from manabu.training.progress import RichListener

    first = RichListener()  # a bar per label, on one console

    def say(message: Message) -> None:
        first.console.print(message.render(first.lang), highlight=False, soft_wrap=True)
        if progress is not None:
            progress(message)

    return say, (lambda: RichListener(first.console))


def _label_frame(frame: pd.DataFrame, label: str, targets: list[str]) -> pd.DataFrame:
    """The rows where ``label`` is present, without the other labels. The frame keeps the name
    of the file for messages, but not its format: an exported script must not read that file's
    other labels as features."""
    others = [name for name in targets if name != label]
    rows = frame.loc[frame[label].notna(), [c for c in frame.columns if c not in others]].reset_index(drop=True)
    source = frame.attrs.get("manabu_source", {})
    rows.attrs = {"manabu_source": {"path": source.get("path"), "format": "pandas"}, "manabu_notices": []}
    return rows


def _entry(i: int, label: str, frame: pd.DataFrame, predictor: Predictor, share: float,
           seconds: float, opening) -> dict[str, Any]:
    """What the record says of one label: its rows, its positives, its model and its score, and
    the configurations of the labels before it that its search opened with."""
    record = predictor.record
    score = record.best_row.get("score")
    binary = str(record.task) == "binary"
    present = frame[label].dropna()
    positive = record.classes[-1] if binary else None
    return {"label": label, "folder": f"{LABELS_FOLDER}/{i:02d}-{_safe(label)}", "task": str(record.task),
            "rows": int(len(present)), "missing": int(len(frame) - len(present)),
            "positive_class": positive,
            "positives": float((present.astype(object) == positive).mean()) if binary else None,
            "model": record.best_model, "metric": record.metric, "score": score,
            "roc_auc": score if record.metric == "roc_auc" else None,
            "share_seconds": round(share, 3), "seconds": round(seconds, 3),
            "opened_with": [name for name, _, _ in opening.first]}


def _record(base: TrainConfig, frame: pd.DataFrame, entries: list[dict[str, Any]], started: float,
            shared: SharedSearch) -> dict:
    aucs = [e["roc_auc"] for e in entries if e["roc_auc"] is not None]
    options = {k: v for k, v in base.to_dict().items() if k != "target"}
    return {"targets": [e["label"] for e in entries], "labels": entries, "n_rows": int(len(frame)),
            "mean_roc_auc": float(np.mean(aucs)) if aucs else None, "config": options,
            "time_limit": base.time_limit, "time_sharing": SHARING, "label_folds": shared.folds,
            "descriptors_left_out": not shared.descriptors,
            "seconds": round(time.monotonic() - started, 3),
            "notices": [n.to_dict() for n in frame.attrs.get("manabu_notices", [])]}


def _safe(label: str) -> str:
    """A label as part of a folder name (letters, digits, ``.``, ``_``, ``-``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-")[:40] or "label"


def _shown(score: float | None) -> str:
    return "—" if score is None else f"{score:.4f}"


class MultiLabelPredictor:
    """A Predictor per label: ``predict`` answers a column per label, ``record`` their scores."""

    KIND = KIND

    def __init__(self, predictors: dict[str, Predictor], record: dict[str, Any]) -> None:
        self.predictors = predictors
        self.record = record

    @property
    def labels(self) -> list[str]:
        return list(self.predictors)

    @property
    def prediction_column(self) -> str:
        """What ``manabu predict`` says it wrote: a column per label."""
        return ", ".join(f"{label}_predicted" for label in self.predictors)

    @property
    def scores(self) -> dict[str, float | None]:
        """Each label's validation ROC-AUC (None where the label is not binary)."""
        return {e["label"]: e["roc_auc"] for e in self.record["labels"]}

    @property
    def mean_roc_auc(self) -> float | None:
        return self.record.get("mean_roc_auc")

    def predict(self, data) -> pd.DataFrame:
        """The predicted class (or value) of every label, a column per label."""
        frame = read(data)
        return pd.DataFrame({label: p.predict(frame) for label, p in self.predictors.items()}, index=frame.index)

    def predict_frame(self, data) -> pd.DataFrame:
        """The data with ``<label>_predicted`` added for every label, and ``proba_<label>`` for
        each column of ``predict_proba`` (as ``Predictor.predict_frame``, for ``manabu predict``)."""
        frame = read(data)
        result = frame.copy()
        for label, values in self.predict(frame).items():
            result[f"{label}_predicted"] = values.to_numpy()
        if any(p.classes is not None for p in self.predictors.values()):
            for column, values in self.predict_proba(frame).items():
                result[f"proba_{column}"] = values.to_numpy()
        return result

    def predict_proba(self, data) -> pd.DataFrame:
        """A column per binary label, the probability of its positive class (the second of its
        sorted classes: 1 for 0/1 labels); a column per class, ``label=class``, for a label of
        more classes. Labels of values (regression) have no probabilities and are left out."""
        frame = read(data)
        columns: dict[str, pd.Series] = {}
        for label, predictor in self.predictors.items():
            if predictor.classes is None:
                continue
            proba = predictor.predict_proba(frame)
            if len(predictor.classes) == 2:
                columns[label] = proba.iloc[:, 1]
            else:
                columns.update({f"{label}={c}": proba[c] for c in proba.columns})
        if not columns:
            raise SchemaError("predict.no_proba_for_regression")
        return pd.DataFrame(columns, index=frame.index)

    # -- keeping it -------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True,
             lang: str | None = None) -> Path:
        """The folder: each label's Predictor folder (with its own ``report.html``) under
        ``labels/``, the page of every label beside them, written at once. Each label's folder
        is saved aside first, then taken in whole, so that it stays an ordinary model folder."""
        folders: dict[str, dict[str, bytes]] = {}
        with tempfile.TemporaryDirectory(prefix="manabu-multilabel-") as aside:
            for entry in self.record["labels"]:
                saved = self.predictors[entry["label"]].save(Path(aside) / entry["folder"], report=report, lang=lang)
                folders[entry["folder"]] = {f.relative_to(saved).as_posix(): f.read_bytes()
                                            for f in sorted(saved.rglob("*")) if f.is_file()}
        derived = {REPORT_FILE: page(KIND, self, lang)} if report else None
        return save_model(path, LabelFolders(folders), {"kind": KIND, KIND: self.record}, overwrite=overwrite,
                          derived=derived)

    def report(self, lang: str | None = None) -> str:
        """The page of the labels (drawn by the ``manabu.pages`` entry point "multilabel")."""
        return page_maker(KIND)(self, lang)

    @classmethod
    def load(cls, path: str | Path) -> MultiLabelPredictor:
        """The folder checked whole (every label's files against the outer checksums), then each
        label's Predictor loaded from its own folder, as an ordinary one."""
        _, manifest = load_model(path)
        record = manifest.get(KIND)
        if manifest.get("kind") != KIND or not isinstance(record, dict):
            raise ArtifactError("multilabel.not_multilabel", path=str(path))
        folders = set(manifest["pipeline"]["folders"])
        entries = record.get("labels") or []
        if sorted(e.get("folder") for e in entries) != sorted(folders):
            raise ArtifactError("multilabel.not_multilabel", path=str(path))
        return cls({e["label"]: Predictor.load(Path(path) / e["folder"]) for e in entries}, record)

    def __repr__(self) -> str:
        shown = ", ".join(f"{label}={_shown(score)}" for label, score in self.scores.items())
        return f"MultiLabelPredictor(labels={len(self.predictors)}, mean_roc_auc={_shown(self.mean_roc_auc)}, {shown})"


# ---------------------------------------------------------------------------------- storage

@dataclass(frozen=True)
class LabelFolders:
    """The files of the labels' folders (``labels/NN-name`` → file name → bytes), as the
    container codec writes them into one folder; loaded back, only the folders' names."""

    files: dict[str, dict[str, bytes]]


def _is_label_folders(model: Any) -> bool:
    return instance_of(model, __name__, "LabelFolders")


def _encode(folders: LabelFolders) -> tuple[dict[str, bytes], dict[str, Any]]:
    files = {f"{sub}/{name}": data for sub, own in folders.files.items() for name, data in own.items()}
    return files, {"kind": KIND, "folders": {sub: sorted(own) for sub, own in folders.files.items()}}


def _decode(description: dict[str, Any], blobs: dict[str, bytes], folder: str) -> LabelFolders:
    """The names alone: each label is loaded from its own folder (``MultiLabelPredictor.load``)."""
    return LabelFolders({sub: {} for sub in description["folders"]})


def _expected_files(description: dict[str, Any], invalid: Callable[[str], Exception]) -> set[str]:
    folders = description.get("folders")
    if not isinstance(folders, dict) or not folders:
        raise invalid("pipeline.folders must name the labels' folders")
    for sub, names in folders.items():
        if not (isinstance(sub, str) and sub.startswith(LABELS_FOLDER + "/") and isinstance(names, list)
                and all(isinstance(n, str) for n in names) and "manifest.json" in names):
            raise invalid(f"pipeline.folders[{sub!r}] must list a model folder's files")
    return {f"{sub}/{name}" for sub, names in folders.items() for name in names}


register_codec(ContainerCodec(KIND, "LabelFolders", _is_label_folders, _encode, _decode, _expected_files))
