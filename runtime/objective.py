"""The training objective: the data loss of the spec's `train.loss` plus the regularizers' terms."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from clockspec.runtime.losses import multiclass_hinge, stablemax_cross_entropy

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mse(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean over examples and outputs of (f(x_i)_c - e_{y_i,c})^2: torch's `MSELoss`, so a
    paper's learning rate for it carries over (a regression task's real targets stand in for
    the one-hot e_y)."""
    return F.mse_loss(logits, _targets(logits, labels))


def mse_half_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(1/2) mean_i ||f(x_i) - e_{y_i}||^2, summed over outputs: the square loss of deep-linear
    theory, p/2 times `mse` for p outputs."""
    return 0.5 * (logits - _targets(logits, labels)).square().sum(1).mean()


def _targets(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Real targets as they are; class labels as one-hot rows."""
    if labels.is_floating_point():
        return labels.to(logits.dtype)
    return F.one_hot(labels, logits.shape[1]).to(logits.dtype)


LOSSES: dict[str, Loss] = {"cross_entropy": F.cross_entropy, "mse": mse, "mse_half_sum": mse_half_sum,
                           "stablemax": stablemax_cross_entropy, "hinge": multiclass_hinge}


def build_loss(train) -> Loss:
    """The spec's loss, computed in `train.loss_dtype` when it names one (from the logits on)."""
    loss = LOSSES[train.loss]
    if not train.loss_dtype:
        return loss
    dtype = getattr(torch, train.loss_dtype)

    def in_dtype(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return loss(logits.to(dtype), labels.to(dtype) if labels.is_floating_point() else labels)

    return in_dtype


class Objective:
    def __init__(self, loss: Loss, penalties: list[Callable[[], torch.Tensor]]):
        self.loss = loss
        self.penalties = penalties

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        total = self.loss(logits, labels)
        for penalty in self.penalties:
            total = total + penalty()
        return total
