"""The registry on SQLite and on a real PostgreSQL: versions, stages, history, and refusals that
leave it as it was."""
from __future__ import annotations

import shutil
import stat

import pytest

from manabu.base.errors import RegistryError
from manabu.serve.registry import Registry
from tests.serve import postgres
from tests.serve.test_server import free_port


@pytest.fixture(scope="module")
def postgres_url():
    if not postgres.available():
        pytest.skip("PostgreSQL is not installed here (.ci/run installs it)")
    with postgres.postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request, tmp_path):
    if request.param == "sqlite":
        return Registry(tmp_path / "registry")
    url = request.getfixturevalue("postgres_url")
    opened = Registry(url, store=tmp_path / "store")
    from manabu.serve.registry import metadata
    with opened.engine.begin() as connection:  # each test starts from an empty registry
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    return opened


def stages(registry, name="price"):
    return {v.version: v.stage for v in registry.list(name)}


def test_versions_are_numbered_copied_and_read_only(registry, binary_model):
    first = registry.register(binary_model, "price", "first model")
    second = registry.register(binary_model, "price")
    assert (first.version, second.version) == (1, 2) and first.stage == "none"
    assert first.task == "binary" and first.metric == "roc_auc" and float(first.score) > 0.5
    stored = registry.checked_path(first)
    assert stored != binary_model and (stored / "manifest.json").is_file()
    assert all(not (p.stat().st_mode & stat.S_IWUSR) for p in stored.rglob("*") if p.is_file())


def test_promoting_to_production_archives_the_one_before_and_rollback_puts_it_back(registry, binary_model):
    for _ in range(3):
        registry.register(binary_model, "price")
    registry.promote("price", 1, "production", "launch")
    registry.promote("price", 2, "staging")
    registry.promote("price", 2, "production", "better on March data")
    assert stages(registry) == {1: "archived", 2: "production", 3: "none"}
    assert registry.rollback("price", "complaints").version == 1
    assert stages(registry) == {1: "production", 2: "archived", 3: "none"}
    history = registry.history("price")
    assert [(e["action"], e["version"], e["to_stage"]) for e in history][-2:] == \
        [("rollback", 2, "archived"), ("rollback", 1, "production")]
    assert history[-1]["reason"] == "complaints" and "@" in history[-1]["actor"] and history[-1]["at"] is not None
    version, folder = registry.resolve("registry://price@production")
    assert version.version == 1 and folder == registry.checked_path(version)
    assert registry.resolve("registry://price@latest")[0].version == 3
    assert registry.resolve("registry://price@2")[0].stage == "archived"


def test_refusals_name_what_exists_and_change_nothing(registry, binary_model):
    registry.register(binary_model, "price")
    registry.promote("price", 1, "production")
    before = (stages(registry), len(registry.history("price")))
    cases = [
        (lambda: registry.version("price", 7), "no version 7; its versions are: 1"),
        (lambda: registry.list("cost"), 'no model named "cost"; its models are: price'),
        (lambda: registry.delete("price", 1), "is in production"),
        (lambda: registry.rollback("price"), "nothing to roll back"),
        (lambda: registry.promote("price", 1, "live"), '"live" is not a stage'),
        (lambda: registry.promote("price", 1, "production"), "already in production"),
        (lambda: registry.resolve("registry://price@staging"), "no version in staging"),
        (lambda: registry.resolve("http://price"), "not a registry address"),
        (lambda: registry.register(binary_model, "bad name!"), "cannot name a model"),
    ]
    for call, phrase in cases:
        with pytest.raises(RegistryError, match=phrase):
            call()
    assert (stages(registry), len(registry.history("price"))) == before


def test_a_tampered_model_is_not_registered(registry, binary_model, tmp_path):
    copy = shutil.copytree(binary_model, tmp_path / "copy")
    model_file = next(p for p in copy.iterdir() if p.name.startswith("model."))
    model_file.write_bytes(model_file.read_bytes() + b"x")
    with pytest.raises(Exception, match="checksum"):
        registry.register(copy, "price")
    with pytest.raises(RegistryError, match="no model"):
        registry.list("price")
    assert not (registry.store / "price" / "1").exists()


def test_a_stored_version_that_was_changed_is_not_used(registry, binary_model):
    version = registry.register(binary_model, "price")
    manifest = registry.checked_path(version) / "manifest.json"
    manifest.chmod(stat.S_IRWXU)
    manifest.write_text(manifest.read_text() + " ")
    with pytest.raises(RegistryError, match="no longer match"):
        registry.resolve("registry://price@1")


def test_deleting_a_version_removes_its_files_and_records_why(registry, binary_model):
    registry.register(binary_model, "price")
    registry.register(binary_model, "price")
    folder = registry.checked_path(registry.version("price", 1))
    registry.delete("price", 1, "trained on the wrong month")
    assert stages(registry) == {2: "none"} and not folder.exists()
    assert registry.history("price")[-1]["action"] == "delete"
    assert registry.register(binary_model, "price").version == 3  # numbers are never reused


def test_an_unreachable_database_is_one_message_without_the_password(tmp_path):
    port = free_port()  # nothing listens there
    with pytest.raises(RegistryError, match="cannot reach") as caught:
        Registry(f"postgresql+psycopg://team:s3cret@127.0.0.1:{port}/models", store=tmp_path)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_a_database_url_needs_a_store_for_the_files(monkeypatch):
    monkeypatch.delenv("MANABU_REGISTRY_STORE", raising=False)
    with pytest.raises(RegistryError, match="--store"):
        Registry("postgresql+psycopg://team@127.0.0.1/models")
