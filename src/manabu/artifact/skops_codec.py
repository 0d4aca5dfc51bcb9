"""scikit-learn objects to and from skops bytes, with every type checked against the allowlist.

skops' own audit (``get_untrusted_types``) leaves out what skops trusts by default, which
includes every scikit-learn estimator and numpy ufunc, so a ``FunctionTransformer(np.log1p)``
would pass it. Here the file's ``schema.json`` (plain JSON) is walked and every type or function
it names is checked against ``manabu.base.trust`` before skops builds anything.

The walk is cheap; skops' audit is not: it reads every array of the file to build its tree of
nodes, which ``skops.io.loads`` builds (and audits) again. A file that is loaded is therefore
walked once (``check_skops``) and audited once, by ``loads`` itself, given as trusted only the
names the walk accepted: a type that skops would need trusting and the walk missed is refused
there as it was by the separate audit. ``audit_skops`` (skops' audit alone) is for ``verify``,
which builds nothing.
"""
from __future__ import annotations

import importlib
import io
import json
import zipfile
from typing import Any

from manabu.base.errors import ArtifactError

from manabu.base.trust import NESTED_TRUST, TRUSTED_WHEN_NONE, trusted_types, widen_trust

from .skops_import import skops_io

SCHEMA = "schema.json"


class CheckedSkops(bytes):
    """The bytes of a skops file that ``check_skops`` accepted, carrying what it found
    (``trusted``: every type the file names, each accepted), so that ``load_skops`` builds
    them without walking the file again. Made only by ``checked``."""

    trusted: tuple[str, ...]


def checked(data: bytes, file: str, folder: str) -> CheckedSkops:
    """``data`` after ``check_skops``, as bytes that remember the check."""
    if isinstance(data, CheckedSkops):
        return data
    result = CheckedSkops(data)
    result.trusted = tuple(check_skops(data, file, folder))
    return result


def dump_skops(obj: Any, part: str) -> bytes:
    """skops bytes of ``obj``; refused when it holds a type that ``load_skops`` would refuse."""
    try:
        data = skops_io().dumps(obj, compression=zipfile.ZIP_DEFLATED)
    except Exception as error:  # skops raises TypeError, UnsupportedTypeException, ...
        raise ArtifactError("artifact.cannot_serialise", part=part, error=f"{type(error).__name__}: {error}") from error
    bad = untrusted_types_in(_schema(data, part, folder=""))
    if bad:
        raise ArtifactError("artifact.untrusted_on_save", part=part, types=", ".join(bad))
    return data


def check_skops(data: bytes, file: str, folder: str) -> list[str]:
    """Refuse ``data`` unless every type it names is trusted; return those names (sorted), the
    list to give ``skops.io.loads`` as trusted.

    Types of manabu's own modules that are not registered yet are imported first (only names
    under ``manabu.``), since their modules register them at import time.
    """
    named = _named_types(_schema(data, file, folder))
    bad = _untrusted(named)
    if any(name.startswith("manabu.") for name in bad):
        _import_own_modules(bad)
        bad = _untrusted(named)
    if bad and widen_trust():
        bad = _untrusted(named)
    if bad:
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file, types=", ".join(bad))
    return sorted({name for name, _ in named})


def audit_skops(data: bytes, file: str, folder: str, accepted: list[str] | tuple[str, ...]) -> list[str]:
    """skops' own audit of ``data``, whose ``accepted`` names ``check_skops`` returned: refused
    when skops names a type that the walk did not see (the walk is then incomplete for this
    file: refuse rather than guess). Returns skops' untrusted list. ``loads`` audits the same
    way while it builds, so only a check that builds nothing (``verify``) needs this."""
    try:
        skops_untrusted = skops_io().get_untrusted_types(data=data)
    except Exception as error:
        raise ArtifactError("artifact.corrupt_file", path=folder, file=file, error=str(error)) from error
    beyond = sorted(set(skops_untrusted) - set(accepted))
    if beyond:
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file, types=", ".join(beyond))
    return skops_untrusted


