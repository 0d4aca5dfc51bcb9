"""scikit-learn objects to and from skops bytes, with every type checked against the allowlist.

skops' own audit (``get_untrusted_types``) leaves out what skops trusts by default, which
includes every scikit-learn estimator and numpy ufunc, so a ``FunctionTransformer(np.log1p)``
would pass it. Here the file's ``schema.json`` (plain JSON) is walked and every type or function
it names is checked against ``manabu.base.trust`` before skops builds anything.
"""
from __future__ import annotations

import importlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import skops.io as sio

from manabu.base.errors import ArtifactError

from manabu.base.trust import NESTED_TRUST, TRUSTED_WHEN_NONE, trusted_types

SCHEMA = "schema.json"


def dump_skops(obj: Any, part: str) -> bytes:
    """skops bytes of ``obj``; refused when it holds a type that ``load_skops`` would refuse."""
    try:
        data = sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)
    except Exception as error:  # skops raises TypeError, UnsupportedTypeException, ...
        raise ArtifactError("artifact.cannot_serialise", part=part, error=f"{type(error).__name__}: {error}") from error
    bad = untrusted_types_in(_schema(data, part, folder=""))
    if bad:
        raise ArtifactError("artifact.untrusted_on_save", part=part, types=", ".join(bad))
    return data


def check_skops(data: bytes, file: str, folder: str) -> list[str]:
    """Refuse ``data`` unless every type it names is trusted; return skops' own untrusted list.

    Types of manabu's own modules that are not registered yet are imported first (only names
    under ``manabu.``), since their modules register them at import time.
    """
    schema = _schema(data, file, folder)
    bad = untrusted_types_in(schema)
    if any(name.startswith("manabu.") for name in bad):
        _import_own_modules(bad)
        bad = untrusted_types_in(schema)
    if bad:
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file, types=", ".join(bad))
    try:
        skops_untrusted = sio.get_untrusted_types(data=data)
    except Exception as error:
        raise ArtifactError("artifact.corrupt_file", path=folder, file=file, error=str(error)) from error
    # Every type skops would need trusting was seen (and accepted) by the walk; if skops names
    # one that the walk missed, the walk is incomplete for this file: refuse rather than guess.
    beyond = sorted(set(skops_untrusted) - types_in(schema))
    if beyond:
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file, types=", ".join(beyond))
    return skops_untrusted


def load_skops(data: bytes, file: str, folder: str) -> Any:
    """The object in ``data``, built only after ``check_skops`` accepted it."""
    trusted = check_skops(data, file, folder)
    try:
        return sio.loads(data, trusted=trusted)
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=file, error=f"{type(error).__name__}: {error}") from error


def untrusted_types_in(schema: Any) -> list[str]:
    """The type names in a skops schema that the allowlist does not trust, sorted."""
    allowed = trusted_types()
    return sorted({name for name, extra in _named_types(schema, frozenset()) if name not in allowed | extra})


def types_in(schema: Any) -> set[str]:
    """Every type or function name a skops schema refers to (used to derive the allowlist)."""
    return {name for name, _ in _named_types(schema, frozenset())}


def _named_types(node: Any, extra: frozenset[str]) -> Iterator[tuple[str, frozenset[str]]]:
    """Walk the JSON, yielding (name, types also trusted here) for every dict with
    ``__module__``/``__class__``: a type, or a function or bound method that skops would look up."""
    if isinstance(node, list):
        for item in node:
            yield from _named_types(item, extra)
        return
    if not isinstance(node, dict):
        return
    name = None
    attributes = None
    if "__class__" in node or "__module__" in node:
        name = f"{node.get('__module__')}.{node.get('__class__')}"
        attributes = _attributes(node)
        none_attrs = TRUSTED_WHEN_NONE.get(name)
        trusted_here = none_attrs is not None and attributes is not None and all(
            _is_none(attributes.get(attr)) for attr in none_attrs
        )
        yield name, (extra | {name}) if trusted_here else extra
        if node.get("__loader__") == "MethodNode":
            content = node.get("content")
            func = content.get("func") if isinstance(content, dict) else None
            yield f"{name}.{func}", extra
    for key, value in node.items():
        if key == "content" and attributes is not None and any((name, a) in NESTED_TRUST for a in attributes):
            yield from _walk_attributes(name, value, extra)
        else:
            yield from _named_types(value, extra)


def _attributes(node: dict) -> dict | None:
    """An ObjectNode's attribute states: ``{"content": {DictNode: {"content": {attr: state}}}}``."""
    if node.get("__loader__") != "ObjectNode" or not isinstance(node.get("content"), dict):
        return None
    attributes = node["content"].get("content")
    return attributes if isinstance(attributes, dict) else None


def _is_none(state: Any) -> bool:
    return isinstance(state, dict) and state.get("__loader__") == "JsonNode" and state.get("content") == "null"


def _walk_attributes(owner: str, dict_node: dict, extra: frozenset[str]) -> Iterator[tuple[str, frozenset[str]]]:
    """Like ``_named_types`` over an object's attribute dict, widening trust below the
    attributes that ``NESTED_TRUST`` names for ``owner``."""
    yield f"{dict_node.get('__module__')}.{dict_node.get('__class__')}", extra
    for key, value in dict_node.items():
        if key == "content":
            for attr, state in value.items():
                yield from _named_types(state, extra | NESTED_TRUST.get((owner, attr), frozenset()))
        else:
            yield from _named_types(value, extra)


def _schema(data: bytes, file: str, folder: str) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return json.loads(archive.read(SCHEMA))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ArtifactError("artifact.corrupt_file", path=folder, file=file, error=str(error)) from error


def _import_own_modules(names: list[str]) -> None:
    for name in names:
        if not name.startswith("manabu."):
            continue
        module = name.rsplit(".", 1)[0]
        try:
            importlib.import_module(module)
        except ImportError:
            continue
