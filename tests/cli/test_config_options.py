"""One source of truth for the training settings: every ``TrainConfig`` field is an option of
``manabu train`` and an argument of ``manabu.fit`` with the same default, and the estimators'
settings that share a field's name share its default."""
from __future__ import annotations

import dataclasses
import inspect

import pytest
import typer

import manabu
from manabu.cli import app
from manabu.training.config import TrainConfig

FIELDS = [field for field in dataclasses.fields(TrainConfig)]
REQUIRED = object()  # a setting without a default


def default_of(field: dataclasses.Field):
    return REQUIRED if field.default is dataclasses.MISSING else field.default


def train_options() -> dict:
    """``manabu train``'s parameters by their Python name."""
    command = typer.main.get_command(app).commands["train"]
    return {param.name: param for param in command.params}


def fit_parameters() -> dict:
    return dict(inspect.signature(manabu.fit).parameters)


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
def test_each_setting_is_an_option_of_manabu_train_with_the_same_default(field):
    options = train_options()
    assert field.name in options, f"TrainConfig.{field.name} has no option in manabu train"
    option = options[field.name]
    shown = REQUIRED if option.required else option.default
    assert shown == default_of(field), (
        f"TrainConfig.{field.name} defaults to {default_of(field)!r}, manabu train's option to {shown!r}")


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
def test_each_setting_is_an_argument_of_fit_with_the_same_default(field):
    parameters = fit_parameters()
    assert field.name in parameters, f"TrainConfig.{field.name} has no argument in manabu.fit"
    parameter = parameters[field.name]
    given = REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default
    assert given == default_of(field), (
        f"TrainConfig.{field.name} defaults to {default_of(field)!r}, manabu.fit's argument to {given!r}")


@pytest.mark.parametrize("estimator", [manabu.AutoClassifier, manabu.AutoRegressor], ids=lambda e: e.__name__)
def test_the_estimators_settings_default_as_the_config_does(estimator):
    fields = {field.name: field for field in FIELDS}
    shared = [name for name in inspect.signature(estimator).parameters if name in fields]
    assert shared, "the estimators take some of the settings"
    for name, parameter in inspect.signature(estimator).parameters.items():
        if name in fields:
            assert parameter.default == default_of(fields[name]), (
                f"TrainConfig.{name} defaults to {default_of(fields[name])!r}, "
                f"{estimator.__name__}'s to {parameter.default!r}")


def test_the_fit_and_train_settings_reach_the_config():
    """``manabu.api.config_of`` takes every field from the arguments: none is left behind."""
    from manabu.api import config_of

    values = {"target": "y", "time_limit": 7.0, "metric": "accuracy", "task": "binary", "models": ("linear",),
              "validation": "holdout", "group": "g", "time": "t", "seed": 3, "max_trials": 2, "search": "random",
              "preset": "fast", "max_latency_ms": 5.0, "tokenizer": "auto", "text_model": "bert",
              "image_model": "resnet50.safetensors", "device": "cpu", "memory_limit": 2**30}
    assert set(values) == {field.name for field in FIELDS}, "a new field: give it a value here"
    config = config_of({**values, "unrelated": 1})
    assert dataclasses.asdict(config) == values
