"""Omnigrok's weight-norm constraint: after each update, every layer weight matrix of a member
(as weight decay sees them, the embedding included, biases not) is rescaled by one common
factor so that sqrt(sum_i ||W_i||_F^2) is the member's target norm again."""
from __future__ import annotations

import torch

from clockspec.runtime.interventions.hooks import INTERVENTIONS, Hook, Stack, names_of


def total_norm(weights: list[torch.Tensor]) -> torch.Tensor:
    return torch.sqrt(sum(w.detach().double().square().sum() for w in weights))


@INTERVENTIONS.register("weight_norm")
class WeightNormConstraint(Hook):
    def __init__(self, names: list[str], targets: list[float]):
        self.names, self.targets = names, targets  # targets[k]: member k's

    @classmethod
    def build(cls, cfg, models) -> WeightNormConstraint:
        """Each member's target is fixed when its model is built (at its initialisation, also on a resume)."""
        bases = [float(total_norm(m.layer_weights())) if cfg.norm == "init" else float(cfg.norm) for m in models]
        return cls(names_of(models[0], models[0].layer_weights()), [b * cfg.factor for b in bases])

    def after_update(self, stack: Stack) -> None:
        with torch.no_grad():
            for row, k in enumerate(stack.rows):
                weights = [stack.params[name][row] for name in self.names]
                scale = self.targets[k] / total_norm(weights)
                for w in weights:
                    w.mul_(scale.to(w.dtype))
