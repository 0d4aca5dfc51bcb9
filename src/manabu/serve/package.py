"""``manabu package``: a model and its server as a folder that a container can be built from.

```
DIR/
  Dockerfile         python:<the training Python>-slim, the pinned requirements, a health check
  requirements.txt   every library manabu needs, pinned to the versions installed here; the
                     model's own libraries pinned to the versions it was saved with
  start.sh           runs `manabu serve` on the model (HOST, PORT, WORKERS, MANABU_TOKEN)
  app/manabu/        manabu itself, copied (it is not on a package index)
  model/             the model folder, verified before it is copied
  README.txt         how to build, run and call it
```
"""
from __future__ import annotations

import importlib.metadata as metadata
import shutil
import stat
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from manabu.artifact import verify
from manabu.artifact.manifest import distributions_of, version_of
from manabu.base.errors import ArtifactError

SKIPPED = frozenset({"manabu"})


def package(model_dir: str | Path, output: str | Path, *, overwrite: bool = False) -> Path:
    """Write the folder ``output`` (see the module docstring); the model is verified first."""
    source, target = Path(model_dir), Path(output)
    manifest = verify(source)
    if target.exists():
        if not overwrite:
            raise ArtifactError("artifact.exists", path=str(target))
        if any(target.iterdir()) and not (target / "Dockerfile").exists():  # not one of ours
            raise ArtifactError("artifact.not_replaceable", path=str(target))
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        shutil.copytree(source, partial / "model")
        shutil.copytree(Path(__file__).resolve().parents[1], partial / "app" / "manabu",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _write_plugin_list(partial / "app")
        libraries = manifest.get("libraries", {})
        python = libraries.get("python") or "3.11"
        (partial / "requirements.txt").write_text(requirements(libraries), encoding="utf-8")
        (partial / "Dockerfile").write_text(DOCKERFILE.format(python=".".join(python.split(".")[:2])),
                                            encoding="utf-8")
        start = partial / "start.sh"
        start.write_text(START, encoding="utf-8")
        start.chmod(start.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (partial / "README.txt").write_text(README.format(target=manifest.get("target", "")), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        partial.replace(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _write_plugin_list(app: Path) -> None:
    """manabu's entry points (the modules that register storage codecs and pages), beside the
    copied code: the container imports manabu from the folder, not from an installed package,
    and a LightGBM, XGBoost or CatBoost model is read through a codec registered that way."""
    distribution = metadata.distribution("manabu")
    info = app / f"manabu-{distribution.version}.dist-info"
    info.mkdir()
    for name in ("METADATA", "entry_points.txt"):
        (info / name).write_text(distribution.read_text(name) or "", encoding="utf-8")


def requirements(model_libraries: dict[str, str]) -> str:
    """manabu's own requirements (not its extras), each pinned to the installed version; the
    libraries the model was saved with pinned to those versions."""
    saved = {_distribution(name): version for name, version in model_libraries.items() if name != "python" and version}
    pins = {}
    for line in metadata.requires("manabu") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        name = canonicalize_name(requirement.name)
        if name in SKIPPED:
            continue
        version = saved.get(name) or version_of(requirement.name)
        pins[name] = f"{requirement.name}{_extras(requirement)}=={version}" if version else str(requirement)
    header = "# pinned by manabu package: the versions this model was saved and tested with\n"
    return header + "\n".join(pins[name] for name in sorted(pins)) + "\n"


def _distribution(library: str) -> str:
    """The installed distribution of a library named in the manifest (xgboost is xgboost-cpu here)."""
    installed = next((name for name in distributions_of(library) if version_of(name)), library)
    return canonicalize_name(installed)


def _extras(requirement: Requirement) -> str:
    return f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""


DOCKERFILE = """\
# The model and its server (made by manabu package). Build: docker build -t model .
FROM python:{python}-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/srv/app
WORKDIR /srv
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app/ app/
COPY model/ model/
COPY start.sh .
RUN useradd --system --no-create-home manabu
USER manabu
ENV HOST=0.0.0.0 PORT=8000 WORKERS=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['PORT'], timeout=4)"
CMD ["./start.sh"]
"""

START = """\
#!/bin/sh
# Serve the model in this folder: HOST, PORT and WORKERS choose where and how; MANABU_TOKEN,
# when set, is the bearer token every route but /health requires.
set -e
here=$(cd "$(dirname "$0")" && pwd)
export PYTHONPATH="$here/app${PYTHONPATH:+:$PYTHONPATH}"
exec "${PYTHON:-python3}" -m manabu.cli serve "$here/model" --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" --workers "${WORKERS:-1}"
"""

README = """\
The model "{target}" and its server, made by manabu package.

Build and run the container:
    docker build -t model .
    docker run -p 8000:8000 -e MANABU_TOKEN=change-me model

Or run it without Docker, in a virtual environment:
    python3 -m venv venv && venv/bin/pip install -r requirements.txt
    PYTHON=venv/bin/python ./start.sh

Then: POST http://127.0.0.1:8000/predict with a JSON record, a JSON array of records or a CSV
table; GET /health; GET /metadata; the API document is at /docs.
"""
