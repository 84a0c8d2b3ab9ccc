"""Model builders: the IR's model kinds -> torch modules that follow `Model` (protocol.py).

One module per architecture (deep_linear.py, mlp.py, embed_mlp.py), each registering its
builder in `MODELS` (registry.py); `network.py` is the linear-layer stack the three share.
Every module of this package is imported here, so a new architecture is one new module
here: nothing else in the runtime names it.
"""
from __future__ import annotations

import importlib
import pkgutil

from clockspec.runtime.models.protocol import Model, require
from clockspec.runtime.models.registry import MODELS, build_model

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")  # an architecture registers its builder

__all__ = ["MODELS", "Model", "build_model", "require"]
