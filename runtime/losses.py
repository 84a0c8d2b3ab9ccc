"""Losses beyond cross-entropy and MSE: StableMax cross-entropy, the multiclass hinge and
Barak et al. 2022's scalar hinge on one output.

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


def signs(labels: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Two classes as +-1 targets: class 1 is +1, class 0 is -1 (in `like`'s dtype)."""
    return 2 * labels.to(like.dtype) - 1


def scalar_hinge(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean over examples of max(0, 1 - y f(x)), f the one output (the last axis, of width
    1), y = +-1; any leading member axis is kept: (n, 1) -> (), (K, n, 1) -> (K,)."""
    f = logits[..., 0]
    return torch.relu(1 - signs(labels, f) * f).mean(-1)


def multiclass_hinge(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """mean_i max(0, 1 - (z_iy - max_{c != y} z_ic)): zero once every margin is at least 1."""
    correct = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf")).amax(1)
    return torch.relu(1 - (correct - others)).mean()
