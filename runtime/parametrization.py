"""A model's parametrization (clockspec/ir/parametrization.py) made real: init laws per
layer, the output multiplier alpha (optionally centred at initialisation), and the
per-layer learning rates as optimizer parameter groups.

`parametrize` runs once a model is built: it redraws the parameters whose layer has an init
law other than the kind's default (from the same seeded generator, in layout order) and
wraps the model in `Scaled` when alpha is not 1 or the output is centred.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from clockspec.ir.parametrization import Init, Parametrization, layer_of


def parametrize(model_cfg: Any, net: Any, generator: torch.Generator) -> Any:
    """`net` with its parametrization applied (itself when the kind's defaults stand)."""
    spec: Parametrization | None = getattr(model_cfg, "parametrization", None)
    if spec is None:
        return net
    params = net.spec_parameters()
    shapes = {name: p.shape for name, _, p in params}
    with torch.no_grad():
        for name, role, p in params:
            law = spec.setting(layer_of(name), "init") or spec.init
            redraw(p, law, role, shapes.get(f"{layer_of(name)}.weight"), generator)
    if spec.output_scale == 1.0 and not spec.centered:
        return net
    return Scaled(net, spec.output_scale, spec.centered)


def redraw(p: torch.Tensor, law: Init, role: str, weight_shape: Any, generator: torch.Generator) -> None:
    """Draw `p` from `law` (times its scale). A bias under `uniform` takes its layer's
    U(+-1/sqrt(fan_in)), as torch's Linear; under any other law it starts at zero.
    LayerNorm parameters (role `norms`) keep their ones and zeros."""
    if role == "norms":
        return
    if law.law == "default":
        p.mul_(law.scale)
        return
    if law.law == "zero" or (role == "biases" and law.law != "uniform"):
        p.zero_()
        return
    if law.law == "uniform":
        fan_in = (weight_shape if role == "biases" else p.shape)[1]  # a matrix's fan_in, as torch counts it
        nn.init.uniform_(p, -1 / fan_in**0.5, 1 / fan_in**0.5, generator=generator)
    elif law.law == "normal":
        nn.init.normal_(p, 0.0, law.std, generator=generator)
    elif law.law == "he":
        nn.init.kaiming_normal_(p, nonlinearity="relu", generator=generator)
    elif law.law == "xavier":
        nn.init.xavier_normal_(p, generator=generator)
    p.mul_(law.scale)


class Scaled(nn.Module):
    """f(x) = alpha * net(x), or alpha * (net(x) - net_0(x)) with net_0 the network at
    initialisation, held as buffers (frozen, moved and checkpointed with the model).
    Everything else is the network's own (its parameters, layers, capabilities)."""

    def __init__(self, net: nn.Module, alpha: float, centered: bool):
        super().__init__()
        self.net, self.alpha, self.centered = net, alpha, centered
        self.initial = nn.Module()
        self._names = [name for name, _ in net.named_parameters()]
        for i, (_, p) in enumerate(net.named_parameters()):
            self.initial.register_buffer(f"p{i}", p.detach().clone() if centered else torch.empty(0))

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.net, name)  # the network's capabilities (embedding, head, ...)

    def _initial_logits(self, x: torch.Tensor) -> torch.Tensor:
        frozen = {name: getattr(self.initial, f"p{i}") for i, name in enumerate(self._names)}
        with torch.no_grad():
            return functional_call(self.net, frozen, (x,))

    def _scale(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.alpha * (logits - self._initial_logits(x) if self.centered else logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._scale(self.net(x), x)

    def forward_with_preacts(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        logits, preacts = self.net.forward_with_preacts(x)
        return self._scale(logits, x), preacts

    def end_to_end(self) -> torch.Tensor | None:
        """alpha W for a linear network: the map the logits are (None when centred: the
        logits are then alpha (W - W_0), which no product of this network's factors is)."""
        w = self.net.end_to_end()
        return None if w is None or self.centered else self.alpha * w


def network(model: Any) -> nn.Module:
    """The network itself, under its `Scaled` output when it has one: the parameters the
    stacked step stacks, by the names the network's stacked forward reads."""
    return model.net if isinstance(model, Scaled) else model


def output_scale(model: Any) -> float | None:
    """alpha, the multiplier of the logits (1 without one); None when the output is centred
    (the logits are then alpha (f - f_0), no function of the parameters alone)."""
    if not isinstance(model, Scaled):
        return 1.0
    return None if model.centered else model.alpha


def lr_scales(model_cfg: Any, model: Any) -> list[float]:
    """Each of the network's parameters' learning-rate multiplier (the parametrization's
    per-layer lr), in `network(model).named_parameters()` order."""
    spec: Parametrization | None = getattr(model_cfg, "parametrization", None)
    if spec is None:
        return [1.0] * len(list(network(model).parameters()))
    by_id = {}
    for name, _, p in model.spec_parameters():
        scale = spec.setting(layer_of(name), "lr")
        by_id[id(p)] = 1.0 if scale is None else float(scale)
    return [by_id[id(p)] for p in network(model).parameters()]


class StackedOutput:
    """`Scaled` for the stacked forward: alpha * f(params, x), or alpha * (f(params, x) -
    f(params_0, x)) with params_0 the members' stacked initial parameters (held, frozen)."""

    def __init__(self, forward: Any, alpha: float, initial: dict[str, torch.Tensor] | None):
        self.forward, self.alpha, self.initial = forward, alpha, initial

    def __call__(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        logits = self.forward(params, x)
        if self.initial is not None:
            with torch.no_grad():
                start = self.forward(self.initial, x)
            logits = logits - start
        return self.alpha * logits

    def keep(self, index: torch.Tensor) -> None:
        """Only these rows of the stack go on."""
        if self.initial is not None:
            self.initial = {name: p.index_select(0, index) for name, p in self.initial.items()}


def stacked_forward(model: Any, forward: Any, stacked_initial: Any) -> Any:
    """The stacked forward with the model's output scale (`forward` itself when it has none).
    `stacked_initial()`: the members' initial parameters stacked (asked only when centred)."""
    if not isinstance(model, Scaled):
        return forward
    return StackedOutput(forward, model.alpha, stacked_initial() if model.centered else None)
