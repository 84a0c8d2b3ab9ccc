"""Model builders: the IR's model kinds -> one `Network` module.

All three kinds are a stack of linear layers with an activation between them; they differ in
how the input enters. Operand indices of a modular task enter by gathering columns of the
first weight (`embed_mlp`: rows of an embedding table), never by multiplying a one-hot matrix:
same function, a fraction of the cost.

Initialisation is torch's default for each layer type (linear: U(+-1/sqrt(fan_in)) for weight
and bias; embedding: N(0, 1)), every parameter multiplied by `init_scale`, drawn from a
generator seeded by the spec's `seed` on the CPU, so the initial weights are the same on
every device.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from clockspec.core.errors import SpecError
from clockspec.core.registry import Registry
from clockspec.runtime.tasks import Dataset

MODELS = Registry("runtime model")

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "gelu": F.gelu,
    "quadratic": torch.square,
    "linear": lambda z: z,
}


class Network(nn.Module):
    """Linear layers W_1..W_L (each `out x in`) with an activation between them.

    `embedding` (p x d), when present, maps each operand to a vector; the two vectors are
    concatenated or summed. Without it, operand indices select columns of W_1 (the one-hot
    input of width 2p); float inputs are multiplied as usual.
    """

    def __init__(self, dims: list[int], activation: str, bias: bool, init_scale: float,
                 generator: torch.Generator, dtype: torch.dtype, n_tokens: int | None = None,
                 embed_dim: int | None = None, combine: str = "concat"):
        super().__init__()
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]
        self.combine = combine
        self.embedding = None
        if embed_dim is not None:
            table = torch.empty(n_tokens, embed_dim, dtype=dtype).normal_(generator=generator)
            self.embedding = nn.Parameter(table * init_scale)
        elif n_tokens is not None:  # operand b's one-hot block starts at column p
            self.register_buffer("offsets", torch.tensor([0, n_tokens]), persistent=False)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList() if bias else None
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            bound = init_scale / fan_in**0.5
            w = torch.empty(fan_out, fan_in, dtype=dtype).uniform_(-bound, bound, generator=generator)
            self.weights.append(nn.Parameter(w))
            if bias:
                b = torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=generator)
                self.biases.append(nn.Parameter(b))

    @property
    def head(self) -> nn.Parameter:
        return self.weights[-1]

    def layer_weights(self) -> list[torch.Tensor]:
        """The weight matrices in input-to-output order (the embedding table first)."""
        first = [self.embedding] if self.embedding is not None else []
        return first + list(self.weights)

    def end_to_end(self) -> torch.Tensor | None:
        """W_L ... W_1 when the network is one linear map (no activation, bias or embedding)."""
        if self.activation_name != "linear" or self.biases is not None or self.embedding is not None:
            return None
        out = self.weights[0]
        for w in self.weights[1:]:
            out = w @ out
        return out

    def _first(self, x: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            e = F.embedding(x, self.embedding)
            return e.flatten(1) if self.combine == "concat" else e.sum(1)
        return x

    def forward_with_preacts(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the pre-activations of every hidden layer."""
        h = self._first(x)
        preacts = []
        last = len(self.weights) - 1
        for i, w in enumerate(self.weights):
            b = self.biases[i] if self.biases is not None else None
            if i == 0 and self.embedding is None and not h.is_floating_point():
                z = F.embedding(h + self.offsets, w.t()).sum(1)
                z = z + b if b is not None else z
            else:
                z = F.linear(h, w, b)
            if i == last:
                return z, preacts
            preacts.append(z)
            h = self.activation(z)
        raise AssertionError("a network has at least one layer")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_preacts(x)[0]


def build_model(model, data: Dataset, seed: int, dtype: torch.dtype) -> Network:
    generator = torch.Generator().manual_seed(seed)
    return MODELS[model.kind](model, data, generator, dtype)


@MODELS.register("deep_linear")
def deep_linear(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Network:
    dims = [data.n_inputs] + [model.width] * (model.depth - 1) + [data.n_classes]
    return Network(dims, "linear", False, model.init_scale, generator, dtype, n_tokens=data.n_tokens)


@MODELS.register("mlp")
def mlp(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Network:
    dims = [data.n_inputs, *model.hidden, data.n_classes]
    return Network(dims, model.activation, model.bias, model.init_scale, generator, dtype,
                   n_tokens=data.n_tokens)


@MODELS.register("embed_mlp")
def embed_mlp(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Network:
    if not data.tokens:
        raise SpecError("model embed_mlp needs a task with token inputs (modular)")
    width = 2 * model.embed_dim if model.combine == "concat" else model.embed_dim
    dims = [width, *model.hidden, data.n_classes]
    return Network(dims, model.activation, model.bias, model.init_scale, generator, dtype,
                   n_tokens=data.n_tokens, embed_dim=model.embed_dim, combine=model.combine)
