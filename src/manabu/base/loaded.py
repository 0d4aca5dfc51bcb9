"""Whether an object comes from a library, asked without importing the library.

An estimator of LightGBM can exist only once LightGBM is imported. Storage and the row path ask
each registered family "is this one of yours?"; asked by importing the library, the answer "no"
would cost a fifth of a second for every model that is not one.
"""
from __future__ import annotations

import sys
from typing import Any


def instance_of(obj: Any, module: str, name: str) -> bool:
    """True when ``obj`` is an instance of ``module.name``; False at once when ``module`` has not
    been imported."""
    imported = sys.modules.get(module)
    cls = getattr(imported, name, None) if imported is not None else None
    return isinstance(cls, type) and isinstance(obj, cls)
