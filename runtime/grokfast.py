"""Grokfast-EMA (Lee et al. 2024, "Grokfast: accelerated grokking by amplifying slow gradients").

Before each update: ema <- alpha * ema + (1 - alpha) * g (ema starts at the first gradient),
then g <- g + lamb * ema, as the authors' `gradfilter_ema`. The averages live in the
optimizer's per-parameter state (key `grokfast_ema`), so a checkpoint of the optimizer
holds them and a resumed run continues the same filter.
"""
from __future__ import annotations

import torch

KEY = "grokfast_ema"


def filter_gradients(optimizer: torch.optim.Optimizer, alpha: float, lamb: float) -> dict[torch.Tensor, torch.Tensor]:
    """Amplify each gradient's slow part in place; the new averages, to store after the step
    (an optimizer such as Adam initialises a parameter's state only while it is empty)."""
    averages = {}
    with torch.no_grad():
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                before = optimizer.state[p].get(KEY)
                ema = p.grad.clone() if before is None else before * alpha + p.grad * (1 - alpha)
                p.grad.add_(ema, alpha=lamb)
                averages[p] = ema
    return averages


def store(optimizer: torch.optim.Optimizer, averages: dict[torch.Tensor, torch.Tensor]) -> None:
    for p, ema in averages.items():
        optimizer.state[p][KEY] = ema
