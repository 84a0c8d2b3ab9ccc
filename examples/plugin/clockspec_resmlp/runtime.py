"""The runtime side of `res_mlp` (its builder and the module it builds) and of `sign_parity`
(its data), imported only by the training step (the group `clockspec.runtime_kinds`).

The module follows clockspec's `Model` protocol. Its `forward_stacked` is the forward over K
members' parameters stacked on a leading axis, written as batched matmuls whose kernel does
not depend on K (as `Network`'s), so a member computes the same bits alone or in a batch."""
from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.tasks import TASKS, Dataset
from clockspec_resmlp.ir import layer_names


class ResMLP(nn.Module):
    """stem -> `depth` blocks h + relu(W h + b) -> head; weights `weights.i`, biases `biases.i`."""

    embedding = None  # no token embedding: dense inputs only

    def __init__(self, n_in: int, width: int, depth: int, n_out: int, biased: list[bool], init_scale: float,
                 generator: torch.Generator, dtype: torch.dtype):
        super().__init__()
        self.names = layer_names(depth)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterDict()
        fans = [(n_in, width)] + [(width, width)] * depth + [(width, n_out)]
        for i, ((fan_in, fan_out), on) in enumerate(zip(fans, biased)):
            bound = init_scale / fan_in**0.5  # torch's Linear default, times init_scale
            w = torch.empty(fan_out, fan_in, dtype=dtype).uniform_(-bound, bound, generator=generator)
            self.weights.append(nn.Parameter(w))
            if on:
                b = torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=generator)
                self.biases[str(i)] = nn.Parameter(b)

    @property
    def head(self) -> nn.Parameter:
        return self.weights[-1]

    def _layer(self, i: int, h: torch.Tensor, weights, biases) -> torch.Tensor:
        """Layer i of one member (`weights[i]`: out x in) or of a stack (K x out x in)."""
        w, b = weights[i], biases.get(str(i))
        if w.dim() == 2:
            return torch.nn.functional.linear(h, w, b)
        wt = w.transpose(1, 2)
        if b is None:
            return h @ wt
        if h.dim() == 3:
            return torch.baddbmm(b.unsqueeze(1), h, wt)
        return h @ wt + b.unsqueeze(1)

    def _run(self, x: torch.Tensor, weights, biases) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h = self._layer(0, x, weights, biases)
        preacts = []
        for i in range(1, len(weights) - 1):
            z = self._layer(i, h, weights, biases)
            preacts.append(z)
            h = h + torch.relu(z)
        return self._layer(len(weights) - 1, h, weights, biases), preacts

    def forward_with_preacts(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return self._run(x, list(self.weights), dict(self.biases))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_preacts(x)[0]

    def forward_stacked(self, params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """(K, n, classes) from parameters stacked on a leading member axis; `x` shared (n, in)
        or per member (K, n, in)."""
        weights = [params[f"weights.{i}"] for i in range(len(self.weights))]
        biases = {key: params[f"biases.{key}"] for key in self.biases}
        return self._run(x, weights, biases)[0]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the head reads: the residual stream after the last block."""
        weights, biases = list(self.weights), dict(self.biases)
        h = self._layer(0, x, weights, biases)
        for i in range(1, len(weights) - 1):
            h = h + torch.relu(self._layer(i, h, weights, biases))
        return h

    def spec_parameters(self) -> list[tuple[str, str, nn.Parameter]]:
        out = []
        for i, (name, w) in enumerate(zip(self.names, self.weights)):
            out.append((f"{name}.weight", "weights", w))
            if str(i) in self.biases:
                out.append((f"{name}.bias", "biases", self.biases[str(i)]))
        return out

    def token_table(self) -> None:
        return None

    def layer_weights(self) -> list[torch.Tensor]:
        return list(self.weights)

    def linear_factors(self) -> None:
        return None  # the relu blocks make it no product of matrices

    def end_to_end(self) -> None:
        return None


@MODELS.register("res_mlp", ResMLP)
def res_mlp(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> ResMLP:
    biased = [model.has_bias(name) for name in layer_names(model.depth)]
    return ResMLP(data.n_inputs, model.width, model.depth, data.n_classes, biased, model.init_scale, generator, dtype)


@TASKS.register("sign_parity")
def sign_parity(task) -> Dataset:
    """Gaussian inputs (drawn in float64 from `data_seed`); label 1 when an odd number of the
    first `relevant` coordinates is negative."""
    g = torch.Generator().manual_seed(task.data_seed)
    x_train = torch.randn(task.train_size, task.inputs, generator=g, dtype=torch.float64)
    x_test = torch.randn(task.test_size, task.inputs, generator=g, dtype=torch.float64)

    def parity(x: torch.Tensor) -> torch.Tensor:
        return (x[:, :task.relevant] < 0).sum(1) % 2

    return Dataset(x_train, parity(x_train), x_test, parity(x_test), n_inputs=task.inputs, n_classes=2)
