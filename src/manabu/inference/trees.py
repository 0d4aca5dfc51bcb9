"""Decision trees as flat arrays, walked one level at a time for every tree and row at once.

A forest of 300 trees costs scikit-learn a Python call per tree; here one level of all trees is
a handful of numpy operations, so a prediction costs about (depth × a few microseconds). The
comparisons are the libraries' own: scikit-learn's trees read their input as float32 and send
``x <= threshold`` left, HistGradientBoosting reads float64 and has category bitsets, XGBoost
reads float32 and sends ``x < threshold`` left. A missing value follows the node's default.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from manabu.inference.errors import NotCovered, Unsupported

N_CODES = 256  # category codes a categorical split can read (HistGradientBoosting's bitsets)


@dataclass
class Forest:
    feature: np.ndarray       # per node; leaves read feature 0 and stay where they are
    threshold: np.ndarray
    left: np.ndarray          # global node index; a leaf's children are itself
    right: np.ndarray
    missing_left: np.ndarray  # where a missing value goes
    roots: np.ndarray         # one per tree
    depth: int
    float32: bool             # compare the input as float32, as the library does
    strict: bool              # ``x < threshold`` goes left (else ``x <= threshold``)
    category_row: np.ndarray | None = None    # per node: its row of ``category_left``, or -1
    category_left: np.ndarray | None = None   # (categorical nodes, N_CODES): the code goes left
    category_features: np.ndarray | None = None  # the input columns categorical splits read
    mean_depth: float = 0.0   # of the leaves, averaged over trees: the cost of a walk in Python

    def __post_init__(self) -> None:
        self.children = np.stack([self.left, self.right], axis=1).ravel()  # node*2 (+1 to go right)
        self.missing_right = ~self.missing_left
        self._walk: tuple | None = None
        self.compiled = None  # ONNX Runtime's leaf finder (``use_onnx``), when one is in use

    def use_onnx(self, wanted: bool = True) -> bool:
        """Find leaves with ONNX Runtime (``onnx_leaves``) from now on, or stop; says whether
        it is in use. Building costs a few µs a node, so it is done for a model that will
        answer many calls (a saved one), not for each candidate of a search."""
        from manabu.inference.onnx_leaves import onnx_leaves

        self.compiled = onnx_leaves(self) if wanted else None
        return self.compiled is not None

    def with_categories(self, rows: np.ndarray, goes_left: np.ndarray) -> None:
        """Categorical splits: ``rows`` gives each node's row of ``goes_left`` (-1: a numeric
        split). For the level walk, each row becomes N_CODES + 1 entries "goes right", the
        last one for a missing value, laid end to end."""
        self.category_row, self.category_left = rows, goes_left
        self.category_features = np.unique(self.feature[rows >= 0])
        right = np.hstack([~goes_left, self.missing_right[rows >= 0][np.argsort(rows[rows >= 0])][:, None]])
        self.category_right = right.ravel()
        self.category_start = np.where(rows >= 0, rows * (N_CODES + 1), 0)
        self.categorical = rows >= 0

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """The leaf each row reaches in each tree: (rows, trees) node indices."""
        if self.float32:
            with np.errstate(over="ignore"):
                X = X.astype(np.float32)
            if np.isinf(X).any():
                raise NotCovered("value beyond float32")  # the library refuses it; let it say so
        if self.compiled is not None:  # only forests without categorical splits have one
            return self.compiled(X)
        X = X.astype(np.float64, copy=False)
        codes = None
        if self.category_features is not None:
            values = X[:, self.category_features]
            present = values[~np.isnan(values)]
            if ((present < 0) | (present >= N_CODES) | (present != np.floor(present))).any():
                raise NotCovered("category code that is not a small whole number")
            codes = np.zeros(X.shape, dtype=np.intp)
            codes[:, self.category_features] = np.where(np.isnan(values), N_CODES, values)
        if len(X) == 1 and self._python_is_faster():
            return np.asarray([self._walk_one(X[0].tolist())], dtype=np.intp)
        return self._walk_levels(X, codes)

    def _walk_levels(self, X: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
        """All rows and trees together, one level per step (leaves step onto themselves)."""
        n_rows, n_features = X.shape
        flat = np.ascontiguousarray(X).ravel()
        missing = np.isnan(flat)
        start = (np.arange(n_rows) * n_features)[:, None] if n_rows > 1 else 0  # where each row begins
        codes = None if codes is None else codes.ravel()
        node = np.tile(self.roots, (n_rows, 1))
        for _ in range(self.depth):
            at = start + self.feature[node] if n_rows > 1 else self.feature[node]
            x = flat[at]
            right = x >= self.threshold[node] if self.strict else x > self.threshold[node]
            right |= missing[at] & self.missing_right[node]
            if codes is not None:  # a categorical split reads its table at the code (or missing)
                by_code = self.category_right[self.category_start[node] + codes[at]]
                right = np.where(self.categorical[node], by_code, right)
            node = self.children[2 * node + right]
        return node

    def _python_is_faster(self) -> bool:
        """For one row: a Python walk costs about a quarter microsecond a node visited, a
        numpy level about a dozen microseconds whatever the number of trees."""
        return 0.25 * len(self.roots) * self.mean_depth < 12.0 * self.depth

    def _walk_one(self, row: list[float]) -> list[int]:
        if self._walk is None:
            categories = self.category_row if self.category_row is not None else np.full(len(self.left), -1)
            self._walk = (self.left.tolist(), self.right.tolist(), self.feature.tolist(),
                          self.threshold.tolist(), self.missing_left.tolist(), categories.tolist(),
                          None if self.category_left is None else self.category_left.tolist())
        left, right, feature, threshold, missing_left, category_row, category_left = self._walk
        out = []
        for node in self.roots.tolist():
            while left[node] != node:
                x = row[feature[node]]
                if x != x:
                    node = left[node] if missing_left[node] else right[node]
                elif category_row[node] >= 0:
                    node = left[node] if category_left[category_row[node]][int(x)] else right[node]
                elif (x < threshold[node]) if self.strict else (x <= threshold[node]):
                    node = left[node]
                else:
                    node = right[node]
            out.append(node)
        return out


def _assemble(trees: list[dict], float32: bool, strict: bool) -> Forest:
    """One Forest from per-tree arrays (local child indices, -1 for leaves)."""
    offsets = np.cumsum([0] + [len(t["left"]) for t in trees])
    feature, threshold, left, right, missing_left, rows = [], [], [], [], [], []
    categories: list[np.ndarray] = []
    depth, mean_depth = 0, 0.0
    for t, offset in zip(trees, offsets):
        leaf = t["left"] < 0
        own = np.arange(len(leaf)) + offset
        feature.append(np.where(leaf, 0, t["feature"]))
        threshold.append(np.where(leaf, 0.0, t["threshold"]))
        left.append(np.where(leaf, own, t["left"] + offset))
        right.append(np.where(leaf, own, t["right"] + offset))
        missing_left.append(np.asarray(t["missing_left"], dtype=bool))
        node_rows = np.full(len(leaf), -1, dtype=np.intp)
        for node, table in t.get("categories", {}).items():
            node_rows[node] = len(categories)
            categories.append(table)
        rows.append(node_rows)
        tree_depth, tree_mean = _depth(t["left"], t["right"])
        depth = max(depth, tree_depth)
        mean_depth += tree_mean / len(trees)
    forest = Forest(np.concatenate(feature).astype(np.intp), np.concatenate(threshold).astype(np.float64),
                    np.concatenate(left).astype(np.intp), np.concatenate(right).astype(np.intp),
                    np.concatenate(missing_left), offsets[:-1].astype(np.intp), depth, float32, strict,
                    mean_depth=mean_depth)
    if categories:
        forest.with_categories(np.concatenate(rows), np.vstack(categories))
    return forest


def _depth(left: np.ndarray, right: np.ndarray) -> tuple[int, float]:
    """(deepest leaf, mean leaf depth) of one tree."""
    depth, level, leaf_depths = 0, np.array([0]), []
    while len(level):
        inner = left[level] >= 0
        leaf_depths += [depth] * int((~inner).sum())
        level = np.concatenate([left[level[inner]], right[level[inner]]])
        depth += 1
    return max(leaf_depths), float(np.mean(leaf_depths))


# ------------------------------------------------------------------------------- scikit-learn

def sklearn_trees(estimators: list) -> tuple[Forest, np.ndarray]:
    """Forest and leaf values (nodes, outputs) of fitted DecisionTree estimators."""
    trees, values = [], []
    for estimator in estimators:
        tree = estimator.tree_
        if tree.n_outputs != 1 or not hasattr(tree, "missing_go_to_left"):
            raise Unsupported("multi-output tree, or one without missing-value routing")
        trees.append({"left": tree.children_left, "right": tree.children_right, "feature": tree.feature,
                      "threshold": tree.threshold, "missing_left": tree.missing_go_to_left})
        values.append(tree.value[:, 0, :])
    return _assemble(trees, float32=True, strict=False), np.vstack(values).astype(np.float64)


# ---------------------------------------------------------------------- HistGradientBoosting

def hist_gradient_boosting_trees(predictors: list[list], known: np.ndarray, feature_map: np.ndarray
                                 ) -> tuple[Forest, np.ndarray]:
    """Forest (trees in iteration order, classes inner) and leaf values of a fitted HGB model.

    ``known``/``feature_map`` are the known-category bitsets the model predicts with: a code it
    did not see in training goes where missing values go.
    """
    trees, values = [], []
    for iteration in predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            tree = {"left": np.where(leaf, -1, nodes["left"].astype(np.int64)),
                    "right": np.where(leaf, -1, nodes["right"].astype(np.int64)),
                    "feature": nodes["feature_idx"].astype(np.int64), "threshold": nodes["num_threshold"],
                    "missing_left": nodes["missing_go_to_left"].astype(bool), "categories": {}}
            for node in np.flatnonzero(nodes["is_categorical"].astype(bool) & ~leaf):
                goes_left = _bits(predictor.raw_left_cat_bitsets[nodes["bitset_idx"][node]])
                seen = _bits(known[feature_map[nodes["feature_idx"][node]]])
                missing_left = bool(nodes["missing_go_to_left"][node])
                tree["categories"][int(node)] = np.where(goes_left, True, np.where(seen, False, missing_left))
            trees.append(tree)
            values.append(nodes["value"].astype(np.float64))
    return _assemble(trees, float32=False, strict=False), np.concatenate(values)


def _bits(bitset: np.ndarray) -> np.ndarray:
    """A scikit-learn bitset (8 × uint32) as N_CODES booleans."""
    words = np.asarray(bitset, dtype=np.uint32)
    return ((words[np.arange(N_CODES) // 32] >> (np.arange(N_CODES) % 32).astype(np.uint32)) & 1).astype(bool)


# ------------------------------------------------------------------------------------- XGBoost

def xgboost_trees(model: dict, n_trees: int) -> tuple[Forest, np.ndarray]:
    """Forest and leaf values of the first ``n_trees`` trees of an XGBoost JSON model (gbtree).

    XGBoost reads its input as float32 and sends ``x < split`` left; a category split sends
    the codes it lists right, and codes it does not list, or cannot read, left."""
    trees, values = [], []
    for tree in model["trees"][:n_trees]:
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise Unsupported("XGBoost trees with vector leaves")
        left = np.asarray(tree["left_children"], dtype=np.int64)
        split_type = np.asarray(tree["split_type"], dtype=np.int64)
        entry = {"left": left, "right": np.asarray(tree["right_children"], dtype=np.int64),
                 "feature": np.asarray(tree["split_indices"], dtype=np.int64),
                 "threshold": np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64),
                 "missing_left": np.asarray(tree["default_left"], dtype=bool), "categories": {}}
        starts, sizes = tree["categories_segments"], tree["categories_sizes"]
        for node, start, size in zip(tree["categories_nodes"], starts, sizes):
            listed = np.asarray(tree["categories"][start:start + size], dtype=np.int64)
            if len(listed) and (listed.min() < 0 or listed.max() >= N_CODES):
                raise Unsupported("XGBoost category beyond the codes read here")
            goes_left = np.ones(N_CODES, dtype=bool)
            goes_left[listed] = False
            entry["categories"][int(node)] = goes_left
        if (split_type[left >= 0] != 0).sum() != len(entry["categories"]):
            raise Unsupported("XGBoost split of an unknown type")
        trees.append(entry)
        values.append(np.asarray(tree["split_conditions"], dtype=np.float32))
    return _assemble(trees, float32=True, strict=True), np.concatenate(values)
