"""Optimizer kinds' updates on the stacked step, and learning-rate schedules.

Each optimizer kind registers its `Rule` in `OPTIMIZERS`: the state tensors it keeps per
parameter (`states`, stacked like the parameters) and `apply`, its update of a list of
tensors, each one member's slice of one stacked parameter. The registry decides which rule
an optimizer kind runs, never the kind's name; a rule without `states` or `apply` is refused
when it registers. `MemberOptimizer` applies the step of every member: the scheduled rate,
the regularizers' decoupled decay, the gradient transforms (Grokfast, then ⊥Grad), a coupled decay
(g + strength W), then the kind's rule
(torch's fused kernels for SGD and Adam/AdamW), each slice a tensor of the member's own
shape, so a member's update does not depend on the other members in the stack.
Schedules: a linear warmup over `warmup_steps` (any schedule), then constant (`constant`,
`warmup`) or a cosine decay to zero at the last step (`cosine`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch.optim.adam import adam as adam_update
from torch.optim.sgd import sgd as sgd_update

from clockspec.core.registry import Registry
from clockspec.runtime.grokfast import GrokfastFilter
from clockspec.runtime.perp_grad import PerpGrad

OPTIMIZERS = Registry("runtime optimizer", required=("states", "apply"))


class Rule(Protocol):
    """One optimizer kind's update of member slices (`OPTIMIZERS`)."""

    states: tuple[str, ...]
    """Names of the state tensors kept per parameter tensor (zeros at the start)."""

    def apply(self, params: list[torch.Tensor], grads: list[torch.Tensor], state: dict[str, list[torch.Tensor]],
              counts: list[torch.Tensor], lr: float) -> None:
        """Update `params` in place from `grads` at rate `lr`. `state`: each state tensor's
        slices, in the order of `params`; `counts`: each slice's step count (a float
        tensor, as torch's optimizers keep it), to be advanced by the rule."""


@OPTIMIZERS.register("sgd")
class SGD:
    """torch's SGD (momentum, Nesterov), fused. The momentum buffer starts at zero: the
    first step's buffer is then 0 * momentum + g = g, the value torch gives it."""

    states: tuple[str, ...] = ("momentum",)

    def __init__(self, cfg: Any):
        self.cfg = cfg
        self.states = ("momentum",) if cfg.momentum else ()  # no buffer without momentum

    def apply(self, params, grads, state, counts, lr):
        cfg = self.cfg
        buffers = state["momentum"] if cfg.momentum else [None] * len(params)
        sgd_update(params, grads, buffers, fused=True, weight_decay=0.0, momentum=cfg.momentum, lr=lr,
                   dampening=0.0, nesterov=cfg.nesterov, maximize=False)


@OPTIMIZERS.register("adam")
class Adam:
    """torch's Adam, fused; AdamW is the same kernel with the decay decoupled (the decay
    itself comes from the weight_decay regularizer, so both are exactly torch's)."""

    states = ("exp_avg", "exp_avg_sq")
    decoupled = False

    def __init__(self, cfg: Any):
        self.cfg = cfg

    def apply(self, params, grads, state, counts, lr):
        cfg = self.cfg
        adam_update(params, grads, state["exp_avg"], state["exp_avg_sq"], [], counts, fused=True, amsgrad=False,
                    beta1=cfg.betas[0], beta2=cfg.betas[1], lr=lr, weight_decay=0.0, eps=cfg.eps, maximize=False,
                    decoupled_weight_decay=self.decoupled)


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    decoupled = True


@OPTIMIZERS.register("lion")
class Lion:
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2):
    p <- p - lr * sign(beta1 * m + (1 - beta1) * g); m <- beta2 * m + (1 - beta2) * g.
    Elementwise foreach arithmetic on each member's slice."""

    states = ("exp_avg",)

    def __init__(self, cfg: Any):
        self.cfg = cfg

    def apply(self, params, grads, state, counts, lr):
        beta1, beta2 = self.cfg.betas
        m = state["exp_avg"]
        update = torch._foreach_mul(m, beta1)
        torch._foreach_add_(update, grads, alpha=1 - beta1)
        torch._foreach_sign_(update)
        torch._foreach_add_(params, update, alpha=-lr)
        torch._foreach_mul_(m, beta2)
        torch._foreach_add_(m, grads, alpha=1 - beta2)
        torch._foreach_add_(counts, 1.0)


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


