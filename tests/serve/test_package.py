"""manabu package: the folder holds everything a container needs, and its start script serves
the model from a fresh virtual environment built from its requirements alone."""
from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from manabu.artifact import verify
from manabu.serve.package import package
from tests.cli.conftest import Cli, assert_refused
from tests.serve.conftest import AUTH, TOKEN
from tests.serve.test_app import records
from tests.serve.test_server import call, free_port


@pytest.fixture(scope="module")
def packaged(binary_model, tmp_path_factory) -> Path:
    return package(binary_model, tmp_path_factory.mktemp("package") / "price")


def test_the_folder_holds_what_the_dockerfile_copies(packaged):
    dockerfile = (packaged / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (packaged / copied.rstrip("/")).exists(), copied
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.M) and "HEALTHCHECK" in dockerfile
    verify(packaged / "model")
    assert (packaged / "app" / "manabu" / "base" / "i18n" / "ja.toml").is_file()
    # the codecs and pages are found through manabu's entry points, kept beside the copied code
    plugins = next((packaged / "app").glob("manabu-*.dist-info")) / "entry_points.txt"
    assert "manabu.plugins" in plugins.read_text("utf-8")
    assert not list((packaged / "app").rglob("__pycache__"))
    assert os.access(packaged / "start.sh", os.X_OK)


def test_every_requirement_is_pinned_and_the_model_libraries_to_their_saved_versions(packaged, binary_model):
    lines = [line for line in (packaged / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    pinned = {Requirement(line).name.lower(): str(Requirement(line).specifier) for line in lines}
    assert all(spec.startswith("==") for spec in pinned.values())
    needed = {Requirement(r).name.lower() for r in metadata.requires("manabu") if "extra ==" not in r}
    assert needed <= set(pinned)
    libraries = verify(binary_model)["libraries"]
    assert pinned["scikit-learn"] == f"=={libraries['scikit-learn']}"
    assert pinned["lightgbm"] == f"=={libraries['lightgbm']}"


def test_the_command_refuses_to_overwrite_unless_asked(binary_model, packaged, tmp_path):
    cli = Cli()
    assert_refused(cli("package", binary_model, "-o", packaged), "already exists")
    result = cli("package", binary_model, "-o", packaged, "--overwrite")
    assert result.exit_code == 0 and "docker build" in result.output
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    assert_refused(cli("package", binary_model, "-o", other, "--overwrite"), "not a manabu model folder")
    assert (other / "mine.txt").read_text() == "keep me"


def test_the_start_script_serves_the_model_from_a_fresh_virtual_environment(packaged, tmp_path):
    venv = tmp_path / "venv"
    # --without-pip: the environment holds nothing but what the requirements install (not even
    # pip, whose bundled wheels ensurepip installs and byte-compiles for seconds); this process's
    # pip installs into it with --python, resolving for the new environment's interpreter
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling the ~1 GB installed (half the install's time) proves nothing
    # about the requirements; the server compiles what it imports
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-compile", "-r",
                    str(packaged / "requirements.txt")], check=True, capture_output=True, timeout=900)
    port = free_port()
    env = {"PATH": os.environ["PATH"], "PYTHON": str(python), "PORT": str(port), "MANABU_TOKEN": TOKEN,
           "LANG": "en_US.UTF-8", "HOME": str(tmp_path)}
    server = subprocess.Popen([str(packaged / "start.sh")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if call(f"{url}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.communicate()
            time.sleep(0.5)
        status, body = call(f"{url}/predict", records()[:3], AUTH)
        assert status == 200 and len(body["predictions"]) == 3
        assert call(f"{url}/predict", records()[:1])[0] == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
