"""The model registry: named models, immutable numbered versions, stages, and a log of changes.

A registry is a database (SQLite in a local folder by default, any SQLAlchemy URL for a team:
PostgreSQL) and a store of model folders. Registering copies the model folder into the store
(``<store>/<name>/<version>``), verified first and made read-only, so a version cannot change
after it is registered; its manifest's fingerprint is kept in the database and checked again
whenever the version is used. Stages: ``none`` (just registered), ``staging``, ``production``
(at most one version per name) and ``archived``. Every change is one transaction that also
writes an event (what, from which stage to which, when, why, by whom), so the log and the
state never disagree; ``rollback`` reads that log to put back the previous production version.
"""
from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, func, select)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError

from manabu.artifact import verify
from manabu.artifact.manifest import MANIFEST
from manabu.data.read import PASSWORD_PATTERN, first_line
from manabu.base.errors import RegistryError
from manabu.serve import model_fingerprint

STAGES = ("none", "staging", "production", "archived")
DEFAULT_HOME = Path("~/.manabu/registry")
REGISTRY_VARIABLE = "MANABU_REGISTRY"  # a folder (SQLite + store) or a database URL
STORE_VARIABLE = "MANABU_REGISTRY_STORE"  # where a database URL's model folders are kept
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
_URI = re.compile(r"registry://(?P<name>[^@/]+)(?:@(?P<which>[^/]+))?")

metadata = MetaData()
models = Table("manabu_models", metadata,
               Column("name", String(128), primary_key=True),
               Column("created_at", DateTime(timezone=True), nullable=False))
versions = Table("manabu_versions", metadata,
                 Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("name", String(128), ForeignKey("manabu_models.name"), nullable=False),
                 Column("version", Integer, nullable=False),
                 Column("stage", String(16), nullable=False, default="none"),
                 Column("path", Text, nullable=False),
                 Column("fingerprint", String(64), nullable=False),
                 Column("task", String(16)), Column("metric", String(32)), Column("score", String(32)),
                 Column("source", Text),
                 Column("created_at", DateTime(timezone=True), nullable=False),
                 UniqueConstraint("name", "version", name="manabu_versions_name_version"))
events = Table("manabu_events", metadata,
               Column("id", Integer, primary_key=True, autoincrement=True),
               Column("name", String(128), nullable=False),
               Column("version", Integer),
               Column("action", String(16), nullable=False),
               Column("from_stage", String(16)), Column("to_stage", String(16)),
               Column("reason", Text), Column("actor", String(256)),
               Column("at", DateTime(timezone=True), nullable=False))


@dataclass(frozen=True)
class Version:
    name: str
    version: int
    stage: str
    path: str
    fingerprint: str
    task: str | None
    metric: str | None
    score: str | None
    source: str | None
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


