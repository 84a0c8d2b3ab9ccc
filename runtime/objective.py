"""The training losses (`train.loss`), each a registered `LossKind`: the loss of one model's
logits (what a probe measures) and of a stack's (K, n, classes) logits, one value per member
(what the stacked step trains on). A kind either writes its stacked form or takes
`per_member`, the one-model loss on each member's slice; a kind with neither is refused when
it registers. `build_loss` computes either in `train.loss_dtype` when the spec names one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F

from clockspec.core.registry import Registry
from clockspec.ir.losses import LOSSES as IR_LOSSES
from clockspec.runtime.losses import multiclass_hinge, scalar_hinge, stablemax_cross_entropy
from clockspec.runtime.tasks import Dataset

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
StackedLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (K, n, C) logits, (K, n[, C]) labels -> (K,)


@dataclass(frozen=True)
class LossKind:
    """One loss: `single(logits, labels)` and `stacked(logits, labels)` (see the module doc)."""

    single: Loss
    stacked: StackedLoss

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.single(logits, labels)


LOSSES = Registry("runtime loss", required=("single", "stacked"))


def per_member(single: Loss) -> StackedLoss:
    """The stacked form that computes `single` on each member's slice, as alone."""

    def stacked(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.stack([single(logits[i], labels[i]) for i in range(logits.shape[0])])

    return stacked


def stacked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy (a mean over examples) of every member: one call over all members' rows,
    each row's loss computed from that row alone, then averaged per member."""
    k = logits.shape[0]
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none").view(k, -1).mean(1)


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


LOSSES.add("cross_entropy", LossKind(F.cross_entropy, stacked_cross_entropy))
LOSSES.add("mse", LossKind(mse, per_member(mse)))
LOSSES.add("mse_half_sum", LossKind(mse_half_sum, per_member(mse_half_sum)))
LOSSES.add("stablemax", LossKind(stablemax_cross_entropy, per_member(stablemax_cross_entropy)))
LOSSES.add("hinge", LossKind(multiclass_hinge, per_member(multiclass_hinge)))
LOSSES.add("scalar_hinge", LossKind(scalar_hinge, scalar_hinge))


def model_view(data: Dataset, loss: str) -> Dataset:
    """The data as the model is built for it: with the loss's output width in place of one
    output per class when the loss names one (the scalar hinge's single f(x))."""
    outputs = IR_LOSSES[loss].outputs
    return data if outputs is None else replace(data, n_classes=outputs)


def build_loss(train: Any) -> LossKind:
    """The spec's loss, computed in `train.loss_dtype` when it names one (from the logits on)."""
    kind = LOSSES[train.loss]
    if not train.loss_dtype:
        return kind
    dtype = getattr(torch, train.loss_dtype)

    def cast(loss: Loss) -> Loss:
        def in_dtype(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
            return loss(logits.to(dtype), labels.to(dtype) if labels.is_floating_point() else labels)
        return in_dtype

    return LossKind(cast(kind.single), cast(kind.stacked))
