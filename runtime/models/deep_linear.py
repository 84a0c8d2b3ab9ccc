"""deep_linear: `depth` bias-free matrices (input -> width -> ... -> classes), no activation."""
from __future__ import annotations

import torch

from clockspec.runtime.models.network import Network
from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.tasks import Dataset


@MODELS.register("deep_linear", Network)
def deep_linear(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Network:
    dims = [data.n_inputs] + [model.width] * (model.depth - 1) + [data.n_classes]
    return Network(dims, "linear", False, model.init_scale, generator, dtype, n_tokens=data.n_tokens, arity=data.arity,
                   names=[f"layers.{i}" for i in range(model.depth)])
