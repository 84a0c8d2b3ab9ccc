"""Grokfast-EMA (Lee et al. 2024, "Grokfast: accelerated grokking by amplifying slow gradients"),
a gradient transform of the stacked step.

Before each update: ema <- alpha * ema + (1 - alpha) * g (ema starts at the first gradient),
then g <- g + lamb * ema, as the authors' `gradfilter_ema`. Applied to each member's slice of
each stacked gradient as a tensor of its own (so a member's filter does not depend on the
stack), its averages stacked like the parameters and kept in the optimizer's state (a
checkpoint holds them, and a resumed run continues the same filter).
"""
from __future__ import annotations

from typing import Any

import torch


class GrokfastFilter:
    key = "grokfast_ema"  # its entry in the optimizer's state

    def __init__(self, cfg: Any):
        self.alpha, self.lamb = cfg.alpha, cfg.lamb

    def __call__(self, grads: list[torch.Tensor], averages: list[torch.Tensor] | None,
                 params: list[torch.Tensor]) -> list[torch.Tensor]:
        """Amplify the slow part of `grads` (each stacked parameter's slices, parameter by
        parameter, member by member) in place; the new averages, stacked like `params`."""
        if averages is None:
            averages = [p.grad.clone() for p in params]
            ema = _slices(averages)
        else:
            ema = _slices(averages)
            torch._foreach_mul_(ema, self.alpha)
            torch._foreach_add_(ema, torch._foreach_mul(grads, 1 - self.alpha))
        torch._foreach_add_(grads, ema, alpha=self.lamb)
        return averages


def _slices(stacked: list[torch.Tensor]) -> list[torch.Tensor]:
    """Each member's slice of each stacked tensor, in the order the step lists gradients."""
    return [s[k] for s in stacked for k in range(s.shape[0])]