def load_skops(data: bytes, file: str, folder: str) -> Any:
    """The object in ``data``, built only after ``check_skops`` accepted it (``data`` from
    ``checked`` was accepted already) and skops' audit found nothing beyond what it accepted."""
    trusted = list(data.trusted) if isinstance(data, CheckedSkops) else check_skops(data, file, folder)
    sio = skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException
    try:
        return sio.loads(data, trusted=trusted)
    except UntrustedTypesFoundException as error:
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file,
                            types=", ".join(_names(error))) from error
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=file, error=f"{type(error).__name__}: {error}") from error


def _names(error: Exception) -> list[str]:
    """The type names an ``UntrustedTypesFoundException`` carries (a set, as skops raises it)."""
    found = error.args[0] if error.args else ()
    return sorted(map(str, found)) if isinstance(found, (set, frozenset, list, tuple)) else [str(found)]


def untrusted_types_in(schema: Any) -> list[str]:
    """The type names in a skops schema that the allowlist does not trust, sorted."""
    return _untrusted(_named_types(schema))


def types_in(schema: Any) -> set[str]:
    """Every type or function name a skops schema refers to (used to derive the allowlist)."""
    return {name for name, _ in _named_types(schema)}


def _untrusted(named: set[tuple[str, frozenset[str]]]) -> list[str]:
    allowed = trusted_types()
    return sorted({name for name, extra in named if name not in allowed and name not in extra})


_NO_EXTRA: frozenset[str] = frozenset()
_CONTAINERS = (dict, list)


def _named_types(schema: Any) -> set[tuple[str, frozenset[str]]]:
    """Walk the JSON, collecting (name, types also trusted here) for every dict with
    ``__module__``/``__class__``: a type, or a function or bound method that skops would look up.

    A loop over a stack rather than recursion: a fitted vectorizer's vocabulary is a dict node of
    tens of thousands of entries, and a chain of generators costs each of them its depth."""
    found: set[tuple[str, frozenset[str]]] = set()
    stack: list[tuple[Any, frozenset[str]]] = [(schema, _NO_EXTRA)]
    push = stack.append
    while stack:
        node, extra = stack.pop()
        if isinstance(node, list):
            for item in node:
                if isinstance(item, _CONTAINERS):
                    push((item, extra))
            continue
        if not isinstance(node, dict):  # only the root can be neither
            continue
        name = None
        attributes = None
        if "__class__" in node or "__module__" in node:
            name = f"{node.get('__module__')}.{node.get('__class__')}"
            attributes = _attributes(node)
            none_attrs = TRUSTED_WHEN_NONE.get(name)
            trusted_here = none_attrs is not None and attributes is not None and all(
                _is_none(attributes.get(attr)) for attr in none_attrs
            )
            found.add((name, (extra | {name}) if trusted_here else extra))
            if node.get("__loader__") == "MethodNode":
                content = node.get("content")
                func = content.get("func") if isinstance(content, dict) else None
                found.add((f"{name}.{func}", extra))
        for key, value in node.items():
            if key == "content" and attributes is not None and any((name, a) in NESTED_TRUST for a in attributes):
                # an object's attribute dict, trust widened below the attributes NESTED_TRUST
                # names for this type
                found.add((f"{value.get('__module__')}.{value.get('__class__')}", extra))
                for inner, state in value.items():
                    if inner == "content":
                        for attr, attr_state in state.items():
                            if isinstance(attr_state, _CONTAINERS):
                                push((attr_state, extra | NESTED_TRUST.get((name, attr), _NO_EXTRA)))
                    elif isinstance(state, _CONTAINERS):
                        push((state, extra))
            elif isinstance(value, _CONTAINERS):
                push((value, extra))
    return found


def _attributes(node: dict) -> dict | None:
    """An ObjectNode's attribute states: ``{"content": {DictNode: {"content": {attr: state}}}}``."""
    if node.get("__loader__") != "ObjectNode" or not isinstance(node.get("content"), dict):
        return None
    attributes = node["content"].get("content")
    return attributes if isinstance(attributes, dict) else None


def _is_none(state: Any) -> bool:
    return isinstance(state, dict) and state.get("__loader__") == "JsonNode" and state.get("content") == "null"


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
