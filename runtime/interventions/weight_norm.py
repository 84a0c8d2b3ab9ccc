"""Omnigrok's weight-norm constraint: after each update, every layer weight matrix (as weight
decay sees them, the embedding included, biases not) is rescaled by one common factor so
that sqrt(sum_i ||W_i||_F^2) is the target norm again."""
from __future__ import annotations

import torch

from clockspec.runtime.interventions.hooks import INTERVENTIONS, Hook


def total_norm(weights: list[torch.Tensor]) -> torch.Tensor:
    return torch.sqrt(sum(w.detach().double().square().sum() for w in weights))


class WeightNormConstraint(Hook):
    def __init__(self, weights: list[torch.nn.Parameter], target: float):
        self.weights, self.target = weights, target

    def after_update(self) -> None:
        with torch.no_grad():
            scale = self.target / total_norm(self.weights)
            for w in self.weights:
                w.mul_(scale.to(w.dtype))


@INTERVENTIONS.register("weight_norm")
def weight_norm(cfg, model) -> Hook:
    """The target is fixed when the model is built (at its initialisation, also on a resume)."""
    weights = model.layer_weights()
    base = float(total_norm(weights)) if cfg.norm == "init" else float(cfg.norm)
    return WeightNormConstraint(weights, base * cfg.factor)
