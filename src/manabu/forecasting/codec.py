"""A forecaster's files in its model folder: every array (the history, the covariates, each
family's fitted state) in one safetensors file, and a JSON sidecar with the rest (the series'
names and starts, the frequency, the columns, the weights, the intervals' calibration, each
family's settings). No pickle: a family is rebuilt by its registered ``restore`` from JSON and
arrays, and the statsforecast models by ``forecast.state``, which names only their own classes.

Like every codec module, this one is light: it imports no forecasting library until a folder is
read (it is an entry point of ``manabu.plugins``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.artifact.codecs import ModelCodec, register_codec
from manabu.artifact.sidecar import dump_sidecar, read_sidecar
from manabu.base.errors import ArtifactError
from manabu.base.loaded import instance_of

MODEL_MODULE = "manabu.forecasting.fitted"
SIDECAR_VERSION = 1
MODEL_FILE = "forecast.safetensors"
SIDECAR_FILE = "forecast.json"
_REQUIRED = ("ids", "start", "freq", "columns", "known", "covariates", "weights", "calibration", "members")


def is_forecast_model(model: Any) -> bool:
    return instance_of(model, MODEL_MODULE, "ForecastModel")


def dump_forecast(model: Any, step: str) -> tuple[bytes, bytes]:
    from safetensors.numpy import save

    panel = model.panel
    arrays = {f"y/{i}": np.ascontiguousarray(v, dtype=np.float64) for i, v in enumerate(panel.y)}
    for name, values in panel.covariates.items():
        arrays.update({f"x/{name}/{i}": np.ascontiguousarray(v, dtype=np.float64) for i, v in enumerate(values)})
    members = {}
    for name, family in model.members.items():
        settings, state = family.state()
        members[name] = settings
        arrays.update({f"m/{name}/{key}": np.ascontiguousarray(value) for key, value in state.items()})
    columns = model.columns
    sidecar = {"sidecar_version": SIDECAR_VERSION, "ids": list(panel.ids), "start": [t.isoformat() for t in panel.start],
               "freq": panel.freq, "columns": {"time": columns.time, "target": columns.target, "id": columns.id,
                                               "known": list(columns.known)},
               "known": list(panel.known), "covariates": list(panel.covariates), "weights": model.weights,
               "calibration": model.calibration.to_dict(), "members": members,
               "params": {"horizon": model.horizon}}
    return save(arrays), dump_sidecar(sidecar)


def load_forecast(data: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    import pandas as pd
    from safetensors.numpy import load

    from manabu.forecasting.families.base import family_spec
    from manabu.forecasting.intervals import Calibration
    from manabu.forecasting.fitted import ForecastModel
    from manabu.forecasting.panel import Columns, Panel

    sidecar = read_sidecar(sidecar_bytes, folder, prefix + SIDECAR_FILE, _REQUIRED)
    try:
        arrays = load(data)
        count = len(sidecar["ids"])
        panel = Panel(list(sidecar["ids"]), [pd.Timestamp(t) for t in sidecar["start"]],
                      [arrays[f"y/{i}"] for i in range(count)], sidecar["freq"],
                      {name: [arrays[f"x/{name}/{i}"] for i in range(count)] for name in sidecar["covariates"]},
                      tuple(sidecar["known"]))
        members = {}
        for name, settings in sidecar["members"].items():
            own = {key[len(f"m/{name}/"):]: value for key, value in arrays.items() if key.startswith(f"m/{name}/")}
            members[name] = family_spec(name, folder).restore(settings, own)
        column = sidecar["columns"]
        columns = Columns(column["time"], column["target"], column["id"], tuple(column["known"]))
        return ForecastModel(panel, columns, members, {k: float(v) for k, v in sidecar["weights"].items()},
                             Calibration.from_dict(sidecar["calibration"]), int(sidecar["params"]["horizon"]))
    except ArtifactError:
        raise
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=prefix + MODEL_FILE,
                            error=f"{type(error).__name__}: {error}") from error


CODEC = ModelCodec("forecast", MODEL_FILE, SIDECAR_FILE, "statsforecast", is_forecast_model, dump_forecast,
                   load_forecast, distributions=("statsforecast",))

register_codec(CODEC)
