"""The runtime side of `res_mlp` (its builder and the module it builds), `sign_parity` (its
data), `ntk_alignment` (its measure) and `signum` (its update rule), imported only by the
training step (the group `clockspec.runtime_kinds`).

The module follows clockspec's `Model` protocol. Its `forward_stacked` is the forward over K
members' parameters stacked on a leading axis, written as batched matmuls whose kernel does
not depend on K (as `Network`'s), so a member computes the same bits alone or in a batch."""
from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from clockspec.runtime.metrics import METRICS, ProbeContext
from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.optimizers import OPTIMIZERS
from clockspec.runtime.tasks import TASKS, Dataset
from clockspec_resmlp.ir import NTK_EXAMPLES, layer_names


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


def tangent_kernel(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """K[i, j] = sum_c <d logit_c(x_i)/d theta, d logit_c(x_j)/d theta>, in float64, from the
    Jacobian of the logits with respect to every parameter."""
    params = {name: p.detach() for name, p in model.named_parameters()}
    with torch.enable_grad():
        jacobian = torch.func.jacrev(lambda p: torch.func.functional_call(model, p, (x,)))(params)
    rows = torch.cat([j.reshape(x.shape[0], -1) for j in jacobian.values()], dim=1).double()
    return rows @ rows.T


def centred_alignment(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor | None:
    """<HaH, HbH>_F / (||HaH||_F ||HbH||_F), H = I - 11^T / n (Cortes et al. 2012); None where
    a centred kernel is zero (every label the same: no alignment to speak of)."""
    n = a.shape[0]
    h = torch.eye(n, dtype=a.dtype, device=a.device) - 1.0 / n
    a, b = h @ a @ h, h @ b @ h
    norms = torch.linalg.matrix_norm(a) * torch.linalg.matrix_norm(b)
    return None if norms == 0 else (a * b).sum() / norms


@METRICS.register("ntk_alignment")
def ntk_alignment(ctx: ProbeContext):
    x, y = ctx.data.x_train[:NTK_EXAMPLES], ctx.data.y_train[:NTK_EXAMPLES]
    labels = torch.nn.functional.one_hot(y, ctx.data.n_classes).double()
    return centred_alignment(tangent_kernel(ctx.model, x), labels @ labels.T)


@OPTIMIZERS.register("signum")
class Signum:
    """Signum (Bernstein et al. 2018, Algorithm 1) on each member's slices, foreach arithmetic:
    m <- momentum * m + (1 - momentum) * g; p <- p - lr * sign(m)."""

    states = ("momentum",)

    def __init__(self, cfg):
        self.cfg = cfg

    def apply(self, params, grads, state, counts, lr):
        beta, m = self.cfg.momentum, state["momentum"]
        torch._foreach_mul_(m, beta)
        torch._foreach_add_(m, grads, alpha=1 - beta)
        torch._foreach_add_(params, torch._foreach_sign(m), alpha=-lr)
        torch._foreach_add_(counts, 1.0)
