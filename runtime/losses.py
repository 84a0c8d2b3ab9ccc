"""Losses beyond cross-entropy and MSE: StableMax cross-entropy and the multiclass hinge.

StableMax (Prieto et al. 2025, "Grokking at the edge of numerical stability") replaces exp
in the softmax by s(x) = x + 1 for x >= 0 and 1 / (1 - x) for x < 0, which grows linearly
instead of exponentially, so the loss does not collapse to exactly zero in floating point
once the logits are large (softmax collapse).
"""
from __future__ import annotations

import torch


def stablemax_s(x: torch.Tensor) -> torch.Tensor:
    """s(x): x + 1 above zero, 1 / (1 - x) below; continuous with s(0) = 1, positive everywhere."""
    return torch.where(x >= 0, x + 1, 1 / (1 - torch.clamp(x, max=0)))


def stablemax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean_i -log(s(z_iy) / sum_c s(z_ic))."""
    s = stablemax_s(logits)
    return (s.sum(1).log() - s.gather(1, labels[:, None]).squeeze(1).log()).mean()


def multiclass_hinge(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean_i max(0, 1 - (z_iy - max_{c != y} z_ic)): zero once every margin is at least 1."""
    correct = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf")).amax(1)
    return torch.relu(1 - (correct - others)).mean()
