"""Model folders: a fitted pipeline saved with a manifest, atomically, in formats that load
without pickle, and checked (checksums, versions, trusted types) before anything is built.

```
MODEL_DIR/
  manifest.json      format version, versions, caller's metadata, sha256 of every other file
  preprocess.skops   the preprocessing steps (all but the last), when there are any
  model.skops        the final estimator, when it is a scikit-learn estimator
  model.lgb.txt      the final estimator's booster, when it is LightGBM (+ model.lgb.json)
  model.xgb.ubj      ... when it is XGBoost (+ model.xgb.json)
  model.cbm          ... when it is CatBoost (+ model.cbm.json)
  applicability.npz  the training molecules' fingerprints, for a model of molecules (listed as "attached")
  report.html        the report, made from the manifest: rebuilt at will, so not checksummed
```

An ensemble (``manabu.ensemble.model.Ensemble``) keeps each member as above under
``members/<i>/``, and its stacker, if any, as ``stacker.skops``; the manifest describes the
members, their weights, the task and the number of classes.
"""
from __future__ import annotations

from .fingerprint import data_fingerprint
from .manifest import FORMAT_VERSION, REPORT_FILE, read_manifest
from .store import load_model, load_model_attached, save_model, verify, write_derived

__all__ = [
    "FORMAT_VERSION",
    "REPORT_FILE",
    "data_fingerprint",
    "load_model",
    "load_model_attached",
    "read_manifest",
    "save_model",
    "verify",
    "write_derived",
]
