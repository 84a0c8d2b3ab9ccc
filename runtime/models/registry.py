"""`MODELS`, the builder of each IR model kind, and `build_model`, which every caller uses.

A builder takes the IR's model config, the dataset (its sizes), a seeded CPU generator and
the dtype, and returns a module that follows `Model`.
"""
from __future__ import annotations

from typing import Any

import torch

from clockspec.core.registry import Registry
from clockspec.runtime.models.protocol import Model, conform
from clockspec.runtime.parametrization import parametrize
from clockspec.runtime.tasks import Dataset

MODELS = Registry("runtime model")


def build_model(model: Any, data: Dataset, seed: int, dtype: torch.dtype) -> Model:
    """The kind's module, initialised from `seed`, with its parametrization applied."""
    generator = torch.Generator().manual_seed(seed)
    net = conform(MODELS[model.kind](model, data, generator, dtype), model.kind)
    return parametrize(model, net, generator)
