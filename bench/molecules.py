"""Molecules (issue 23's targets): manabu on MoleculeNet's ESOL, FreeSolv, BBBP and tox21 (its
twelve labels at once, the mean ROC-AUC over them), each on a random and on a scaffold split
(seed 0, 80/20), beside a random forest on Morgan fingerprints measured in the same run
(MoleculeNet's ECFP baseline; one forest per tox21 label, on the rows that hold it).

manabu gets the SMILES column and the target only (ESOL's file also holds descriptors and ESOL's
own prediction, which chemprop's and MoleculeNet's figures do not use), and ``--time-limit``
seconds. The scaffold split is chemprop's balanced scaffold split: scaffold sets larger than half
the test size go to training, the others are shuffled (seed 0) and fill the test set first.

    python bench/molecules.py --out bench/results/molecules_issue23.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "molecules"
SETS = {  # target, task
    "esol": ("measured log solubility in mols per litre", "regression"),
    "freesolv": ("expt_hydration_free_energy", "regression"),
    "bbbp": ("p_np", "binary"),
    "tox21": (None, "multilabel"),  # every column but the SMILES
}
TEST_SIZE = 0.2


def scaffold_split(smiles: list[str], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from manabu.data.molecules import scaffold_of

    groups: dict[str, list[int]] = {}
    for i, text in enumerate(smiles):
        groups.setdefault(scaffold_of(text), []).append(i)
    test_size = int(round(TEST_SIZE * len(smiles)))
    big = [g for g in groups.values() if len(g) > test_size / 2]
    small = [g for g in groups.values() if len(g) <= test_size / 2]
    np.random.default_rng(seed).shuffle(small)
    test: list[int] = []
    for group in small:
        if len(test) + len(group) <= test_size:
            test += group
    train = sorted(set(range(len(smiles))) - set(test))
    return np.array(train), np.array(sorted(test))


def random_split(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(TEST_SIZE * n))
    return np.sort(order[cut:]), np.sort(order[:cut])


def score(task: str, truth: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if task == "regression":
        return float(np.sqrt(np.mean((truth - predicted) ** 2)))
    return float(roc_auc_score(truth, predicted))


def forest_baseline(train: pd.DataFrame, test: pd.DataFrame, target: str, task: str) -> tuple[float, float]:
    """A 500-tree random forest on 2,048 Morgan bits of radius 2 (ECFP4), as MoleculeNet's RF
    (for several labels, one forest per label on the rows that hold it: the mean ROC-AUC)."""
    if task == "multilabel":
        started, scores = time.monotonic(), []
        for label in [c for c in train.columns if c != "smiles"]:
            kept_train, kept_test = train[train[label].notna()], test[test[label].notna()]
            scores.append(forest_baseline(kept_train[["smiles", label]], kept_test[["smiles", label]], label,
                                          "binary")[0])
        return float(np.mean(scores)), time.monotonic() - started
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)

    def bits(frame):
        mols = [Chem.MolFromSmiles(s) for s in frame["smiles"]]
        return np.array([generator.GetFingerprintAsNumPy(m) if m is not None else np.zeros(2048) for m in mols])

    started = time.monotonic()
    forest = (RandomForestRegressor if task == "regression" else RandomForestClassifier)(
        n_estimators=500, n_jobs=2, random_state=0)
    forest.fit(bits(train), train[target])
    x = bits(test)
    predicted = forest.predict(x) if task == "regression" else forest.predict_proba(x)[:, 1]
    return score(task, test[target].to_numpy(), predicted), time.monotonic() - started


def one_run(name: str, split: str, time_limit: float) -> dict:
    import manabu

    target, task = SETS[name]
    frame = pd.read_parquet(DATA / f"{name}.parquet")
    frame = frame.dropna(subset=["smiles"]) if task == "multilabel" else frame[["smiles", target]].dropna()
    frame = frame.reset_index(drop=True)
    labels = [c for c in frame.columns if c != "smiles"]
    train_rows, test_rows = (scaffold_split(frame["smiles"].tolist()) if split == "scaffold"
                             else random_split(len(frame)))
    train, test = frame.iloc[train_rows], frame.iloc[test_rows]
    started = time.monotonic()
    predictor = manabu.fit(train, target=labels if task == "multilabel" else target, time_limit=time_limit,
                           verbose=False, validation="scaffold" if split == "scaffold" else None)
    fit_seconds = time.monotonic() - started
    if task == "multilabel":
        probabilities = predictor.predict_proba(test)
        manabu_score = float(np.mean([score("binary", test[label][test[label].notna()].to_numpy(),
                                            probabilities[label][test[label].notna()].to_numpy()) for label in labels]))
    else:
        predicted = (predictor.predict(test) if task == "regression"
                     else predictor.predict_proba(test).iloc[:, -1].to_numpy())
        manabu_score = score(task, test[target].to_numpy(), np.asarray(predicted, dtype=float))
    forest_score, forest_seconds = forest_baseline(train, test, target, task)
    chosen = ({label: e["model"] for label, e in zip(labels, predictor.record["labels"])} if task == "multilabel"
              else predictor.record.best_model)
    row = {"set": name, "split": split, "metric": "rmse" if task == "regression" else "roc_auc",
           "rows": len(frame), "test_rows": len(test), "manabu": manabu_score, "manabu_seconds": round(fit_seconds, 1),
           "chosen": chosen,
           "forest": forest_score, "forest_seconds": round(forest_seconds, 1)}
    print(f"  {name} / {split}: manabu {manabu_score:.3f} ({fit_seconds:.0f} s), "
          f"random forest {forest_score:.3f}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--splits", nargs="*", default=["random", "scaffold"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    stamp = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "note": args.note,
             "cpus": os.cpu_count(), "time_limit": args.time_limit}
    for name in args.sets:
        for split in args.splits:
            row = {**stamp, **one_run(name, split, args.time_limit)}
            if args.out:
                with args.out.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
