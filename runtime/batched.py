"""Train members of a family together, over a leading member axis, in one process.

Members that `clockspec.compiler.batching` groups share every shape; they differ in the seed,
split seed, init scale, learning rate and regularizer strengths. Each member's network is
built by the ordinary builders (so its initial weights are exactly those of a run alone);
their parameters are stacked into one tensor per layer and trained with the model's own
stacked forward (`Model.forward_stacked`: its layers as batched matmuls), the ordinary loss
per member, a per-member learning rate and decay as tensors, and a vectorised optimizer
following torch's update rules (`VectorOptimizer`). That step (`Stacked`) is all that
differs from a run alone: the loop and each member's path (probe, rows, clocks, status,
figure in its own run directory) are the training core's (`loop.train_members`,
`member.MemberRun`). At each probe, a member's slice is copied into its own network and
measured by the ordinary `Prober`. A member that diverges or whose stop clocks fire is
finished at that step while the others go on.

Not batched (the executor runs these one by one): schatten and coupled weight-decay
penalties, whose terms hold the network's own parameters. A batched run keeps no
checkpoint: an interrupted member starts over when its family is run again.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from clockspec.compiler.batching import batch_key
from clockspec.core.errors import Diagnostic, RunError, SpecError
from clockspec.core.fileio import read_json
from clockspec.core.run_names import run_dir_name
from clockspec.runtime.device import numerics, resolve_device, resolve_dtype
from clockspec.runtime.loop import Batches, train_members
from clockspec.runtime.member import MemberRun, run_info
from clockspec.runtime.metrics import Prober
from clockspec.runtime.models import Model, build_model, require
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.optimizers import lr_factor
from clockspec.runtime.regularizers import build_regularizers
from clockspec.runtime.results import RunResult, for_device
from clockspec.runtime.runner import DEFAULT_OUT, failed_io
from clockspec.runtime.tasks import build_task
from clockspec.store.lock import claim
from clockspec.store.rundir import STATUS, RunDir


def batchable(plans: Sequence[Any]) -> str | None:
    """Why these plans cannot train as one batch, or None."""
    keys = {batch_key(p.spec) for p in plans}
    if None in keys:
        return "a member's regularizers or optimizer are not batched (see runtime/batched.py)"
    if len(keys) > 1:
        return "the members differ in more than seed, split seed, init scale, lr and regularizer strengths"
    return None


def run_batch(plans: Sequence[Any], out: str | Path | None = None, device: str | None = None,
              threads: int = 1) -> list[RunResult]:
    """Train the members' plans together; one RunResult per plan, in order."""
    plans = [for_device(p, device) for p in plans]
    reason = batchable(plans)
    if reason:
        raise SpecError([Diagnostic(f"cannot batch {len(plans)} members: {reason}", "<batch>")])
    spec0 = plans[0].spec
    where = resolve_device(device or spec0.device, "--device" if device else "device")
    dtype = resolve_dtype(spec0.train.dtype, where)
    root = Path(out if out is not None else DEFAULT_OUT)
    dirs = [RunDir(root / run_dir_name(p.spec.name, p.train_hash)) for p in plans]
    with ExitStack() as locks:
        for rd in dirs:
            locks.enter_context(claim(rd.path))
        try:
            for rd in dirs:
                rd.sweep()
            with numerics(where, threads):
                return _train(plans, dirs, where, dtype, threads)
        except OSError as exc:
            raise _failed_write(dirs, exc) from exc


def _train(plans: Sequence[Any], dirs: list[RunDir], where: torch.device, dtype: torch.dtype,
           threads: int) -> list[RunResult]:
    began = time.perf_counter()
    stacked = Stacked(plans, where, dtype)
    members = [MemberRun(plan, rd, run_info(plan, where, threads, torch.__version__, len(plans)), began,
                         batch=len(plans)) for plan, rd in zip(plans, dirs)]
    for m in members:
        m.open()
        m.begin(0)
    train_members(stacked, members, 0, plans[0].spec.train.steps)
    return [m.result for m in members]


def _failed_write(dirs: list[RunDir], exc: OSError) -> RunError:
    """A write failed: every member still running has failed with it; the error names the
    member whose file it was (else the first)."""
    hit = [rd for rd in dirs if str(exc.filename or "").startswith(str(rd.path))] or dirs[:1]
    for rd in dirs:
        if rd is not hit[0] and (read_json(rd / STATUS) or {}).get("status") == "running":
            failed_io(rd, exc)
    return failed_io(hit[0], exc)


