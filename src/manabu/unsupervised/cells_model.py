"""Expression data read, clustered and kept: what ``manabu cluster data.h5ad`` writes.

Two things come out. The cells with their clusters, as an ``.h5ad`` the user's scanpy workflow
continues from (``<name>-clusters.h5ad`` by default; the input file is never replaced unless
asked). And a folder with the record of every choice as JSON (``cells.json``) and the report
(``report.html``, drawn by the ``cells`` entry point of ``manabu.pages``). No pickle anywhere:
the record is JSON, the cells HDF5.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import warnings
from pathlib import Path
from typing import Any

from manabu.artifact import REPORT_FILE
from manabu.artifact.pages import page, page_maker
from manabu.base.errors import ArtifactError, ConfigError, DataError
from manabu.base.jsonable import to_jsonable
from manabu.data.read.source import first_line
from manabu.unsupervised.cells import CLUSTER, Progress, cluster_cells, scanpy

RECORD_FILE = "cells.json"


def read_cells(data: str | os.PathLike):
    """The AnnData in ``data`` (an ``.h5ad`` file, or a 10x Genomics folder: ``matrix.mtx`` with
    its genes and barcodes), or one clear message."""
    sc = scanpy()
    import anndata as ad
    path = Path(data)
    if not path.exists():
        raise DataError("data.not_found", path=str(path), cwd=os.getcwd())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # notes on files written by older versions of anndata
            return sc.read_10x_mtx(path, cache=False) if path.is_dir() else ad.read_h5ad(path)
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as error:  # h5py, anndata and pandas each fail their own way on a damaged file
        raise DataError("cells.unreadable", path=str(path), reason=first_line(error)) from None


class CellsClustering:
    """The clustered cells (``adata``; None once loaded from a folder) and the record of how."""

    KIND = "cells"

    def __init__(self, adata, record: dict[str, Any]) -> None:
        self.adata = adata
        self.record = record

    @property
    def labels_(self):
        """Each kept cell's cluster ("0" the largest)."""
        if self.adata is None:
            raise AttributeError("a loaded clustering keeps the record only; the cells are in the .h5ad it wrote")
        return self.adata.obs[CLUSTER]

    def report(self, lang: str | None = None) -> str:
        return page_maker(self.KIND)(self, lang)

    def write_h5ad(self, path: str | os.PathLike, *, source: str | os.PathLike | None = None,
                   overwrite: bool = False) -> Path:
        """The cells with their clusters as ``path``, written beside it first and renamed (an
        interrupted write leaves no half file); ``source``, the file read, is replaced only with
        ``overwrite``."""
        target = Path(path).expanduser().absolute()
        if source is not None and not overwrite and target == Path(source).expanduser().absolute():
            raise ConfigError("cells.would_replace_input", path=str(target))
        partial = target.with_name(f".{target.name}.partial-{secrets.token_hex(4)}.h5ad")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.adata.write_h5ad(partial)
            os.replace(partial, target)
            self.record["h5ad"] = str(target)
        except OSError as error:
            raise DataError("cells.cannot_write", path=str(target), reason=first_line(error)) from None
        finally:
            partial.unlink(missing_ok=True)
        return target

    def save(self, path: str | os.PathLike, *, overwrite: bool = False, lang: str | None = None) -> Path:
        """The folder with ``cells.json`` and ``report.html``, written whole beside it and renamed;
        a folder there is replaced only with ``overwrite``, and only when it is one of these."""
        target = Path(path).expanduser().absolute()
        _check_target(target, overwrite)
        files = {RECORD_FILE: json.dumps(to_jsonable(self.record, "cells"), ensure_ascii=False).encode("utf-8"),
                 REPORT_FILE: page(self.KIND, self, lang)}
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f".{target.name}.tmp-{secrets.token_hex(6)}"
        temporary.mkdir()
        try:
            for name, data in files.items():
                (temporary / name).write_bytes(data)
            if target.exists():
                shutil.rmtree(target)
            os.rename(temporary, target)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike) -> CellsClustering:
        """The record saved in ``path`` (to draw its report again)."""
        try:
            record = json.loads((Path(path) / RECORD_FILE).read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise ArtifactError("artifact.corrupt_file", file=RECORD_FILE, path=str(path),
                                error=first_line(error)) from None
        return cls(None, record)

    def __repr__(self) -> str:
        return (f"CellsClustering(cells={self.record['n_cells']}, clusters={len(self.record['clusters'])}, "
                f"resolution={self.record['resolution']['chosen']})")


def _check_target(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not overwrite:
        raise ArtifactError("artifact.exists", path=str(target))
    if not target.is_dir() or not ((target / RECORD_FILE).is_file() or not any(target.iterdir())):
        raise ArtifactError("artifact.not_replaceable", path=str(target))


def cluster_file(data, *, resolution: float | str = "auto", seed: int = 0,
                 progress: Progress | None = None) -> CellsClustering:
    """Read ``data`` (a path, or an AnnData already in memory) and cluster its cells
    (``manabu.unsupervised.cells``)."""
    if isinstance(data, (str, os.PathLike)):
        if progress is not None:
            progress("read")
        adata, copy, where = read_cells(data), False, str(data)
    else:
        adata, copy, where = data, True, None
    clustered, record = cluster_cells(adata, resolution=_resolution(resolution), seed=seed, progress=progress,
                                      copy=copy)
    record["data"] = where
    return CellsClustering(clustered, record)


def _resolution(value: float | str) -> float | str:
    """"auto", or a resolution above zero."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError("cells.bad_resolution", value=value) from None
    if not number > 0 or number == float("inf"):
        raise ConfigError("cells.bad_resolution", value=value)
    return number
