"""The directed message-passing network (D-MPNN; Yang et al. 2019, "Analyzing learned molecular
representations for property prediction", the network of chemprop), on plain PyTorch.

Messages live on directed bonds, not atoms: a bond u→v's next state sums the states of the
bonds entering u except v→u, so a message never flows straight back where it came from (the
"totters" of atom-centred networks). After ``depth`` steps each atom gathers the bonds entering
it, the molecule is the mean (or sum) of its atoms, and an MLP head answers. A molecule without
atoms (a SMILES that RDKit could not read) is a learnt "unknown" vector instead.

This module imports torch: the family imports it only when it builds a network.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

READOUTS = ("mean", "sum")


def network_config(atom_width: int, bond_width: int, n_outputs: int, hidden_size: int, depth: int,
                   dropout: float, readout: str) -> dict[str, Any]:
    """The plain description a saved model keeps: ``build_network`` makes the module from it."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, not {readout!r}")
    if int(depth) < 1:
        raise ValueError(f"depth must be at least 1, not {depth}")
    return {"atom_width": int(atom_width), "bond_width": int(bond_width), "n_outputs": int(n_outputs),
            "hidden_size": int(hidden_size), "depth": int(depth), "dropout": float(dropout), "readout": readout}


def build_network(config: dict[str, Any]) -> DirectedMPNN:
    return DirectedMPNN(**config)


class DirectedMPNN(nn.Module):
    def __init__(self, atom_width: int, bond_width: int, n_outputs: int, hidden_size: int = 128, depth: int = 3,
                 dropout: float = 0.0, readout: str = "mean"):
        super().__init__()
        self.depth, self.readout = depth, readout
        self.bond_input = nn.Linear(atom_width + bond_width, hidden_size, bias=False)
        self.message = nn.Linear(hidden_size, hidden_size, bias=False)
        self.atom_output = nn.Linear(atom_width + hidden_size, hidden_size)
        self.unknown = nn.Parameter(torch.zeros(hidden_size))  # zero until unreadable molecules teach it
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, hidden_size), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden_size, n_outputs))

    def forward(self, graph) -> torch.Tensor:
        """``graph``: a ``graphs.GraphBatch`` of tensors; the answer: (molecules, outputs)."""
        atoms_of_bonds = torch.cat([graph.atoms[graph.sources], graph.bonds], dim=1)
        first = torch.relu(self.bond_input(atoms_of_bonds))
        state = first
        reverse = torch.arange(len(state), device=state.device) ^ 1
        for _ in range(self.depth - 1):
            entering = self._entering(state, graph)  # per atom: the sum of the bonds entering it
            message = entering[graph.sources] - state[reverse]
            state = self.dropout(torch.relu(first + self.message(message)))
        gathered = torch.cat([graph.atoms.to(state.dtype), self._entering(state, graph)], dim=1)
        atoms = self.dropout(torch.relu(self.atom_output(gathered)))
        return self.head(self._molecules(atoms, graph))

    @staticmethod
    def _entering(state: torch.Tensor, graph) -> torch.Tensor:
        total = state.new_zeros((len(graph.atoms), state.shape[1]))
        return total.index_add(0, graph.destinations, state)

    def _molecules(self, atoms: torch.Tensor, graph) -> torch.Tensor:
        """Each molecule's vector: its atoms' mean or sum, or ``unknown`` where it has none."""
        pooled = atoms.new_zeros((graph.n_molecules, atoms.shape[1])).index_add(0, graph.molecule, atoms)
        counts = torch.bincount(graph.molecule, minlength=graph.n_molecules).unsqueeze(1)
        if self.readout == "mean":
            pooled = pooled / counts.clamp(min=1).to(pooled.dtype)
        return torch.where(counts > 0, pooled, self.unknown.to(pooled.dtype).unsqueeze(0))
