"""Regularizer builders: the IR's regularizer kinds -> loss terms and decoupled decay.

Weight decay acts on the parameters whose role is in `applies_to`: by default the layer
weight matrices (the embedding table included, biases not), as DOMAIN.md's sum_i ||W_i||_F^2.
Two forms:
- decoupled (default): before each optimizer step, W <- W * (1 - lr_t * strength), the rule of
  AdamW (Loshchilov and Hutter); for plain SGD this is the gradient step of
  (strength / 2) * ||W||_F^2. It works the same with every optimizer, so `adamw` plus
  weight decay is exactly torch's AdamW, and `adam` plus weight decay is the same thing.
- loss (`placement: loss`, formerly `decoupled: false`): strength * sum_i ||W_i||_F^2 added to
  the loss. Its gradient, 2 strength W, is added to each member's gradient right after the
  backward (before the interventions and the gradient transforms see it, as the loss term's
  would be): the same step without differentiating the term through the graph.
- coupled (`placement: coupled`): g <- g + strength W in the optimizer's step, after the
  gradient transforms (Grokfast, ⊥Grad) and before the kind's rule: torch's `weight_decay`
  of SGD and Adam (`optimizers.MemberOptimizer`).
`per_layer` gives one strength per layer matrix (input to output order), replacing `strength`.

A penalty is a function of one member's parameters, named as the network names them
(`parametrization.network`): the stacked step calls it on each member's slices, so a
member's objective does not depend on the stack it trains in.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from clockspec.core.errors import SpecError
from clockspec.core.registry import Registry
from clockspec.runtime.linalg import auto_q, schatten_energy
from clockspec.runtime.models import Model, require
from clockspec.runtime.parametrization import network, output_scale

REGULARIZERS = Registry("runtime regularizer")
SCHATTEN_EPS = 1e-12
Params = Mapping[str, torch.Tensor]  # one member's parameters by the network's names


@dataclass
class Regularizer:
    penalty: Callable[[Params], torch.Tensor] | None = None  # added to the data loss
    decay: list[tuple[torch.nn.Parameter, float]] = field(default_factory=list)  # decoupled
    in_loss: list[tuple[torch.nn.Parameter, float]] = field(default_factory=list)  # strength * ||W||^2 in the loss
    coupled: list[tuple[torch.nn.Parameter, float]] = field(default_factory=list)  # g + strength W before the rule


def build_regularizers(regularizers, model: Model) -> list[Regularizer]:
    """The regularizers that are on (set in the spec), in the IR's field order."""
    out = []
    for kind in type(regularizers).model_fields:
        cfg = getattr(regularizers, kind)
        if cfg is not None:
            out.append(REGULARIZERS[kind](cfg, model))
    return out


@REGULARIZERS.register("weight_decay")
def weight_decay(cfg, model: Model) -> Regularizer:
    """The parameters whose role is in `applies_to`, each at its strength: `per_layer`'s for
    the layer matrices (weights and embeddings, in layout order) when given, else `strength`."""
    params = model.spec_parameters()
    layers = [p for _, role, p in params if role in ("weights", "embeddings")]
    if cfg.per_layer is not None and len(cfg.per_layer) != len(layers):
        raise SpecError(f"regularizers.weight_decay.per_layer has {len(cfg.per_layer)} strengths, "
                        f"but the model has {len(layers)} layer matrices")
    per_layer = dict(zip(map(id, layers), cfg.per_layer or []))
    chosen = [(p, float(per_layer.get(id(p), cfg.strength))) for _, role, p in params if role in cfg.targets]
    pairs = [(p, s) for p, s in chosen if s > 0]
    return Regularizer(**{{"decoupled": "decay", "loss": "in_loss", "coupled": "coupled"}[cfg.placement]: pairs})


@REGULARIZERS.register("schatten")
def schatten(cfg, model: Model) -> Regularizer:
    factors = require(model.linear_factors(), "an end-to-end linear map (a deep_linear model)", "regularizer schatten")
    q = auto_q(cfg.q, len(factors))
    alpha = require(output_scale(model), "an uncentred output (its logits a product of its factors)", "regularizer schatten")
    names = _names(model, factors)

    def penalty(params: Params) -> torch.Tensor:
        product = params[names[0]]
        for name in names[1:]:
            product = params[name] @ product
        return cfg.strength * schatten_energy(alpha * product if alpha != 1.0 else product, q, SCHATTEN_EPS)

    return Regularizer(penalty=penalty)


def _names(model: Model, params: list[torch.Tensor]) -> list[str]:
    """The network's names of these parameters, in their order."""
    named = {id(p): name for name, p in network(model).named_parameters()}
    return [named[id(p)] for p in params]