class MemberOptimizer:
    """The update of every member of a stack: the kind's `Rule` on each member's slices, at
    the member's rate times each parameter's `lr_scales` (the parametrization's per-layer
    rates; slices that share a rate share one call), after the regularizers' decoupled decay
    (W <- W (1 - rate * strength)) and the optimizer's gradient transforms."""

    def __init__(self, cfg: Any, steps: int, lrs: list[float], decay: list[dict[int, float]],
                 params: list[torch.Tensor], lr_scales: list[float] | None = None,
                 coupled: list[dict[int, float]] | None = None):
        self.rule: Rule = OPTIMIZERS[cfg.kind](cfg)
        self.lrs, self.decay = list(lrs), list(decay)
        self.coupled = list(coupled or [{} for _ in lrs])  # per member, {parameter index: strength} of g + strength W
        self.scales = list(lr_scales or [1.0] * len(params))
        self.factor = lr_factor(cfg, steps)
        self.filter = GrokfastFilter(cfg.grokfast) if cfg.grokfast is not None else None
        self.perp = PerpGrad(cfg.perp_grad) if cfg.perp_grad is not None else None
        self.params = params
        self.state: dict[str, Any] = {name: [torch.zeros_like(p) for p in params] for name in self.rule.states}
        self.state["counts"] = torch.zeros(len(lrs), len(params), dtype=torch.float32, device=params[0].device)
        if self.filter is not None:
            self.state[self.filter.key] = None  # the filter's average starts at the first gradient
        self._groups: list[Slices] | None = None

    def step(self, t: int) -> None:
        factor = self.factor(t) if self.factor else 1.0
        with torch.no_grad():
            if self.filter is not None:  # the filter sees the gradients once every slice has decayed
                for group in self._groups_of_slices():
                    group.decay(group.rate * factor)
                grads = [p.grad[k] for p in self.params for k in range(p.shape[0])]
                self.state[self.filter.key] = self.filter(grads, self.state[self.filter.key], self.params)
            for group in self._groups_of_slices():
                if self.filter is None:
                    group.decay(group.rate * factor)
                grads = [self.params[i].grad[k] for k, i in group.slots]
                if self.perp is not None:  # the last transform: what the rule sees is orthogonal to the weights
                    self.perp(grads, group.params)
                group.couple(grads)
                self.rule.apply(group.params, grads, group.state, group.counts, group.rate * factor)

    def _groups_of_slices(self) -> list[Slices]:
        """The slices grouped by their rate (member lr x the parameter's scale), rows in stack
        order, with their views of every tensor the update reads: made once, until the stack
        or the state is replaced (the gradients are new each step and sliced then)."""
        if self._groups is None:
            by_rate: dict[float, list[tuple[int, int]]] = {}
            for k, lr in enumerate(self.lrs):
                for i, scale in enumerate(self.scales):
                    by_rate.setdefault(lr * scale, []).append((k, i))
            self._groups = [Slices(rate, slots, self) for rate, slots in by_rate.items()]
        return self._groups

    def keep(self, rows: list[int], index: torch.Tensor, params: list[torch.Tensor]) -> None:
        """Only these rows of the stack go on; `params`: their stacked parameters."""
        self.lrs = [self.lrs[r] for r in rows]
        self.decay = [self.decay[r] for r in rows]
        self.coupled = [self.coupled[r] for r in rows]
        self.params = params
        self.state = {name: _rows(value, index) for name, value in self.state.items()}
        self._groups = None

    def member_state(self, row: torch.Tensor) -> dict[str, Any]:
        """The state of the stack's row `row` (a one-element index), as a stack of one holds it."""
        return {name: _rows(value, row) for name, value in self.state.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        missing = set(self.state) - set(state)
        if missing:
            raise KeyError(f"the checkpoint has no optimizer state {', '.join(sorted(missing))}")
        self.state = dict(state)
        self._groups = None


class Slices:
    """One rate's (row, parameter index) slots and their views: the parameters, the rule's
    state tensors, the step counts, the decayed slices by strength and, by strength, the
    positions of the slices whose gradient takes the coupled decay."""

    def __init__(self, rate: float, slots: list[tuple[int, int]], opt: MemberOptimizer):
        self.rate, self.slots = rate, slots
        self.params = [opt.params[i][k] for k, i in slots]
        self.state = {name: [opt.state[name][i][k] for k, i in slots] for name in opt.rule.states}
        self.counts = [opt.state["counts"][k, i] for k, i in slots]
        self.decayed: dict[float, list[torch.Tensor]] = {}
        for (k, i), view in zip(slots, self.params):
            strength = opt.decay[k].get(i)
            if strength is not None:
                self.decayed.setdefault(strength, []).append(view)
        self.coupled: dict[float, list[int]] = {}
        for j, (k, i) in enumerate(slots):
            if i in opt.coupled[k]:
                self.coupled.setdefault(opt.coupled[k][i], []).append(j)

    def decay(self, lr: float) -> None:
        """W <- W (1 - lr * strength) for the decayed slices, by strength."""
        for strength, tensors in self.decayed.items():
            torch._foreach_mul_(tensors, 1.0 - lr * strength)

    def couple(self, grads: list[torch.Tensor]) -> None:
        """g <- g + strength W for the slices of a coupled decay (`grads`: this group's, in slot order)."""
        for strength, positions in self.coupled.items():
            torch._foreach_add_([grads[j] for j in positions], [self.params[j] for j in positions], alpha=strength)


def _rows(value: Any, index: torch.Tensor) -> Any:
    """The kept rows of a stacked state entry (a tensor, a list of them, or None)."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.index_select(0, index)
    return [s.index_select(0, index) for s in value]
