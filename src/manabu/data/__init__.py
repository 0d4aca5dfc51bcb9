"""Reading data (``read``), describing its columns (``Schema``) and splitting it."""
from manabu.data.read import read

__all__ = ["read"]
