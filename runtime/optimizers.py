"""Optimizer builders and learning-rate schedules.

Weight decay is a regularizer, not an optimizer setting: `Stepper` applies the decoupled
decay the regularizers ask for, then the optimizer's step, at the scheduled rate.
Schedules: a linear warmup over `warmup_steps` (any schedule), then constant (`constant`,
`warmup`) or a cosine decay to zero at the last step (`cosine`).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable

import torch

from clockspec.core.registry import Registry
from clockspec.runtime.grokfast import filter_gradients, store

OPTIMIZERS = Registry("runtime optimizer")


@OPTIMIZERS.register("sgd")
def sgd(cfg, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)


@OPTIMIZERS.register("adam")
def adam(cfg, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps)


@OPTIMIZERS.register("adamw")
def adamw(cfg, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    # The decay itself comes from the weight_decay regularizer (see Stepper).
    return torch.optim.AdamW(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=0.0)


def lr_factor(cfg, steps: int) -> Callable[[int], float] | None:
    """Multiplier of the base rate at step t (None: constant, nothing to set)."""
    warmup = cfg.warmup_steps
    if cfg.schedule != "cosine" and not warmup:
        return None

    def factor(t: int) -> float:
        f = min(1.0, (t + 1) / warmup) if warmup else 1.0
        if cfg.schedule == "cosine" and t >= warmup:
            progress = (t - warmup) / max(1, steps - warmup)
            f *= 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return f

    return factor


class Stepper:
    """One update: set the scheduled rate, shrink decayed weights, step the optimizer."""

    def __init__(self, cfg, params: list[torch.nn.Parameter], decay: list[tuple[torch.nn.Parameter, float]], steps: int):
        self.optimizer = OPTIMIZERS[cfg.kind](cfg, params)
        self.base_lr = cfg.lr
        self.factor = lr_factor(cfg, steps)
        by_strength: dict[float, list[torch.nn.Parameter]] = defaultdict(list)
        for p, strength in decay:
            by_strength[strength].append(p)
        self.decay = list(by_strength.items())
        self.grokfast = cfg.grokfast

    def lr(self, t: int) -> float:
        return self.base_lr * self.factor(t) if self.factor else self.base_lr

    def step(self, t: int) -> None:
        lr = self.lr(t)
        if self.factor:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        if self.decay:
            with torch.no_grad():
                for strength, params in self.decay:
                    for p in params:
                        p.mul_(1.0 - lr * strength)
        if self.grokfast is None:
            self.optimizer.step()
            return
        averages = filter_gradients(self.optimizer, self.grokfast.alpha, self.grokfast.lamb)
        self.optimizer.step()
        store(self.optimizer, averages)
