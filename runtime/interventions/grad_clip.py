"""Gradient clipping by the total norm of all parameters' gradients (torch's clip_grad_norm_)."""
from __future__ import annotations

import torch

from clockspec.runtime.interventions.hooks import INTERVENTIONS, Hook


class GradClip(Hook):
    def __init__(self, params: list[torch.nn.Parameter], max_norm: float):
        self.params, self.max_norm = params, max_norm

    def after_backward(self) -> None:
        torch.nn.utils.clip_grad_norm_(self.params, self.max_norm)


@INTERVENTIONS.register("grad_clip")
def grad_clip(cfg, model) -> Hook:
    return GradClip(list(model.parameters()), cfg.max_norm)
