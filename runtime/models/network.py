"""`Network`: the linear-layer stack that deep_linear, mlp and embed_mlp all build.

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

from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "gelu": F.gelu,
    "quadratic": torch.square,
    "linear": lambda z: z,
}


class Network(nn.Module):
    """Linear layers W_1..W_L (each `out x in`) with an activation between them; a `Model`.

    `embedding` (p x d), when present, maps each operand to a vector; the operands' vectors
    are concatenated or summed. Without it, operand indices select columns of W_1 (the one-hot
    input of width k p for k operands); float inputs are multiplied as usual.
    """

    def __init__(self, dims: list[int], activation: str, bias: bool | list[bool], init_scale: float,
                 generator: torch.Generator, dtype: torch.dtype, n_tokens: int | None = None,
                 embed_dim: int | None = None, combine: str = "concat", names: list[str] | None = None,
                 arity: int | None = None):
        super().__init__()
        n_layers = len(dims) - 1
        self.names = names or layer_names(n_layers)  # the IR's layer names (param_shapes)
        has_bias = bias if isinstance(bias, list) else [bias] * n_layers
        self.bias_slot = [sum(has_bias[:i]) if on else None for i, on in enumerate(has_bias)]
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]
        self.combine = combine
        self.n_tokens = n_tokens
        self.embedding = None
        if embed_dim is not None:
            table = torch.empty(n_tokens, embed_dim, dtype=dtype).normal_(generator=generator)
            self.embedding = nn.Parameter(table * init_scale)
        if n_tokens is not None:  # operand j's one-hot block (its rows of a projection table) starts at j p
            self.register_buffer("offsets", torch.arange(arity) * n_tokens, persistent=False)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList() if any(has_bias) else None
        for fan_in, fan_out, on in zip(dims[:-1], dims[1:], has_bias):
            bound = init_scale / fan_in**0.5
            w = torch.empty(fan_out, fan_in, dtype=dtype).uniform_(-bound, bound, generator=generator)
            self.weights.append(nn.Parameter(w))
            if on:
                b = torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=generator)
                self.biases.append(nn.Parameter(b))

    @property
    def head(self) -> nn.Parameter:
        return self.weights[-1]

    def bias(self, i: int) -> nn.Parameter | None:
        slot = self.bias_slot[i]
        return None if slot is None else self.biases[slot]

    def token_table(self) -> torch.Tensor | None:
        """(p, d): each operand value's vector. The embedding; else, for one-hot token inputs,
        the first layer's columns of each operand side by side (p x k width)."""
        if self.embedding is not None:
            return self.embedding
        if self.n_tokens is None:
            return None
        p, w = self.n_tokens, self.weights[0]
        return torch.cat([w[:, j * p:(j + 1) * p].t() for j in range(len(self.offsets))], 1)

    def spec_parameters(self) -> list[tuple[str, str, nn.Parameter]]:
        """(IR name, role, parameter) in the IR's param_shapes order."""
        out = [("embed.weight", "embeddings", self.embedding)] if self.embedding is not None else []
        for i, (name, w) in enumerate(zip(self.names, self.weights)):
            out.append((f"{name}.weight", "weights", w))
            if self.bias(i) is not None:
                out.append((f"{name}.bias", "biases", self.bias(i)))
        return out

    def layer_weights(self) -> list[torch.Tensor]:
        """The weight matrices in input-to-output order (the embedding table first)."""
        first = [self.embedding] if self.embedding is not None else []
        return first + list(self.weights)

    def linear_factors(self) -> list[torch.Tensor] | None:
        """W_1..W_L when the network is their product (no activation, bias or embedding)."""
        if self.activation_name != "linear" or self.biases is not None or self.embedding is not None:
            return None
        return list(self.weights)

    def end_to_end(self) -> torch.Tensor | None:
        """W_L ... W_1 when the network is one linear map."""
        factors = self.linear_factors()
        if factors is None:
            return None
        out = factors[0]
        for w in factors[1:]:
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
            b = self.bias(i)
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

    def features(self, x: torch.Tensor) -> torch.Tensor | None:
        """What the head reads: the last hidden layer's activations (None without a hidden layer)."""
        preacts = self.forward_with_preacts(x)[1]
        return self.activation(preacts[-1]) if preacts else None

    def forward_stacked(self, params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """`forward` over parameters stacked on a leading member axis: the same layers,
        written as batched matmuls and gathers (vmap over `functional_call` costs several
        times more per step at these sizes). `x` is shared (n, ...) or per member (K, n, ...);
        the result is (K, n, classes). tests/runtime/test_family_batched.py holds it equal to
        `forward`, member by member."""
        weights = [params[f"weights.{i}"] for i in range(len(self.weights))]
        biases = [params[f"biases.{s}"] for s in self.bias_slot] if self.biases is not None else None
        per_member = x.dim() == 3
        h, first = self._stacked_first(params, weights, biases, x, per_member)
        if first == len(weights):
            return h
        last = len(weights) - 1
        for i in range(first, len(weights)):
            wt = weights[i].transpose(1, 2)
            if wt.shape[2] == 1:  # one output: torch's kernel then depends on the stack's size
                z = member_matmul(h, wt) + (0 if biases is None else biases[i].unsqueeze(1))
            elif biases is None:
                z = h @ wt
            elif h.dim() == 3:
                z = torch.baddbmm(biases[i].unsqueeze(1), h, wt)  # the bias add fused into the matmul
            else:
                z = h @ wt + biases[i].unsqueeze(1)
            if i == last:
                return z
            h = self.activation(z)
        raise AssertionError("a network has at least one layer")

    def _stacked_first(self, params: Mapping[str, torch.Tensor], weights: list[torch.Tensor],
                       biases: list[torch.Tensor] | None, x: torch.Tensor,
                       per_member: bool) -> tuple[torch.Tensor, int]:
        """How the stacked input enters: its first hidden values and the layers they have passed.

        Token inputs pass the first layer as a per-token projection gather: W_1 applied to the
        concatenated (or summed) embeddings of the operands equals the sum of one projection
        table's row per operand (`first_tables`), so the first layer costs p x d x h
        multiply-adds per operand instead of n x k d x h, and its backward is an index_add."""
        if x.is_floating_point():
            return x, 0
        tables = self._first_tables(params, weights[0])  # (K, 2p, h): operand a's rows, then b's
        k, rows = tables.shape[0], tables.shape[1]
        index = x + self.offsets
        base = torch.arange(k, device=x.device).view(k, 1, 1) * rows
        index = (index if per_member else index.unsqueeze(0)) + base
        picked = torch.index_select(tables.flatten(0, 1), 0, index.flatten()).view(*index.shape, -1)
        h = picked[:, :, 0]
        for j in range(1, picked.shape[2]):
            h = h + picked[:, :, j]
        if biases is not None:
            h = h + biases[0].unsqueeze(1)
        return (h if len(weights) == 1 else self.activation(h)), 1

    def _first_tables(self, params: Mapping[str, torch.Tensor], w1: torch.Tensor) -> torch.Tensor:
        """(K, k p, h): the first layer's output for each token of operand j (rows j p..(j+1) p - 1);
        one-hot inputs read W_1's columns as they are."""
        if self.embedding is None:
            return w1.transpose(1, 2)
        table = params["embedding"]  # (K, p, d)
        k = len(self.offsets)
        if self.combine == "concat":
            d = table.shape[2]
            return torch.cat([table @ w1[:, :, j * d:(j + 1) * d].transpose(1, 2) for j in range(k)], 1)
        projected = table @ w1.transpose(1, 2)
        return torch.cat([projected] * k, 1)

def member_matmul(h: torch.Tensor, wt: torch.Tensor) -> torch.Tensor:
    """h @ wt member by member: h (n, in) shared or (K, n, in), wt (K, in, out). For a
    product with one output column torch's batched kernel takes another path for a stack of
    one than for a stack of several (other roundings), so such a layer multiplies each
    member's slice alone, the same call whatever the stack's size."""
    return torch.stack([(h if h.dim() == 2 else h[k]) @ wt[k] for k in range(wt.shape[0])])


def layer_names(n_layers: int) -> list[str]:
    """`hidden.0` ... then `head`: the IR's names of an MLP's layers."""
    return [f"hidden.{i}" for i in range(n_layers - 1)] + ["head"]
