"""embed_mlp: an embedding table (p x embed_dim) shared by the operands, their embeddings
concatenated or summed, then the MLP (the paper's ReLU model)."""
from __future__ import annotations

import torch

from clockspec.core.errors import SpecError
from clockspec.runtime.models.network import Network, layer_names
from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.tasks import Dataset


@MODELS.register("embed_mlp", Network)
def embed_mlp(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Network:
    if not data.tokens:
        raise SpecError("model embed_mlp needs a task with token inputs (modular)")
    width = data.arity * model.embed_dim if model.combine == "concat" else model.embed_dim
    dims = [width, *model.hidden, data.n_classes]
    biased = [model.has_bias(name) for name in layer_names(len(dims) - 1)]
    return Network(dims, model.activation, biased, model.init_scale, generator, dtype,
                   n_tokens=data.n_tokens, embed_dim=model.embed_dim, combine=model.combine,
                   arity=data.arity)
