"""Settings of one training run, shared by the Python API and the CLI so the two cannot drift."""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from manabu.base.errors import ConfigError
from manabu.deep.device import DEVICES
from manabu.training.presets import get_preset

DEFAULT_TIME_LIMIT = 60.0
STRATEGIES = ("bayes", "random", "grid")  # how the search picks candidates after the portfolio


@dataclass(frozen=True)
class TrainConfig:
    target: str | None = None               # None: a folder of images' sub-folder names ("label")
    time_limit: float = DEFAULT_TIME_LIMIT  # seconds for the whole fit, refit included
    metric: str | None = None               # None: the default of the task
    task: str | None = None                 # None: detected from the target
    models: tuple[str, ...] | None = None   # None: every family of the zoo
    validation: str | None = None           # None: chosen from the data size
    group: str | None = None                # rows sharing a group stay in one fold
    time: str | None = None                 # validate on rows later than the training rows
    seed: int = 0
    max_trials: int | None = None
    search: str = "bayes"                   # "bayes", "random" or "grid"
    preset: str = "balanced"                # "fast", "balanced" or "best"
    max_latency_ms: float | None = None     # keep only models that predict one row this fast
    tokenizer: str = "auto"                 # the word analyser of Japanese text (features.tokenize)
    text_model: str | Path | None = None    # a local Transformer checkpoint to fine-tune on the text
    image_model: str | Path | None = None   # a pretrained ResNet on disk to transfer to the images
    device: str = "auto"                    # where image networks train: auto, cpu or cuda
    # bytes the training process may reach ("4G", "500MB" are read too); None: what it holds at the
    # start and 80% of the memory free then
    memory_limit: int | str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.time_limit, (int, float)) or not math.isfinite(self.time_limit) \
                or self.time_limit <= 0:
            raise ConfigError("search.bad_time_limit", value=self.time_limit)
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError("search.bad_max_trials", value=self.max_trials)
        if self.search not in STRATEGIES:
            raise ConfigError("search.bad_strategy", value=self.search, choices=", ".join(STRATEGIES))
        get_preset(self.preset)
        if self.max_latency_ms is not None and not (isinstance(self.max_latency_ms, (int, float))
                                                    and math.isfinite(self.max_latency_ms)
                                                    and self.max_latency_ms > 0):
            raise ConfigError("search.bad_max_latency", value=self.max_latency_ms)
        if self.models is not None:
            object.__setattr__(self, "models", tuple(self.models))
        if self.memory_limit is not None:
            object.__setattr__(self, "memory_limit", memory_bytes(self.memory_limit))
        for name in ("text_model", "image_model"):  # a Path from the CLI or a notebook: text in the manifest
            if getattr(self, name) is not None:
                object.__setattr__(self, name, str(getattr(self, name)))
        if self.device not in DEVICES:
            raise ConfigError("deep.unknown_device", device=self.device, choices=", ".join(DEVICES))
        # imported here: any module of manabu.data loads pandas (manabu.data reads tables), and the
        # command line imports this module to build ``manabu --help``
        from manabu.data.language import TOKENIZER_CHOICES as TOKENIZERS
        if self.tokenizer not in TOKENIZERS:
            raise ConfigError("text.unknown_tokenizer", value=self.tokenizer, choices=", ".join(TOKENIZERS))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["models"] = list(self.models) if self.models else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


_UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 2**10, "KIB": 2**10, "M": 2**20, "MB": 2**20, "MIB": 2**20,
          "G": 2**30, "GB": 2**30, "GIB": 2**30, "T": 2**40, "TB": 2**40, "TIB": 2**40}


def memory_bytes(size: int | float | str) -> int:
    """Bytes from a size as people write it: 4G, 4 GB, 4GiB, 512M, 1.5g, or a number of bytes
    (units are powers of 1,024, as ``free -h`` shows them)."""
    text = str(size).strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    unit = text[len(number):]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ConfigError("search.bad_memory_limit", value=size) from None
    if not math.isfinite(value) or value < 2**20:
        raise ConfigError("search.bad_memory_limit", value=size)
    return int(value)


def with_target(config: TrainConfig, data) -> TrainConfig:
    """The config with its target: the one given, or, for a folder of images (a path, or the
    frame ``read`` made of one), its sub-folders' names ("label"); otherwise one message saying
    to name it."""
    if config.target is not None:
        return config
    from manabu.data.read.images import LABEL_COLUMN

    if _image_folder(data):
        return replace(config, target=LABEL_COLUMN)
    raise ConfigError("task.target_needed")


def _image_folder(data) -> bool:
    if isinstance(data, (str, os.PathLike)):
        return Path(data).expanduser().is_dir()
    attrs = getattr(data, "attrs", None) or {}
    return (attrs.get("manabu_source") or {}).get("format") == "image_folder"
