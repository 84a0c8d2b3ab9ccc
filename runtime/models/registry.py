"""`MODELS`, the builder of each IR model kind, and `build_model`, which every caller uses.

A builder takes the IR's model config, the dataset (its sizes), a seeded CPU generator and
the dtype, and returns a module that follows `Model`.
"""
from __future__ import annotations

from typing import Any

import torch

from clockspec.core.registry import Registry
from clockspec.runtime.models.protocol import Model, conform
from clockspec.runtime.tasks import Dataset

MODELS = Registry("runtime model")


def build_model(model: Any, data: Dataset, seed: int, dtype: torch.dtype) -> Model:
    generator = torch.Generator().manual_seed(seed)
    return conform(MODELS[model.kind](model, data, generator, dtype), model.kind)
