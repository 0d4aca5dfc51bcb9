"""Neural networks over sliding windows: the "lstm", "gru" and "mlp" families.

A textbook's way of forecasting with a network: cut every series into windows (the last few
seasons as input, the next ``horizon`` values as target) and teach one small network to map the
one to the other, all ``horizon`` steps at once (a direct multi-output head, so no error is fed
back into the next step). Each window is normalised by its own input's mean and spread, so
series of any level and scale share one network, and a trending series looks the same at its
start as at its end.

The windows whose targets are the last points of each series are held out for early stopping;
an epoch sees a fresh random sample of the others, so a long series (hourly over years) costs
the same per epoch as a short one. Training is ``deep.trainer.train_network``: AdamW, a
one-cycle schedule, the best epoch kept, the deadline honoured. The weights are kept as float32
numpy arrays, and a saved family is rebuilt from its settings: no pickle, no ``torch.load``.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from manabu.deep.trainer import Schedule, TrainingLog, train_network
from manabu.forecasting.families.base import FamilySpec, ForecastFamily, OutOfTime, check_deadline, register_family
from manabu.forecasting.panel import Panel
from manabu.models.text_torch import numpy_weights, torch_settings, torch_weights

KINDS = ("lstm", "gru", "mlp")
MIN_INPUT = 8            # the shortest input window, where the seasons and the horizon ask for less
MAX_INPUT = 168          # the longest (a week of hours): a recurrent network's step costs its length
MIN_TRAIN_WINDOWS = 16   # below this, a panel is too short for a network
MAX_WINDOWS = 200_000    # the training windows kept at most (a random sample): memory stays small
EPOCH_WINDOWS = 4_096    # the windows one epoch sees, drawn afresh each epoch
MIN_EPOCH_WINDOWS = 1_024  # a short panel's epoch passes over its few windows several times
# a recurrent network's epoch: this many time steps (4,096 windows of 48 hours), one to two
# seconds on one core, so that 20 epochs stay under half a minute whatever the input length
RNN_EPOCH_STEPS = 4_096 * 48
MAX_VALID = 2_048        # the held-out windows at most
BATCH = 128
FLOOR = 0.02             # of a series' spread: the smallest scale a window is divided by
ONE_THREAD_UP_TO = 4_096  # windows forecast on one thread: small matrix products lose on two


class WindowMLP(nn.Module):
    """An MLP over the window beside a linear map of it: the linear part carries level and
    trend from the first epoch, the MLP learns what bends them."""

    def __init__(self, input_length: int, horizon: int, hidden: int, layers: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        width = input_length
        for _ in range(layers):
            blocks += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        self.body = nn.Sequential(*blocks, nn.Linear(width, horizon))
        self.skip = nn.Linear(input_length, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class WindowRNN(nn.Module):
    """An LSTM or GRU read along the window; its last state gives all ``horizon`` values, with
    the same linear map of the window beside it as in the MLP."""

    def __init__(self, cell: str, input_length: int, horizon: int, hidden: int, layers: int) -> None:
        super().__init__()
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, horizon)
        self.skip = nn.Linear(input_length, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(x.unsqueeze(-1))
        return self.head(states[:, -1]) + self.skip(x)


def build_network(settings: dict[str, Any]) -> nn.Module:
    args = (settings["input_length"], settings["horizon"], settings["hidden"], settings["layers"])
    if settings["kind"] == "mlp":
        return WindowMLP(*args)
    return WindowRNN(settings["kind"], *args)


class WindowFamily(ForecastFamily):
    """One network over the windows of every series of a panel; ``kind`` is "lstm", "gru" or "mlp"."""

    def __init__(self, kind: str, seasons: tuple[int, ...] = (), seed: int = 0, hidden: int = 64, layers: int = 1,
                 max_epochs: int = 20, patience: int = 4, learning_rate: float = 3e-3, n_threads: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown window family {kind!r}; choose one of {', '.join(KINDS)}")
        self.name = kind
        self.settings: dict[str, Any] = {
            "kind": kind, "seasons": [int(s) for s in seasons], "seed": int(seed), "hidden": int(hidden),
            "layers": int(layers), "max_epochs": int(max_epochs), "patience": int(patience),
            "learning_rate": float(learning_rate), "n_threads": int(n_threads)}
        self.network_: nn.Module | None = None
        self.log_: dict[str, Any] = {}

    @property
    def max_epochs(self) -> int:
        return self.settings["max_epochs"]

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, panel: Panel, horizon: int, deadline: float | None = None) -> WindowFamily:
        check_deadline(deadline)
        s = self.settings
        s.update(horizon=int(horizon), input_length=input_length(panel, horizon, s["seasons"]))
        rng = np.random.default_rng(s["seed"])
        windows = Windows(panel, s["input_length"], horizon, rng)
        if len(windows.train) == 0:
            raise ValueError(f"the series are too short for the {self.name} family: no window of "
                             f"{s['input_length']} + {horizon} points")
        with torch_settings(s["n_threads"], s["seed"]):
            network = build_network(s)
            log, epochs_done = self._train(network, windows, rng, deadline)
        if epochs_done == 0:  # the deadline cut the first epoch: an untrained network is no model
            raise OutOfTime()
        self.network_, self.log_ = network.eval(), log.to_dict()
        return self

    def _train(self, network: nn.Module, windows: Windows, rng: np.random.Generator,
               deadline: float | None) -> tuple[TrainingLog, int]:
        s = self.settings
        per_epoch = epoch_windows(s["kind"], len(windows.train), s["input_length"])
        schedule = Schedule(s["max_epochs"], -(-per_epoch // BATCH), s["learning_rate"], 1e-4, s["patience"])
        done = [0]  # epochs whose batches were all given: the trainer stops mid-epoch at the deadline

        def train_batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            yield from windows.batches(windows.train[draw(len(windows.train), per_epoch, rng)])
            done[0] += 1

        def valid_batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            return windows.batches(windows.valid)

        loss = nn.HuberLoss(delta=1.0)
        log = train_network(network, loss, lambda out, target: -torch.mean(torch.abs(out - target)), train_batches,
                            valid_batches if len(windows.valid) else None, schedule, torch.device("cpu"),
                            deadline=deadline)
        return log, done[0]

    # -- forecasting --------------------------------------------------------------------------
    def forecast(self, panel: Panel, horizon: int, future=None) -> list[np.ndarray]:
        s = self.settings
        if self.network_ is None:
            raise ValueError(f"the {self.name} family is not fitted")
        if horizon > s["horizon"]:
            raise ValueError(f"the {self.name} family was fitted to forecast {s['horizon']} steps ahead, "
                             f"not {horizon}: fit it again with horizon={horizon}")
        length = s["input_length"]
        inputs = np.stack([last_window(values, length) for values in panel.y])
        floors = np.array([series_floor(values) for values in panel.y])[:, None]
        x, level, scale = normalise(inputs, floors)
        threads = 1 if len(x) <= ONE_THREAD_UP_TO else torch.get_num_threads()
        outputs = []
        with torch.inference_mode(), torch_settings(threads):
            for begin in range(0, len(x), EPOCH_WINDOWS):
                outputs.append(self.network_(torch.from_numpy(x[begin:begin + EPOCH_WINDOWS])).double().numpy())
        answers = np.concatenate(outputs) * scale + level
        return [row[:horizon].copy() for row in answers]

    # -- storing ------------------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self.network_ is None:
            raise ValueError(f"the {self.name} family is not fitted")
        arrays = numpy_weights(self.network_.state_dict())
        return {**self.settings, "log": self.log_}, arrays

    @classmethod
    def restore(cls, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> WindowFamily:
        keys = ("seasons", "seed", "hidden", "layers", "max_epochs", "patience", "learning_rate", "n_threads")
        family = cls(settings["kind"], **{key: settings[key] for key in keys})
        family.settings.update(horizon=int(settings["horizon"]), input_length=int(settings["input_length"]))
        with torch_settings(1, 0):
            network = build_network(family.settings)
        network.load_state_dict(torch_weights(arrays), strict=True)
        family.network_, family.log_ = network.eval(), dict(settings.get("log") or {})
        return family


# ---------------------------------------------------------------------------------------------
# Windows


def epoch_windows(kind: str, count: int, length: int) -> int:
    """The windows one epoch draws out of ``count``: all of them (several passes over a short
    panel's few), at most EPOCH_WINDOWS, and for a recurrent network RNN_EPOCH_STEPS time steps."""
    most = EPOCH_WINDOWS if kind == "mlp" else min(EPOCH_WINDOWS, max(RNN_EPOCH_STEPS // length, BATCH))
    return min(max(count, MIN_EPOCH_WINDOWS), most)


def input_length(panel: Panel, horizon: int, seasons: list[int]) -> int:
    """Two main seasons or two horizons (MIN_INPUT at least), shortened where the longest series
    would otherwise give fewer than MIN_TRAIN_WINDOWS windows."""
    season = seasons[0] if seasons else 1
    wanted = min(max(2 * season, 2 * horizon, MIN_INPUT), MAX_INPUT)
    room = max(panel.lengths) - horizon - MIN_TRAIN_WINDOWS
    return int(max(min(wanted, room), 2))


def usable(panel: Panel, horizon: int) -> bool:
    return max(panel.lengths) >= horizon + MIN_INPUT + MIN_TRAIN_WINDOWS


def series_floor(values: np.ndarray) -> float:
    """The smallest scale a window of this series is divided by: a flat stretch (zero sales,
    a sensor stuck) would otherwise blow its next change up to millions."""
    spread = float(np.nanstd(values)) if len(values) > 1 else 0.0
    return max(FLOOR * spread, 1e-8 * max(1.0, abs(float(values[-1]))), 1e-12)


def normalise(windows: np.ndarray, floors: np.ndarray, length: int | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(windows as float32 with each row's input at mean 0 and spread 1, level, scale)."""
    inputs = windows[:, :length] if length else windows
    level = inputs.mean(axis=1, keepdims=True)
    scale = np.maximum(inputs.std(axis=1, keepdims=True), floors)
    return ((windows - level) / scale).astype(np.float32), level, scale


def last_window(values: np.ndarray, length: int) -> np.ndarray:
    """The last ``length`` values; a shorter history is padded with its first value."""
    values = np.asarray(values, dtype=float)[-length:]
    return np.pad(values, (length - len(values), 0), mode="edge") if len(values) < length else values


class Windows:
    """Every series laid end to end, and the starts of the windows in it: the training windows
    (a random sample where there are very many) and, per series, the last ones, held out."""

    def __init__(self, panel: Panel, length: int, horizon: int, rng: np.random.Generator) -> None:
        self.length, self.span = length, length + horizon
        self.flat = np.concatenate([np.asarray(v, dtype=float) for v in panel.y])
        self.floors = np.concatenate([np.full(len(v), series_floor(v)) for v in panel.y])
        train, valid, offset = [], [], 0
        for values in panel.y:
            count = len(values) - self.span + 1          # windows in this series
            held = min(horizon, count // 10) if count >= 2 * MIN_TRAIN_WINDOWS else 0
            # the held-out targets are the last points; no training target may reach them
            last_train = count - held - (horizon if held else 0)
            train.append(offset + np.arange(max(last_train, 0)))
            valid.append(offset + np.arange(count - held, count) if held else np.arange(0))
            offset += len(values)
        self.train = subsample(np.concatenate(train), MAX_WINDOWS, rng)
        self.valid = subsample(np.concatenate(valid), MAX_VALID, rng)

    def batches(self, starts: np.ndarray) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for begin in range(0, len(starts), BATCH):
            chosen = starts[begin:begin + BATCH]
            rows = self.flat[chosen[:, None] + np.arange(self.span)]
            data, _, _ = normalise(rows, self.floors[chosen][:, None], self.length)
            yield torch.from_numpy(data[:, :self.length]), torch.from_numpy(data[:, self.length:])


def draw(count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` positions out of ``count``: a random sample, or shuffled passes over all of them
    where there are fewer (each window then seen as often as the others)."""
    if size <= count:
        return rng.choice(count, size, replace=False)
    return np.concatenate([rng.permutation(count) for _ in range(-(-size // count))])[:size]


def subsample(starts: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    starts = starts.astype(np.int64)
    return np.sort(rng.choice(starts, limit, replace=False)) if len(starts) > limit else starts


def _spec(kind: str) -> FamilySpec:
    return FamilySpec(kind, "deep", make=lambda panel, horizon, seed: WindowFamily(kind, panel.seasons, seed),
                      restore=WindowFamily.restore, usable=usable)


for _kind in KINDS:
    register_family(_spec(_kind))
