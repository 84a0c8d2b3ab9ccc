"""Gradient clipping by the total norm of all of a member's gradients, as torch's
`clip_grad_norm_` computes it (the norm of the per-tensor norms; coefficient
max_norm / (norm + 1e-6), at most 1), on each member's slices."""
from __future__ import annotations

import torch

from clockspec.runtime.interventions.hooks import INTERVENTIONS, Hook, Stack


@INTERVENTIONS.register("grad_clip")
class GradClip(Hook):
    def __init__(self, max_norm: float):
        self.max_norm = max_norm

    @classmethod
    def build(cls, cfg, models) -> GradClip:
        return cls(cfg.max_norm)

    def after_backward(self, stack: Stack) -> None:
        for row in range(len(stack.rows)):
            grads = [p.grad[row] for p in stack.params.values() if p.grad is not None]
            total = torch.nn.utils.get_total_norm(grads)
            torch._foreach_mul_(grads, torch.clamp(self.max_norm / (total + 1e-6), max=1.0))
