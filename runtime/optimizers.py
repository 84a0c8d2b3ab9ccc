"""Optimizer builders and learning-rate schedules.

Weight decay is a regularizer, not an optimizer setting: `Stepper` applies the decoupled
decay the regularizers ask for, then the optimizer's step, at the scheduled rate.
Every update is torch's fused kernel (one kernel over all tensors, on CPU as on CUDA): the
choice is recorded in the plan (`batching.execution`) and part of the train hash.
Schedules: a linear warmup over `warmup_steps` (any schedule), then constant (`constant`,
`warmup`) or a cosine decay to zero at the last step (`cosine`).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim.adam import adam as adam_update
from torch.optim.sgd import sgd as sgd_update

from clockspec.core.registry import Registry
from clockspec.runtime.grokfast import filter_gradients, store

OPTIMIZERS = Registry("runtime optimizer")


@OPTIMIZERS.register("sgd")
def sgd(cfg, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov, fused=True)


@OPTIMIZERS.register("adam")
def adam(cfg, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, fused=True)


@OPTIMIZERS.register("adamw")
def adamw(cfg, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    # The decay itself comes from the weight_decay regularizer (see Stepper).
    return torch.optim.AdamW(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=0.0, fused=True)


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
    """One update: set the scheduled rate, shrink decayed weights, step the optimizer.

    `params` are parameters, or torch parameter groups whose `lr_scale` multiplies the
    rate of their parameters (the parametrization's per-layer lr); a decayed parameter
    shrinks at its own group's rate, as torch's AdamW decays it."""

    def __init__(self, cfg, params: list[Any], decay: list[tuple[torch.nn.Parameter, float]], steps: int):
        self.optimizer = OPTIMIZERS[cfg.kind](cfg, params)
        self.base_lr = cfg.lr
        self.factor = lr_factor(cfg, steps)
        scale_of = {id(p): g.get("lr_scale", 1.0) for g in self.optimizer.param_groups for p in g["params"]}
        by_rate: dict[float, list[torch.nn.Parameter]] = defaultdict(list)
        for p, strength in decay:
            by_rate[strength * scale_of[id(p)]].append(p)
        self.decay = list(by_rate.items())
        self.grokfast = cfg.grokfast

    def lr(self, t: int) -> float:
        return self.base_lr * self.factor(t) if self.factor else self.base_lr

    def step(self, t: int) -> None:
        lr = self.lr(t)
        if self.factor:
            for group in self.optimizer.param_groups:
                group["lr"] = lr * group.get("lr_scale", 1.0)
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


class MemberOptimizer:
    """torch's own SGD / Adam / AdamW update, its fused kernel, applied to each member's
    slice of the stacked parameters as that member's optimizer would alone (members that
    share a learning rate share one call); the regularizers' decoupled decay first, as
    `Stepper` does. Each slice goes through the kernel as a tensor of the member's own
    shape, so its update does not depend on the other members in the stack."""

    def __init__(self, cfg: Any, steps: int, lrs: list[float], decay: list[dict[int, float]],
                 params: list[torch.Tensor]):
        self.cfg, self.lrs, self.decay = cfg, list(lrs), list(decay)
        self.factor = lr_factor(cfg, steps)
        adaptive = cfg.kind != "sgd"
        self.params = params
        self.state = {"exp_avg": [torch.zeros_like(p) for p in params] if adaptive else [],
                      "exp_avg_sq": [torch.zeros_like(p) for p in params] if adaptive else [],
                      "counts": torch.zeros(len(lrs), len(params), dtype=torch.float32, device=params[0].device),
                      "momentum": None}  # stacked like the parameters, once SGD made its buffers
        self._groups: list[tuple[float, list[int], dict[str, list]]] | None = None

    def step(self, t: int) -> None:
        factor = self.factor(t) if self.factor else 1.0
        cfg = self.cfg
        with torch.no_grad():
            for lr, rows, views in self._views():
                lr *= factor
                for strength, decayed in views["decay"]:
                    torch._foreach_mul_(decayed, 1.0 - lr * strength)
                grads = [p.grad[k] for k in rows for p in self.params]
                if cfg.kind == "sgd":
                    self._sgd(rows, views["params"], grads, lr)
                else:
                    adam_update(views["params"], grads, views["exp_avg"], views["exp_avg_sq"], [], views["counts"],
                         fused=True, amsgrad=False, beta1=cfg.betas[0], beta2=cfg.betas[1], lr=lr,
                         weight_decay=0.0, eps=cfg.eps, maximize=False, decoupled_weight_decay=cfg.kind == "adamw")

    def _views(self) -> list[tuple[float, list[int], dict[str, list]]]:
        """Per learning rate, its rows and their slices of every tensor the update reads:
        made once, until the stack or the state is replaced."""
        if self._groups is None:
            def sliced(stack: list[torch.Tensor], rows: list[int]) -> list[torch.Tensor]:
                return [s[k] for k in rows for s in stack]

            self._groups = []
            for lr, rows in _by_value(self.lrs).items():
                decay = [(strength, [self.params[i][k] for k, i in pairs])
                         for strength, pairs in _decay_groups(self.decay, rows).items()]
                counts = self.state["counts"]
                self._groups.append((lr, rows, {
                    "params": sliced(self.params, rows), "exp_avg": sliced(self.state["exp_avg"], rows),
                    "exp_avg_sq": sliced(self.state["exp_avg_sq"], rows), "decay": decay,
                    "counts": [counts[k, i] for k in rows for i in range(len(self.params))]}))
        return self._groups

    def _sgd(self, rows: list[int], views: list[torch.Tensor], grads: list[torch.Tensor], lr: float) -> None:
        cfg, momentum = self.cfg, self.state["momentum"]
        buffers = [None] * len(views) if momentum is None else [m[k] for k in rows for m in momentum]
        sgd_update(views, grads, buffers, fused=True, weight_decay=0.0, momentum=cfg.momentum, lr=lr, dampening=0.0,
            nesterov=cfg.nesterov, maximize=False)
        if momentum is None and cfg.momentum:  # torch made each slice's buffer: keep them stacked
            momentum = self.state["momentum"] = [torch.zeros_like(p) for p in self.params]
            for buf, (k, m) in zip(buffers, [(k, m) for k in rows for m in momentum]):
                m[k].copy_(buf)

    def keep(self, rows: list[int], index: torch.Tensor, params: list[torch.Tensor]) -> None:
        """Only these rows of the stack go on; `params`: their stacked parameters."""
        self.lrs = [self.lrs[r] for r in rows]
        self.decay = [self.decay[r] for r in rows]
        self.params = params
        self.state = {name: (None if value is None else value.index_select(0, index) if name == "counts"
                             else [s.index_select(0, index) for s in value]) for name, value in self.state.items()}
        self._groups = None

    def state_dict(self) -> dict[str, Any]:
        return dict(self.state)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.state = dict(state)
        self._groups = None


def _by_value(values: list[float]) -> dict[float, list[int]]:
    """Rows grouped by value, in first-seen order."""
    out: dict[float, list[int]] = {}
    for row, value in enumerate(values):
        out.setdefault(value, []).append(row)
    return out


def _decay_groups(decay: list[dict[int, float]], rows: list[int]) -> dict[float, list[tuple[int, int]]]:
    """{strength: [(row, parameter index)]} over these rows."""
    out: dict[float, list[tuple[int, int]]] = {}
    for k in rows:
        for i, strength in decay[k].items():
            out.setdefault(strength, []).append((k, i))
    return out
