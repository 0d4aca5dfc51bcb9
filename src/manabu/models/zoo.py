"""The model zoo: every family the engine may try, in the order it tries their defaults."""
from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from importlib import resources

from manabu.base.errors import ConfigError
from manabu.deep.device import torch_device
from manabu.models import boosting, linear, neighbors, neural, svm, text_deep, text_linear, trees
from manabu.models.catboost import entry as catboost
from manabu.models.images import entry as images_entry
from manabu.models.lightgbm import entry as lightgbm
from manabu.models.molecules import entry as molecules_entry
from manabu.models.xgboost import entry as xgboost
from manabu.models.entry import ModelEntry, Params, register_family

# the image network first (only on images: on pixel tables it beats the tabular families, given
# the time); then the text families, the logistic regression before Naive Bayes: on chABSA at 30 s
# the one that went first was the only one to finish, and the regression's log loss was 0.49 to 0.90
ZOO: dict[str, ModelEntry] = {entry.name: entry for entry in (
    images_entry.ENTRY,
    text_linear.LINEAR,
    text_linear.NAIVE_BAYES,
    text_linear.VECTORS,
    linear.ENTRY,
    trees.TREE,
    lightgbm.ENTRY,
    xgboost.ENTRY,
    catboost.ENTRY,
    boosting.ENTRY,
    neighbors.ENTRY,
    trees.EXTRA_TREES,
    trees.RANDOM_FOREST,
    svm.ENTRY,
    neural.ENTRY,
    molecules_entry.ENTRY,
    text_deep.LSTM,
)}
for _entry in ZOO.values():
    register_family(_entry)


def get_entries(names: list[str] | None, task: str, *, languages: frozenset[str] = frozenset(),
                text_model: str | None = None, images: bool = False, only_images: bool = False,
                image_model: str | None = None, device: str = "auto", molecules: bool = False) -> list[ModelEntry]:
    """The families to try for this task: all of them, or the ones named (``--models``).

    ``languages`` are those of the data's free-text columns (none: no text). The text families
    join only when there is text, a family made for some languages only when the text is in
    one of them, and a family whose extra is not installed only when named (then with one
    message saying what to install). With a ``text_model`` checkpoint, the "transformer" family
    fine-tunes it; with an ``image_model``, the "transfer" family does, first. The image families
    join when the data has ``images`` (files or a grid of pixels), and are the only ones with
    ``only_images`` (image files and no other column); they train on ``device``. The molecule
    families join when the data has a SMILES column (``molecules``)."""
    has_text = bool(languages)
    zoo = _with_checkpoints(text_model, image_model, has_text, images)
    if names:
        for family, option in (("transformer", "transformer_needs_path"), ("transfer", "transfer_needs_path")):
            if family in names and family not in zoo:
                raise ConfigError(f"models.{option}")
        unknown = [n for n in names if n not in zoo]
        if unknown:
            raise ConfigError("models.unknown", names=", ".join(unknown), choices=", ".join(zoo))
        chosen = [zoo[n] for n in names]
    else:
        chosen = [entry for entry in zoo.values() if (has_text or not entry.needs_text) and entry.available()
                  and (entry.languages is None or entry.languages & languages)
                  and (images or not entry.needs_images) and (entry.needs_images or not only_images)
                  and (molecules or not entry.needs_molecules)]
        if only_images and not chosen:
            chosen = [entry for entry in zoo.values() if entry.needs_images]  # refused below, naming the extra
    for entry in chosen:
        if entry.needs_text and not has_text:
            raise ConfigError("models.needs_text", model=entry.name)
        if entry.needs_images and not images:
            raise ConfigError("models.needs_images", model=entry.name)
        if entry.needs_molecules and not molecules:
            raise ConfigError("models.needs_molecules", model=entry.name)
        if not entry.available():
            raise ConfigError("models.extra_missing", model=entry.name, extra=entry.extra)
    usable = [_on_device(entry, device) for entry in chosen if entry.supports(task)]
    if not usable:
        raise ConfigError("models.none_for_task", task=str(task), names=", ".join(e.name for e in chosen))
    return usable


def _with_checkpoints(text_model: str | None, image_model: str | None, has_text: bool,
                      images: bool) -> dict[str, ModelEntry]:
    """The zoo, with the families made for the user's checkpoints (each read now, so that a
    wrong path fails before the search)."""
    zoo = dict(ZOO)
    if text_model:
        if not has_text:
            raise ConfigError("models.needs_text", model="transformer")
        zoo["transformer"] = text_deep.transformer_entry(text_model)
    if image_model:
        if not images:
            raise ConfigError("models.needs_images", model="transfer")
        zoo = {"transfer": images_entry.transfer_entry(image_model), **zoo}
    return zoo


def _on_device(entry: ModelEntry, device: str) -> ModelEntry:
    if entry.device_param is None or device == "auto":
        return entry
    torch_device(device)  # a GPU asked for and not there is refused before the search
    return replace(entry, make=partial(_made_on, entry.make, entry.device_param, device))


def _made_on(make, device_param: str, device: str, task: str, params: Params, seed: int):
    return make(task, {**params, device_param: device}, seed)


def portfolio(name: str, facts: frozenset[str] = frozenset()) -> list[Params]:
    """Known-good configurations of one family, tried before any random search. A configuration
    marked ``"when": FACT`` is for data with that fact only (``facts`` of the search problem:
    "positive_target", a regression target above zero, which a log link needs)."""
    models = resources.files("manabu.models")
    file = models / name / "portfolio.json"  # a family with a folder of its own keeps it there
    if not (models / name).is_dir():
        file = models / "portfolios" / f"{name}.json"
    text = file.read_text("utf-8")
    return [{k: v for k, v in config.items() if k != "when"} for config in json.loads(text)["configs"]
            if config.get("when") is None or config["when"] in facts]