class Stacked:
    """The step of K members at once: their networks, built as they would be alone, with
    parameters stacked on a leading member axis; the model's stacked forward, each member's
    loss, one backward, and `VectorOptimizer`'s update."""

    def __init__(self, plans: Sequence[Any], where: torch.device, dtype: torch.dtype):
        spec0 = plans[0].spec
        self.loss_name, self.loss = spec0.train.loss, LOSSES[spec0.train.loss]
        shared = build_task(spec0.task).to(where, dtype) if len({p.spec.task for p in plans}) == 1 else None
        self.data = [shared if shared is not None else build_task(p.spec.task).to(where, dtype) for p in plans]
        self.models: list[Model] = [build_model(p.spec.model, d, p.spec.seed, dtype).to(where)
                                    for p, d in zip(plans, self.data)]
        self.probers = [Prober(list(p.metrics), m, d, self.loss, p.spec.probes)
                        for p, m, d in zip(plans, self.models, self.data)]
        self.batches = [Batches(len(d.y_train), p.spec.train.batch, p.spec.seed, where) for p, d in zip(plans, self.data)]
        self.forward = require(getattr(self.models[0], "forward_stacked", None), "a forward over stacked members",
                               f"training model {spec0.model.kind} in a batch")
        names = [name for name, _ in self.models[0].named_parameters()]
        self.params = {name: torch.stack([dict(m.named_parameters())[name].detach() for m in self.models])
                       .requires_grad_() for name in names}
        lr = torch.tensor([p.spec.optimizer.lr for p in plans], device=where, dtype=dtype)
        self.optimizer = VectorOptimizer(spec0.optimizer, self.params, lr, _decay(plans, self.models, where, dtype))
        self.factor = lr_factor(spec0.optimizer, spec0.train.steps)
        self.inputs = None
        if self.batches[0].full:
            self.inputs = ((shared.x_train, shared.y_train) if shared is not None else
                           (torch.stack([d.x_train for d in self.data]), torch.stack([d.y_train for d in self.data])))
        self.losses: torch.Tensor | None = None

    def objective(self, t: int) -> list[float]:
        x, y = self.inputs if self.inputs is not None else self._minibatch(t)
        self.losses = self._member_losses(self.forward(self.params, x), y)
        return self.losses.tolist()

    def _member_losses(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(K,) each member's loss: the runtime's loss per member, or for cross-entropy
        (a mean over examples) one call over all members' rows, averaged per member."""
        k = logits.shape[0]
        if self.loss_name == "cross_entropy":
            labels = y.repeat(k) if y.dim() == 1 else y.flatten()
            return F.cross_entropy(logits.flatten(0, 1), labels, reduction="none").view(k, -1).mean(1)
        return torch.stack([self.loss(logits[i], y if y.dim() == 1 else y[i]) for i in range(k)])

    def _minibatch(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = [b(t) for b in self.batches]
        return (torch.stack([d.x_train[i] for d, i in zip(self.data, idx)]),
                torch.stack([d.y_train[i] for d, i in zip(self.data, idx)]))

    def backward(self, alive: list[int]) -> None:
        for p in self.params.values():
            p.grad = None
        (self.losses.sum() if len(alive) == len(self.models) else self.losses[alive].sum()).backward()

    def probe(self, k: int, t: int) -> dict[str, Any]:
        """Member k's slice, copied into its own network, measured by the ordinary prober."""
        with torch.no_grad():
            for name, p in self.models[k].named_parameters():
                p.copy_(self.params[name][k])
                grad = self.params[name].grad
                p.grad = None if grad is None else grad[k].clone()
        return self.probers[k](t)

    def update(self, t: int) -> None:
        self.optimizer.step(self.factor(t) if self.factor else 1.0)


def _decay(plans: Sequence[Any], models: list[Model], where: torch.device,
           dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Per parameter name, each member's decoupled decay strength (0 where it has none),
    as the runtime's regularizer builders decide it."""
    out: dict[str, torch.Tensor] = {}
    for k, (plan, model) in enumerate(zip(plans, models)):
        by_param = {id(p): name for name, p in model.named_parameters()}
        for reg in build_regularizers(plan.spec.regularizers, model):
            for p, strength in reg.decay:
                name = by_param[id(p)]
                out.setdefault(name, torch.zeros(len(models), device=where, dtype=dtype))[k] = strength
    return out


class VectorOptimizer:
    """SGD / Adam / AdamW over stacked parameters with one learning rate per member, and the
    regularizers' decoupled decay applied first, as the runtime's `Stepper` does (the
    optimizers themselves decay nothing). Mirrors torch's single-tensor update rules, so each
    member's slice moves as its own optimizer would; `_foreach` ops keep it a few kernels."""

    def __init__(self, cfg: Any, params: dict[str, torch.Tensor], lr: torch.Tensor,
                 decay: dict[str, torch.Tensor]):
        self.cfg = cfg
        self.names = list(params)
        self.params = [params[n] for n in self.names]
        self.lr = lr  # (K,)
        self.shapes = [(-1,) + (1,) * (p.dim() - 1) for p in self.params]
        # (index, lr * strength) of each decayed parameter
        self.decay = [(self.names.index(n), lr * strength) for n, strength in decay.items()]
        self.exp_avg = [torch.zeros_like(p) for p in self.params] if cfg.kind != "sgd" else []
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params] if cfg.kind != "sgd" else []
        self.momentum: list[torch.Tensor] | None = None
        self.steps = 0

    @torch.no_grad()
    def step(self, factor: float) -> None:
        cfg, params = self.cfg, self.params
        self.steps += 1
        if self.decay:
            torch._foreach_mul_([params[i] for i, _ in self.decay],
                                [(1.0 - factor * base).view(self.shapes[i]) for i, base in self.decay])
        grads = [p.grad for p in params]
        lr = self.lr * factor
        if cfg.kind == "sgd":
            if cfg.momentum:
                if self.momentum is None:
                    self.momentum = [g.clone() for g in grads]
                else:
                    torch._foreach_mul_(self.momentum, cfg.momentum)
                    torch._foreach_add_(self.momentum, grads)
                grads = (torch._foreach_add(grads, self.momentum, alpha=cfg.momentum) if cfg.nesterov
                         else self.momentum)
            update = torch._foreach_mul(grads, [lr.view(shape) for shape in self.shapes])
        else:
            beta1, beta2 = cfg.betas
            torch._foreach_lerp_(self.exp_avg, grads, 1 - beta1)
            torch._foreach_mul_(self.exp_avg_sq, beta2)
            torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1 - beta2)
            denom = torch._foreach_sqrt(self.exp_avg_sq)
            torch._foreach_div_(denom, math.sqrt(1 - beta2**self.steps))
            torch._foreach_add_(denom, cfg.eps)
            update = torch._foreach_div(self.exp_avg, denom)
            step = lr / (1 - beta1**self.steps)
            torch._foreach_mul_(update, [step.view(shape) for shape in self.shapes])
        torch._foreach_sub_(params, update)
