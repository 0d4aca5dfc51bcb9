"""Training part of a pretrained network: the frozen part keeps its weights and its batch-norm
statistics (in inference mode even while the rest trains, as Keras' transfer-learning guide
advises: fresh statistics from a few small batches would undo what pretraining learnt)."""
from __future__ import annotations

from torch import nn


class PartlyFrozen(nn.Module):
    """``network`` with only the parameters under the ``trainable`` prefixes learning."""

    def __init__(self, network: nn.Module, trainable: tuple[str, ...]) -> None:
        super().__init__()
        self.network = network
        for name, parameter in network.named_parameters():
            parameter.requires_grad_(name.startswith(trainable))
        self.frozen = [module for name, module in network.named_modules()
                       if name and not name.startswith(trainable) and not any(True for _ in module.children())]

    def train(self, mode: bool = True):
        super().train(mode)
        for module in self.frozen:
            module.eval()
        return self

    def forward(self, x):
        return self.network(x)
