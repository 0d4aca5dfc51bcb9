"""Metadata becomes plain JSON; the data fingerprint is stable; every message key exists."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from manabu.artifact import data_fingerprint, save_model
from manabu.base.jsonable import to_jsonable
from manabu.base.errors import ArtifactError
from manabu.base.i18n import catalogue

SOURCE = Path(__file__).resolve().parents[2] / "src" / "manabu" / "artifact"


class Task(StrEnum):
    BINARY = "binary"


@dataclass
class Score:
    name: str
    value: float


def test_to_jsonable_converts_what_metadata_holds():
    value = {
        "n": np.int64(3),
        "ratio": np.float32(0.5),
        "flag": np.bool_(True),
        "label": np.str_("猫"),
        "array": np.array([[1, 2], [3, 4]]),
        "missing": [float("nan"), np.nan, pd.NA, pd.NaT, float("inf")],
        "task": Task.BINARY,
        "when": dt.datetime(2024, 4, 1, 9, 30),
        "day": pd.Timestamp("2024-04-01"),
        "path": Path("data") / "train.csv",
        "counts": {np.int64(0): 10, 1: 20},
        "tags": {"b", "a"},
        "score": Score("f1", np.float64(0.75)),
        "series": pd.Series([1, 2], index=["x", "y"]),
        "table": pd.DataFrame({"model": ["lgbm"], "score": [np.float64(0.9)]}),
    }
    converted = to_jsonable(value)
    assert converted == {
        "n": 3,
        "ratio": 0.5,
        "flag": True,
        "label": "猫",
        "array": [[1, 2], [3, 4]],
        "missing": [None, None, None, None, None],
        "task": "binary",
        "when": "2024-04-01T09:30:00",
        "day": "2024-04-01T00:00:00",
        "path": str(Path("data") / "train.csv"),
        "counts": {"0": 10, "1": 20},
        "tags": ["a", "b"],
        "score": {"name": "f1", "value": 0.75},
        "series": {"x": 1, "y": 2},
        "table": [{"model": "lgbm", "score": 0.9}],
    }
    json.dumps(converted, allow_nan=False)  # strictly valid JSON
    assert type(converted["n"]) is int and type(converted["label"]) is str


def test_to_jsonable_names_what_it_cannot_convert():
    with pytest.raises(ArtifactError) as info:
        to_jsonable({"config": {"callback": print}})
    assert info.value.key == "artifact.not_jsonable"
    assert info.value.params["where"] == "metadata['config']['callback']"


def test_reserved_metadata_keys_are_refused(tmp_path):
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ArtifactError) as info:
        save_model(tmp_path / "m", model, {"files": {}})
    assert info.value.key == "artifact.reserved_key"
    assert list(tmp_path.iterdir()) == []


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "価格": [1.5, np.nan, 3.0],
        "city": pd.Series(["東京", "Osaka", None], dtype="str"),
        "kind": pd.Categorical(["a", "b", "a"]),
        "when": pd.to_datetime(["2024-01-01", "2024-01-02", None]),
    })


def test_fingerprint_is_stable_across_processes():
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from test_artifact_metadata import _frame\n"
        "from manabu.artifact import data_fingerprint\n"
        "print(data_fingerprint(_frame()))\n"
    ) % str(Path(__file__).parent)
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert other.stdout.strip() == data_fingerprint(_frame())
    assert re.fullmatch(r"[0-9a-f]{64}", data_fingerprint(_frame()))


def test_fingerprint_follows_values_names_types_and_order_not_the_index():
    base = data_fingerprint(_frame())
    changed = _frame()
    changed.loc[0, "価格"] = 1.5000001
    renamed = _frame().rename(columns={"city": "town"})
    retyped = _frame().astype({"価格": "float32"})
    reordered = _frame().iloc[[1, 0, 2]]
    reindexed = _frame().set_axis([10, 11, 12])
    assert len({base, data_fingerprint(changed), data_fingerprint(renamed),
                data_fingerprint(retyped), data_fingerprint(reordered)}) == 5
    assert data_fingerprint(reindexed) == base


def test_fingerprint_of_unhashable_cells():
    frame = pd.DataFrame({"tokens": [["a", "b"], ["c"]]})
    assert data_fingerprint(frame) != data_fingerprint(pd.DataFrame({"tokens": [["a"], ["c"]]}))


def test_every_message_key_used_exists_in_both_catalogues():
    used = set()
    for path in SOURCE.glob("*.py"):
        used |= set(re.findall(r'"(artifact\.[a-z_]+)"', path.read_text("utf-8")))
    assert len(used) >= 20
    for lang in ("en", "ja"):
        missing = used - set(catalogue(lang))
        assert not missing, f"{lang}: {sorted(missing)}"


def test_catalogue_placeholders_agree_between_languages():
    en, ja = catalogue("en"), catalogue("ja")
    for key in (k for k in en if k.startswith("artifact.")):
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", ja[key])), key
