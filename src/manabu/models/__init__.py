"""The model zoo: one ``ModelEntry`` per family (factory, search space, capabilities)."""
from manabu.models.entry import ModelEntry
from manabu.models.zoo import ZOO, get_entries, portfolio

__all__ = ["ModelEntry", "ZOO", "get_entries", "portfolio"]
