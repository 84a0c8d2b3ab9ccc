"""mlp: linear layers of the `hidden` widths with the activation between them; a modular
task's operands enter one-hot (as gathered columns of the first weight)."""
from __future__ import annotations

import torch

from clockspec.runtime.models.network import Network, layer_names
from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.tasks import Dataset


@MODELS.register("mlp", Network)
def mlp(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Network:
    dims = [data.n_inputs, *model.hidden, data.n_classes]
    biased = [model.has_bias(name) for name in layer_names(len(dims) - 1)]
    return Network(dims, model.activation, biased, model.init_scale, generator, dtype, n_tokens=data.n_tokens, arity=data.arity)
