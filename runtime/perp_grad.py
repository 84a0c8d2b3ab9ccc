"""⊥Grad (Prieto et al. 2025, "Grokking at the edge of numerical stability"), a gradient
transform of the stacked step: each parameter tensor's gradient g loses its component along
the tensor w, g <- g - (w . g / (w . w + 1e-30)) w, and is then rescaled to its former norm
(||g|| / (||g_perp|| + 1e-30)), as the authors' `OrthoGrad._orthogonalize_gradients` does
before its base optimizer's step (`orthograd.py` of
LucasPrietoAl/grokking-at-the-edge-of-numerical-stability). Each member's slice of a stacked
parameter is its own tensor here, so a member's projection does not depend on the stack.
Nothing is kept between steps.
"""
from __future__ import annotations

from typing import Any

import torch

TINY = 1e-30  # the authors' guard against a zero tensor


class PerpGrad:
    def __init__(self, cfg: Any):
        self.rescale = cfg.rescale

    def __call__(self, grads: list[torch.Tensor], params: list[torch.Tensor]) -> None:
        """Project each gradient slice orthogonal to its parameter slice, in place."""
        norms = torch._foreach_norm(grads) if self.rescale else None
        along = [torch.sum(w * g) / (torch.sum(w * w) + TINY) for w, g in zip(params, grads)]
        torch._foreach_sub_(grads, torch._foreach_mul(params, along))
        if norms is not None:
            now = torch._foreach_add(torch._foreach_norm(grads), TINY)
            torch._foreach_mul_(grads, torch._foreach_div(norms, now))
