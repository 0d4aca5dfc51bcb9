"""A directed message-passing network learnt from the molecules themselves: the "mpnn" family.

It takes what ``PreprocessKind.SMILES`` hands on, the SMILES columns as written, and learns
from the first: RDKit reads each molecule into a graph (``graphs``), and the network
(``network``) is trained with ``deep.trainer``'s loop (AdamW, one-cycle schedule, early stopping
on a held-out tenth of the rows, a deadline that keeps the best epoch). A regression target is
standardised, so the head fits any scale.

A fitted model keeps its weights as numpy arrays and its network as a plain description
(``config_``): the torch module is built on first use, so the estimator copies and pickles like
any scikit-learn estimator, and its folder stores the weights as safetensors (``codec``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier

from manabu.models.molecules.graphs import (BOND_WIDTH, ELEMENTS, FEATURISER_VERSION, atom_width, collate,
                                            featurise, graph_batches)
from manabu.models.text_torch import (ClassificationHead, RegressionHead, cell_text, check_targets, holdout,
                                      numpy_weights, text_cells, torch_settings, torch_weights)

MIN_HOLDOUT_ROWS = 20   # below this, nothing is held out and the last epoch is kept
PREDICT_BATCH = 256


class MoleculeNetwork(BaseEstimator):
    """What the classifier and the regressor share: the graphs, the training, the forward pass."""

    def __init__(self, hidden_size: int = 128, depth: int = 3, dropout: float = 0.0, readout: str = "sum",
                 learning_rate: float = 3e-3, weight_decay: float = 1e-4, max_epochs: int = 50, patience: int = 8,
                 batch_size: int = 50, device: str = "auto", n_threads: int = 1, random_state: int | None = None):
        self.hidden_size = hidden_size
        self.depth = depth
        self.dropout = dropout
        self.readout = readout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X, y, deadline: float | None = None):
        from manabu.models.molecules.network import build_network, network_config

        read = featurise(smiles_column(X), ELEMENTS)
        targets, n_outputs = self._targets(check_targets(y, len(read.graphs)))
        seed = 0 if self.random_state is None else int(self.random_state)
        train, valid = holdout(targets if is_classifier(self) else np.zeros(len(targets), dtype=np.int64),
                               is_classifier(self), seed, MIN_HOLDOUT_ROWS)
        self.config_ = network_config(atom_width(ELEMENTS), BOND_WIDTH, n_outputs, self.hidden_size, self.depth,
                                      self.dropout, self.readout)
        self.featuriser_ = {"version": FEATURISER_VERSION, "elements": list(ELEMENTS)}
        with torch_settings(self.n_threads, seed):
            network = build_network(self.config_)
            log = self._train(network, read.graphs, targets, train, valid, seed, deadline)
        self.log_ = {**log, "missing_smiles": read.missing, "unreadable_smiles": read.unreadable}
        self.n_unreadable_, self.n_missing_ = read.unreadable, read.missing
        self.weights_ = numpy_weights(network.state_dict())
        self.stopped_at_deadline_ = bool(self.log_["stopped_at_deadline"])
        self._network = network.cpu().eval()
        return self

    def _train(self, network, graphs, targets, train, valid, seed, deadline) -> dict[str, Any]:
        from manabu.deep.device import torch_device
        from manabu.deep.trainer import Schedule, train_network

        device = torch_device(self.device)
        network.to(device)
        batch = max(1, min(int(self.batch_size), len(train)))
        schedule = Schedule(int(self.max_epochs), -(-len(train) // batch), float(self.learning_rate),
                            float(self.weight_decay), int(self.patience))
        loss_fn, score_fn = self._loss_and_score()
        rng = np.random.default_rng(seed)
        log = train_network(network, loss_fn, score_fn, graph_batches(graphs, targets, train, batch, True, rng),
                            graph_batches(graphs, targets, valid, PREDICT_BATCH, False) if len(valid) else None,
                            schedule, device, deadline=deadline)
        return log.to_dict()

    # -- answering ----------------------------------------------------------------------------
    def network(self):
        """The torch module, built from the weights on first use."""
        network = getattr(self, "_network", None)
        if network is None:
            from manabu.models.molecules.network import build_network

            with torch_settings(1, 0):
                network = build_network(self.config_)
            network.load_state_dict(torch_weights(self.weights_))
            self._network = network.eval()
        return network

    def outputs(self, X) -> np.ndarray:
        """The network's raw outputs (logits, or the standardised value) as float64, on the
        threads it trained on (``n_threads``: torch's default, every core, answered 256
        small molecules in 0.79 s against one thread's 0.22 s while the other core was busy)."""
        import torch

        graphs = featurise(smiles_column(X), self.featuriser_["elements"]).graphs
        network, results = self.network(), []
        with torch.inference_mode(), torch_settings(self.n_threads):
            for start in range(0, len(graphs), PREDICT_BATCH):
                batch = collate(graphs[start:start + PREDICT_BATCH]).to("cpu")
                results.append(network(batch).double().numpy())
        return np.concatenate(results) if results else np.empty((0, self.config_["n_outputs"]))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_network", None)  # rebuilt from the weights
        return state


class MPNNClassifier(ClassificationHead, ClassifierMixin, MoleculeNetwork):
    pass


class MPNNRegressor(RegressionHead, RegressorMixin, MoleculeNetwork):
    pass


def smiles_column(X) -> list[str]:
    """The first column's cells as text ("" where missing): a frame, a 2-D array (rows x SMILES
    columns, as ``PreprocessKind.SMILES`` gives) or one column as a sequence."""
    cells = text_cells(X)
    if cells.shape[1] == 0:
        raise ValueError("X has no column of SMILES")
    return [cell_text(cell).strip() for cell in cells[:, 0]]
