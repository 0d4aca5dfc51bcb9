"""The report's numbers on expression data (``report.expression`` draws them): how the genes were
prepared for the chosen model (raw counts normalised or not, genes kept, scaling, components) and
the genes that matter, two ways:

- by the data: scanpy's ``rank_genes_groups``, each class against the rest on the training cells
  (log-normalised where they were counts), the markers a biologist would look up first;
- by the model: its own importances, or a linear model's coefficients per class, carried back
  through the components to the genes (``features.expression``).

When the two lists share genes the model leans on known biology; when they do not, it is worth a
look.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from manabu.data.gene_matrix import gene_names
from manabu.evaluate.importances import model_importances
from manabu.features.expression import ExpressionPreparation, expression_values

TOP_GENES = 10                 # genes listed per class (and overall)
WILCOXON_VALUES = 20_000_000   # cells x genes above which the t-test replaces the Wilcoxon test (as `manabu cluster`)
GENES_BLOCK = "genes"          # the ColumnTransformer's name for the genes (``features.preprocess``)


def expression_numbers(X: pd.DataFrame, y: np.ndarray, classes: list | None, genes: list[str],
                       members: Sequence[tuple[float, Any]], deadline: float | None = None) -> dict[str, Any]:
    """The section's numbers; ``members`` are the chosen model's (weight, fitted pipeline) pairs,
    the heaviest of which describes the preparation. Past ``deadline`` only the preparation."""
    pipeline, preparation = _heaviest_preparation(members)
    out: dict[str, Any] = {"genes": len(gene_names(X[genes]))}
    if preparation is not None:
        out["preparation"] = preparation_facts(preparation)
    if deadline is not None and time.monotonic() >= deadline:
        return {**out, "skipped": True}
    if classes:
        out["markers"] = class_markers(X[genes], np.asarray(y), [str(c) for c in classes], preparation)
    if pipeline is not None:
        out["model_genes"] = model_genes(pipeline, preparation, [str(c) for c in classes] if classes else None)
    return out


def preparation_facts(preparation: ExpressionPreparation) -> dict[str, Any]:
    components = preparation.pca_components_
    return {"counts": bool(preparation.counts_), "library_size": float(preparation.target_sum_),
            "kept": len(preparation.kept_), "of": int(preparation.n_features_in_),
            "scaled": bool(preparation.scale), "components": 0 if components is None else len(components),
            "explained": None if components is None else float(np.sum(preparation.explained_))}


def class_markers(genes: pd.DataFrame, y: np.ndarray, classes: list[str],
                  preparation: ExpressionPreparation | None) -> dict[str, Any]:
    """The ``TOP_GENES`` genes scored highest for each class against the rest (classes of at
    least two cells), with the log fold change where the values are log counts, and the test."""
    import anndata
    import scanpy as sc

    values = preparation.log_normalised(genes) if preparation is not None else expression_values(genes)
    labels = np.asarray([classes[int(i)] for i in y]) if np.issubdtype(np.asarray(y).dtype, np.integer) \
        else np.asarray(y).astype(str)
    present = [c for c in classes if (labels == c).sum() >= 2]
    if len(present) < 2:
        return {}
    adata = anndata.AnnData(values, obs=pd.DataFrame({"label": pd.Categorical(labels)},
                                                     index=[str(i) for i in range(len(labels))]),
                            var=pd.DataFrame(index=gene_names(genes)))
    method = "wilcoxon" if values.shape[0] * values.shape[1] <= WILCOXON_VALUES else "t-test"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scanpy's notes on groups and on data not being log counts
        sc.tl.rank_genes_groups(adata, "label", groups=present, reference="rest", method=method,
                                n_genes=TOP_GENES)
    table = sc.get.rank_genes_groups_df(adata, group=None)
    counts = preparation is not None and preparation.counts_
    per_class = {str(group): [{"gene": str(row.names), "score": float(row.scores), "p_adjusted": float(row.pvals_adj),
                               **({"log_fold_change": float(row.logfoldchanges)} if counts else {})}
                              for row in rows.itertuples()]
                 for group, rows in table.groupby("group", observed=True)}
    return {"method": method, "classes": per_class}


def model_genes(pipeline: Any, preparation: ExpressionPreparation | None,
                classes: list[str] | None) -> dict[str, Any] | None:
    """The genes the model leans on most: per class for a linear model (the genes whose higher
    values push towards it), overall from importances otherwise; None when the model has neither."""
    if preparation is None:
        return None
    columns = pipeline[0].output_indices_.get(GENES_BLOCK)
    estimator = pipeline.steps[-1][1]
    width = sum(s.stop - s.start for s in pipeline[0].output_indices_.values())
    kept = np.asarray(preparation.kept_genes)
    coefficients = getattr(estimator, "coef_", None)
    if classes and coefficients is not None and np.ndim(coefficients) == 2 and len(coefficients) == len(classes):
        weights = preparation.gene_coefficients(np.asarray(coefficients)[:, columns])
        return {"source": "coefficients",
                "classes": {c: _top(kept, row) for c, row in zip(classes, weights)}}
    importances = model_importances(estimator, width)
    if importances is None:
        return None
    return {"source": "importances", "overall": _top(kept, preparation.gene_weights(importances[columns]))}


def _top(genes: np.ndarray, weights: np.ndarray) -> list[dict[str, Any]]:
    order = np.argsort(-np.asarray(weights), kind="stable")[:TOP_GENES]
    return [{"gene": str(genes[i]), "weight": float(weights[i])} for i in order if weights[i] > 0]


def _heaviest_preparation(members: Sequence[tuple[float, Any]]) -> tuple[Any, ExpressionPreparation | None]:
    """The pipeline of the member with the largest weight that prepared genes, and its preparation."""
    for _, pipeline in sorted(members, key=lambda member: -member[0]):
        transformer = getattr(pipeline[0], "named_transformers_", {}).get(GENES_BLOCK) \
            if hasattr(pipeline, "steps") else None
        if transformer is not None and hasattr(transformer, "steps"):
            transformer = transformer.steps[0][1]  # Naive Bayes' preparation, then [0, 1]
        if isinstance(transformer, ExpressionPreparation):
            return pipeline, transformer
    return None, None
