"""The training objective: the data loss of the spec's `train.loss` plus the regularizers' terms."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mse(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(1/2) mean_i ||f(x_i) - e_{y_i}||^2: the square loss of deep-linear theory (a regression
    task's real targets stand in for the one-hot e_y)."""
    target = labels.to(logits.dtype) if labels.is_floating_point() else F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return 0.5 * (logits - target).square().sum(1).mean()


LOSSES: dict[str, Loss] = {"cross_entropy": F.cross_entropy, "mse": mse}


class Objective:
    def __init__(self, loss: Loss, penalties: list[Callable[[], torch.Tensor]]):
        self.loss = loss
        self.penalties = penalties

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        total = self.loss(logits, labels)
        for penalty in self.penalties:
            total = total + penalty()
        return total