class Registry:
    """``Registry()`` opens the default one (``MANABU_REGISTRY`` or ``~/.manabu/registry``);
    ``Registry("postgresql://...", store="/shared/models")`` a team's."""

    def __init__(self, location: str | Path | None = None, *, store: str | Path | None = None) -> None:
        location = location or os.environ.get(REGISTRY_VARIABLE) or DEFAULT_HOME
        if "://" in str(location):
            self.url = str(location)
            folder = store or os.environ.get(STORE_VARIABLE)
            if folder is None:
                raise RegistryError("registry.store_needed", url=self.shown_url)
            self.store = Path(folder).expanduser()
        else:
            home = Path(location).expanduser()
            self.store = Path(store).expanduser() if store else home / "models"
            self.url = f"sqlite:///{home / 'registry.db'}"
            home.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(self.url, pool_pre_ping=True)
        except (ArgumentError, ImportError, SQLAlchemyError) as error:
            raise RegistryError("registry.bad_url", url=self.shown_url, reason=first_line(error)) from None
        with self._transaction() as connection:  # reaches the database now; the tables on first use
            metadata.create_all(connection)

    @property
    def shown_url(self) -> str:
        """The URL without its password, for messages."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return PASSWORD_PATTERN.sub(r"\1***@", self.url)

    # -- changes -----------------------------------------------------------------------------
    def register(self, model_dir: str | Path, name: str, reason: str | None = None) -> Version:
        """Copy a verified model folder into the store as the name's next version."""
        _check_name(name)
        folder = Path(model_dir)
        manifest = verify(folder)  # a tampered or incomplete folder stops here
        fingerprint = model_fingerprint(folder)
        training = manifest.get("training") or {}
        best = next((row for row in training.get("leaderboard", []) if row.get("model") == training.get("best_model")), {})
        with self._transaction() as connection:
            if connection.execute(select(models.c.name).where(models.c.name == name)).first() is None:
                connection.execute(models.insert().values(name=name, created_at=_now()))
            number = (connection.execute(select(func.max(versions.c.version)).where(versions.c.name == name))
                      .scalar() or 0) + 1
            target = self.store / name / str(number)
            _copy_read_only(folder, target)
            try:
                connection.execute(versions.insert().values(
                    name=name, version=number, stage="none", path=str(target.resolve()), fingerprint=fingerprint,
                    task=training.get("task"), metric=training.get("metric"),
                    score=None if best.get("score") is None else f"{best['score']:.6g}",
                    source=str(folder.resolve()), created_at=_now()))
                self._event(connection, name, number, "register", None, "none", reason)
            except IntegrityError:  # another registration took this number first
                _remove(target)
                raise RegistryError("registry.concurrent", name=name) from None
            except BaseException:
                _remove(target)
                raise
        return self.version(name, number)

    def promote(self, name: str, version: int, stage: str, reason: str | None = None) -> Version:
        """Move a version to ``stage``; promoting to production archives the one there before."""
        if stage not in STAGES:
            raise RegistryError("registry.bad_stage", stage=stage, stages=", ".join(STAGES))
        with self._transaction() as connection:
            current = self._row(connection, name, version)
            if current.stage == stage:
                raise RegistryError("registry.already", label=current.label, stage=stage)
            if stage == "production":
                for row in connection.execute(select(versions).where(versions.c.name == name,
                                                                      versions.c.stage == "production")):
                    self._set_stage(connection, name, row.version, "production", "archived", "archive",
                                    f"replaced by version {version}")
            self._set_stage(connection, name, version, current.stage, stage, "promote", reason)
        return self.version(name, version)

    def rollback(self, name: str, reason: str | None = None) -> Version:
        """Put back the version that was in production before the current one."""
        with self._transaction() as connection:
            current = connection.execute(select(versions).where(versions.c.name == name,
                                                                versions.c.stage == "production")).first()
            if current is None:
                self._model_or_raise(connection, name)
                raise RegistryError("registry.nothing_in_production", name=name)
            earlier = connection.execute(
                select(events.c.version).where(events.c.name == name, events.c.to_stage == "production",
                                               events.c.version != current.version)
                .order_by(events.c.id.desc())).scalars().all()
            alive = {row.version for row in connection.execute(select(versions.c.version)
                                                              .where(versions.c.name == name))}
            previous = next((v for v in earlier if v in alive), None)
            if previous is None:
                raise RegistryError("registry.nothing_to_roll_back", name=name, version=current.version)
            before = self._row(connection, name, previous).stage
            self._set_stage(connection, name, current.version, "production", "archived", "rollback", reason)
            self._set_stage(connection, name, previous, before, "production", "rollback", reason)
        return self.version(name, previous)

    def delete(self, name: str, version: int, reason: str | None = None) -> None:
        """Remove a version that is not in production, and its stored folder."""
        with self._transaction() as connection:
            row = self._row(connection, name, version)
            if row.stage == "production":
                raise RegistryError("registry.delete_production", label=row.label)
            connection.execute(versions.delete().where(versions.c.name == name, versions.c.version == version))
            self._event(connection, name, version, "delete", row.stage, None, reason)
        _remove(Path(row.path))

    # -- reading -----------------------------------------------------------------------------
    def list(self, name: str | None = None) -> list[Version]:
        query = select(versions).order_by(versions.c.name, versions.c.version)
        with self._transaction() as connection:
            if name is not None:
                self._model_or_raise(connection, name)
                query = query.where(versions.c.name == name)
            return [_version(row) for row in connection.execute(query)]

    def version(self, name: str, which: int | str) -> Version:
        """A version by number, or the one in a stage (``production``, ``staging``), or ``latest``."""
        with self._transaction() as connection:
            if isinstance(which, int) or str(which).isdigit():
                return self._row(connection, name, int(which))
            self._model_or_raise(connection, name)
            query = select(versions).where(versions.c.name == name)
            if which == "latest":
                row = connection.execute(query.order_by(versions.c.version.desc())).first()
            elif which in STAGES:
                row = connection.execute(query.where(versions.c.stage == which)
                                         .order_by(versions.c.version.desc())).first()
            else:
                raise RegistryError("registry.bad_stage", stage=which, stages=", ".join(STAGES))
            if row is None:
                raise RegistryError("registry.no_version_in_stage", name=name, stage=which)
            return _version(row)

    def history(self, name: str) -> list[dict[str, Any]]:
        with self._transaction() as connection:
            self._model_or_raise(connection, name)
            rows = connection.execute(select(events).where(events.c.name == name).order_by(events.c.id))
            return [dict(row._mapping) for row in rows]

    def checked_path(self, version: Version) -> Path:
        """The stored folder of a version, after checking it is still the one registered."""
        folder = Path(version.path)
        if not (folder / MANIFEST).is_file() or model_fingerprint(folder) != version.fingerprint:
            raise RegistryError("registry.changed", label=version.label, path=str(folder))
        return folder

    def resolve(self, uri: str) -> tuple[Version, Path]:
        """``registry://NAME@STAGE`` (or ``@VERSION``, ``@latest``; production by default)."""
        match = _URI.fullmatch(uri)
        if match is None:
            raise RegistryError("registry.bad_uri", uri=uri)
        version = self.version(match["name"], match["which"] or "production")
        return version, self.checked_path(version)

    # -- inside ------------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except OperationalError as error:
            raise RegistryError("registry.unreachable", url=self.shown_url, reason=first_line(error.orig or error)) \
                from None

    def _row(self, connection, name: str, version: int) -> Version:
        row = connection.execute(select(versions).where(versions.c.name == name, versions.c.version == version)).first()
        if row is None:
            self._model_or_raise(connection, name)
            known = connection.execute(select(versions.c.version).where(versions.c.name == name)
                                       .order_by(versions.c.version)).scalars().all()
            raise RegistryError("registry.no_version", name=name, version=version,
                                versions=", ".join(map(str, known)) or "-")
        return _version(row)

    def _model_or_raise(self, connection, name: str) -> None:
        if connection.execute(select(models.c.name).where(models.c.name == name)).first() is None:
            known = connection.execute(select(models.c.name).order_by(models.c.name)).scalars().all()
            raise RegistryError("registry.no_model", name=name, names=", ".join(known) or "-")

    def _set_stage(self, connection, name: str, version: int, before: str, after: str, action: str,
                   reason: str | None) -> None:
        connection.execute(versions.update().where(versions.c.name == name, versions.c.version == version)
                           .values(stage=after))
        self._event(connection, name, version, action, before, after, reason)

    @staticmethod
    def _event(connection, name: str, version: int | None, action: str, before: str | None, after: str | None,
               reason: str | None) -> None:
        connection.execute(events.insert().values(name=name, version=version, action=action, from_stage=before,
                                                  to_stage=after, reason=reason, actor=_actor(), at=_now()))


def _version(row) -> Version:
    values = dict(row._mapping)
    return Version(**{key: values[key] for key in Version.__dataclass_fields__})


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise RegistryError("registry.bad_name", name=name)


def _copy_read_only(source: Path, target: Path) -> None:
    if target.exists():  # left by a registration that failed before its row was written
        _remove(target)
    partial = target.with_name(f".{target.name}.partial")
    _remove(partial)
    shutil.copytree(source, partial)
    for path in partial.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    partial.replace(target)


def _remove(folder: Path) -> None:
    if not folder.exists():
        return
    for path in folder.rglob("*"):  # read-only files: writable again so they can go
        path.chmod(stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
