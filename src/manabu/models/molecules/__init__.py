"""The molecule family: a directed message-passing network (D-MPNN) learnt from SMILES, each
molecule read by RDKit into a graph (``graphs``), the network on plain PyTorch (``network``), the
estimator (``family``), stored as safetensors weights beside a JSON description (``codec``).
The zoo lists ``ENTRY`` (``entry``); nothing else names the family.

Importing the package registers only the storage format, importing neither torch nor RDKit: a
saved molecule model loads through it (the ``manabu.plugins`` entry point names this package).
"""
from __future__ import annotations

from manabu.models.entry import register_storage

from .codec import CODEC

register_storage(CODEC, None)
