"""Intervention builders: the IR's intervention kinds -> hooks on the training step.

One module per kind (weight_norm.py, grad_clip.py), each registering its builder in
`INTERVENTIONS`; every module of this package is imported here. A builder returns a `Hook`:
`after_backward` runs once the gradient is computed (before the update: clipping),
`after_update` once the optimizer stepped (a constraint on the weights). The loop calls
them through `Hooks`, its one seam for interventions (`stacked.Stacked`).
"""
from __future__ import annotations

import importlib
import pkgutil

from clockspec.runtime.interventions.hooks import INTERVENTIONS, Hook, Hooks, build_interventions

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")  # a kind registers its builder

__all__ = ["INTERVENTIONS", "Hook", "Hooks", "build_interventions"]
