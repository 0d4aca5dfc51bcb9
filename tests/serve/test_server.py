"""``manabu serve`` as a user starts it: a real uvicorn process on loopback."""
from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from tests.cli.conftest import Cli, assert_refused, manabu, process_env
from tests.serve.conftest import AUTH, TOKEN
from tests.serve.test_app import records


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(url: str, body: object | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def serving(model_dir, *args, env: dict | None = None):
    """A running server; stopped with Ctrl-C (SIGINT) at the end, which must end it cleanly."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "manabu.cli", "serve", str(model_dir), "--port", str(port),
                                *map(str, args)], env=process_env(env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(f"{url}/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {process.communicate()}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, errors = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode in (0, 130), errors
    assert "Traceback" not in errors, errors
    assert "POST" in output and f"{url}/predict" in output


def test_the_server_answers_over_http_with_the_token(binary_model):
    with serving(binary_model, "--token", TOKEN) as url:
        assert call(f"{url}/predict", records()[:2])[0] == 401
        status, body = call(f"{url}/predict", records()[:2], AUTH)
        assert status == 200 and len(body["predictions"]) == 2
        status, meta = call(f"{url}/metadata", headers=AUTH)
        assert status == 200 and len(meta["model_version"]) == 12 and meta["model_path"].endswith("binary")


def test_several_workers_take_the_token_from_the_environment(binary_model):
    with serving(binary_model, "--workers", "2", env={"MANABU_TOKEN": TOKEN}) as url:
        answers = [call(f"{url}/predict", records()[:1], AUTH) for _ in range(20)]
        assert {status for status, _ in answers} == {200}
        assert call(f"{url}/metadata")[0] == 401


def test_a_tampered_model_is_not_served(binary_model, tmp_path):
    copy = shutil.copytree(binary_model, tmp_path / "model")
    model_file = next(p for p in copy.iterdir() if p.name.startswith("model."))
    model_file.write_bytes(model_file.read_bytes() + b" ")
    assert_refused(manabu("serve", copy, "--port", free_port()), "checksum")


def test_a_port_in_use_is_named(binary_model):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert_refused(manabu("serve", binary_model, "--port", port), f"127.0.0.1:{port}", "--port")


@pytest.mark.parametrize("option, value, phrase", [("--workers", "0", "--workers"),
                                                   ("--max-body-mb", "-1", "--max-body-mb")])
def test_bad_settings_are_refused(binary_model, option, value, phrase):
    assert_refused(manabu("serve", binary_model, option, value), phrase)


def test_a_registered_version_is_served_by_its_stage(binary_model, tmp_path):
    registry = tmp_path / "registry"
    cli = Cli()  # the registry's commands in this process: the server is the real process here
    for args in (("register", binary_model, "price", "--reason", "first"), ("promote", "price", "1", "--to", "production")):
        result = cli("registry", *args, "--registry", registry)
        assert result.exit_code == 0, result.output
    assert "price@1 is now in production" in result.output
    with serving("registry://price@production", "--registry", registry) as url:
        meta = call(f"{url}/metadata")[1]
        assert (meta["registry_name"], meta["registry_version"], meta["stage"]) == ("price", 1, "production")
        assert call(f"{url}/predict", records()[:1])[0] == 200
    assert_refused(manabu("serve", "registry://price@staging", "--registry", registry, "--port", free_port()),
                   "no version in staging")
