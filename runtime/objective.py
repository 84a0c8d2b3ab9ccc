"""The training objective: the data loss of the spec's `train.loss` plus the regularizers' terms."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mse(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean over examples and classes of (f(x_i)_c - e_{y_i,c})^2: torch's `MSELoss`, so a
    paper's learning rate for it carries over."""
    return F.mse_loss(logits, F.one_hot(labels, logits.shape[1]).to(logits.dtype))


def mse_half_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(1/2) mean_i ||f(x_i) - e_{y_i}||^2, summed over classes: the square loss of deep-linear
    theory, p/2 times `mse` for p classes."""
    target = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return 0.5 * (logits - target).square().sum(1).mean()


LOSSES: dict[str, Loss] = {"cross_entropy": F.cross_entropy, "mse": mse, "mse_half_sum": mse_half_sum}


class Objective:
    def __init__(self, loss: Loss, penalties: list[Callable[[], torch.Tensor]]):
        self.loss = loss
        self.penalties = penalties

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        total = self.loss(logits, labels)
        for penalty in self.penalties:
            total = total + penalty()
        return total
