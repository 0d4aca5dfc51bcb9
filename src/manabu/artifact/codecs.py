"""The registry of storage formats that model families and combined models register into.

Storage names no family: a family whose estimators a library saves better than skops (LightGBM's
booster text, XGBoost's UBJSON, CatBoost's cbm) registers a ``ModelCodec``, and a model made of
other models (the ensemble) registers a ``ContainerCodec``. A folder names the format it was
written in (``model_format``, or the pipeline's ``kind``), and loading looks it up here.

Families register when their module is imported. A folder may be loaded before anything has
imported them, so the registering modules are also declared as entry points of the group
``manabu.plugins`` (pyproject.toml), loaded the first time a format is not found.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

PLUGIN_GROUP = "manabu.plugins"
SKOPS_FORMAT = "skops"


@dataclass(frozen=True)
class ModelCodec:
    """A library's own format for a pipeline's final estimator: a model file and a JSON sidecar.

    ``dump(estimator, step)`` gives (model bytes, sidecar bytes); ``load(model bytes, sidecar
    bytes, folder, prefix)`` gives the fitted estimator back (``prefix`` is the files' sub-folder,
    an ensemble member's). ``library`` must be installed, within the major version it was saved
    with, to read the files; ``distributions`` are the pip names that provide it."""
    model_format: str
    model_file: str
    sidecar_file: str
    library: str
    recognises: Callable[[Any], bool]
    dump: Callable[[Any, str], tuple[bytes, bytes]]
    load: Callable[[bytes, bytes, str, str], Any]
    distributions: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, str]:
        return (self.model_file, self.sidecar_file)


@dataclass(frozen=True)
class ContainerCodec:
    """A model built from other models, described in the manifest by ``kind``.

    ``encode(model)`` gives (files, description); ``decode(description, blobs, folder)`` the
    model back; ``expected_files(description, invalid)`` the files the description needs, raising
    ``invalid(problem)`` when it is malformed. ``class_name`` is the only class it builds."""
    kind: str
    class_name: str
    recognises: Callable[[Any], bool]
    encode: Callable[[Any], tuple[dict[str, bytes], dict[str, Any]]]
    decode: Callable[[dict[str, Any], dict[str, bytes], str], Any]
    expected_files: Callable[[dict[str, Any], Callable[[str], Exception]], set[str]]


@dataclass
class _Registry:
    models: dict[str, ModelCodec] = field(default_factory=dict)
    containers: dict[str, ContainerCodec] = field(default_factory=dict)
    plugins_loaded: bool = False


_REGISTRY = _Registry()


def register_codec(codec: ModelCodec | ContainerCodec) -> None:
    """Make a format known to storage (idempotent: a module imported twice registers once)."""
    if isinstance(codec, ContainerCodec):
        _REGISTRY.containers[codec.kind] = codec
    elif codec.model_format == SKOPS_FORMAT:
        raise ValueError("skops is storage's own format")
    else:
        _REGISTRY.models[codec.model_format] = codec


def load_plugins() -> None:
    """Import the modules that register formats (entry points of ``manabu.plugins``), once."""
    if _REGISTRY.plugins_loaded:
        return
    _REGISTRY.plugins_loaded = True
    for point in entry_points(group=PLUGIN_GROUP):
        point.load()


def model_codecs() -> list[ModelCodec]:
    """Every registered model format, in the order registered (the first that recognises an
    estimator stores it: XGBoost's estimators are scikit-learn estimators too)."""
    load_plugins()
    return list(_REGISTRY.models.values())


def model_codec(model_format: str) -> ModelCodec | None:
    """The codec of ``model_format``; None for skops and for a format nobody registered."""
    if model_format not in _REGISTRY.models:
        load_plugins()
    return _REGISTRY.models.get(model_format)


def codec_for(estimator: Any) -> ModelCodec | None:
    """The codec that stores ``estimator`` natively, or None (skops then stores it)."""
    return next((codec for codec in model_codecs() if codec.recognises(estimator)), None)


def container_for(model: Any) -> ContainerCodec | None:
    load_plugins()
    return next((codec for codec in _REGISTRY.containers.values() if codec.recognises(model)), None)


def container_codec(kind: str) -> ContainerCodec | None:
    if kind not in _REGISTRY.containers:
        load_plugins()
    return _REGISTRY.containers.get(kind)


def native_libraries() -> dict[str, ModelCodec]:
    """The model file name of each native format, mapped to its codec (whose library reads it)."""
    return {codec.model_file: codec for codec in model_codecs()}
