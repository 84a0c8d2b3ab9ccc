"""Train members of a family together, over a leading member axis, in one process.

Members that `clockspec.compiler.batching` groups share every shape; they differ in the seed,
split seed, init scale, learning rate and regularizer strengths. Each member's network is
built by the ordinary builders (so its initial weights are exactly those of a run alone);
their parameters are stacked into one tensor per layer and trained with the model's own
stacked forward (`Model.forward_stacked`: its layers as batched matmuls), the ordinary loss per member, a
per-member learning rate and decay as tensors, and a vectorised optimizer following torch's
update rules (`VectorOptimizer`).
At each probe, a member's slice is copied into its own network and measured by the
ordinary `Prober`; its rows, clocks, status and figure go to its own run directory, as a
run alone would write them. A member that diverges or whose stop clocks fire is finished
at that step while the others go on.

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

from clockspec.clocks import ClockTracker
from clockspec.core.errors import Diagnostic, SpecError
from clockspec.core.fileio import read_json
from clockspec.core.run_names import run_dir_name
from clockspec.core.version import __version__
from clockspec.report.run_figure import plot_curves
from clockspec.runtime.device import numerics, resolve_device, resolve_dtype
from clockspec.runtime.loop import Batches
from clockspec.runtime.metrics import Prober
from clockspec.runtime.models import build_model
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.optimizers import lr_factor
from clockspec.runtime.regularizers import build_regularizers
from clockspec.runtime.results import RunResult, clocks_doc, final_clocks, for_device, spec_text
from clockspec.runtime.runner import DEFAULT_OUT, failed_io
from clockspec.runtime.session import InterruptGuard
from clockspec.runtime.tasks import build_task
from clockspec.store.lock import claim
from clockspec.store.rundir import CLOCKS, CURVES, PLAN, SPEC, STATUS, RunDir, row_line


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


class _Member:
    """One member's own objects: plan, run directory, network, prober, clock tracker."""

    def __init__(self, plan: Any, rd: RunDir, model: torch.nn.Module, data: Any, prober: Prober,
                 batches: Batches):
        self.plan, self.spec, self.rd = plan, plan.spec, rd
        self.model, self.data, self.prober, self.batches = model, data, prober, batches
        self.tracker = ClockTracker(self.spec.clocks, self.spec.stop)
        self.probe_steps = set(plan.probe_steps())
        self.sink = None
        self.result: RunResult | None = None


def batchable(plans: Sequence[Any]) -> str | None:
    """Why these plans cannot train as one batch, or None."""
    from clockspec.compiler.batching import batch_key

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
            hit = [rd for rd in dirs if str(exc.filename or "").startswith(str(rd.path))]
            raise failed_io((hit or dirs)[0], exc) from exc


def _train(plans: Sequence[Any], dirs: list[RunDir], where: torch.device, dtype: torch.dtype,
           threads: int) -> list[RunResult]:
    began = time.perf_counter()
    spec0 = plans[0].spec
    loss = LOSSES[spec0.train.loss]
    shared_split = len({p.spec.task for p in plans}) == 1
    shared = build_task(spec0.task).to(where, dtype) if shared_split else None
    members: list[_Member] = []
    for plan, rd in zip(plans, dirs):
        spec = plan.spec
        data = shared if shared is not None else build_task(spec.task).to(where, dtype)
        model = build_model(spec.model, data, spec.seed, dtype).to(where)
        prober = Prober(list(plan.metrics), model, data, loss, spec.probes)
        batches = Batches(len(data.y_train), spec.train.batch, spec.seed, where)
        members.append(_Member(plan, rd, model, data, prober, batches))

    template = members[0].model
    names = [name for name, _ in template.named_parameters()]
    params = {name: torch.stack([dict(m.model.named_parameters())[name].detach() for m in members])
              .requires_grad_() for name in names}
    lr = torch.tensor([m.spec.optimizer.lr for m in members], device=where, dtype=dtype)
    optimizer = VectorOptimizer(spec0.optimizer, params, lr, _decay(members, names, where, dtype))
    factor = lr_factor(spec0.optimizer, spec0.train.steps)
    def member_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(K,) each member's loss: the runtime's loss per member, or for cross-entropy
        (a mean over examples) one call over all members' rows, averaged per member."""
        k = logits.shape[0]
        if spec0.train.loss == "cross_entropy":
            labels = y.repeat(k) if y.dim() == 1 else y.flatten()
            return F.cross_entropy(logits.flatten(0, 1), labels, reduction="none").view(k, -1).mean(1)
        return torch.stack([loss(logits[i], y if y.dim() == 1 else y[i]) for i in range(k)])

    full = members[0].batches.full
    inputs = None
    if full:
        inputs = ((shared.x_train, shared.y_train) if shared is not None else
                  (torch.stack([m.data.x_train for m in members]), torch.stack([m.data.y_train for m in members])))

    for m in members:
        m.rd.clear()
        m.rd.write(SPEC, spec_text(m.spec))
        m.rd.write_json(PLAN, m.plan.to_json())
        m.rd.reset_rows()
        m.rd.write_json(STATUS, {"status": "running", "step": 0, "reason": "", **_info(m, where, threads, len(members))})
        m.sink = m.rd.append_rows()

    alive = list(range(len(members)))
    steps = spec0.train.steps
    guard = InterruptGuard(None)
    t = 0
    try:
        with guard:
            while alive:
                x, y = inputs if inputs is not None else _minibatch(members, t)
                losses = member_losses(template.forward_stacked(params, x), y)
                values = losses.tolist()
                for k in list(alive):
                    if not math.isfinite(values[k]):
                        _finish(members[k], "diverged", t, f"the training objective is {values[k]} at step {t}", began)
                        alive.remove(k)
                if not alive:
                    break
                for p in params.values():
                    p.grad = None
                (losses.sum() if len(alive) == len(members) else losses[alive].sum()).backward()
                for k in list(alive):
                    m = members[k]
                    if t in m.probe_steps:
                        row = _probe(m, params, k, t)
                        m.sink.write(row_line(row))
                        m.sink.flush()
                        m.tracker.update(row)
                        if m.tracker.should_stop:
                            _finish(m, "complete", t, "the stop clocks fired", began)
                            alive.remove(k)
                if t >= steps:
                    for k in alive:
                        _finish(members[k], "complete", t, "all steps done", began)
                    break
                if not alive:
                    break
                optimizer.step(factor(t) if factor else 1.0)
                t += 1
                if guard.requested:
                    for k in alive:
                        _finish(members[k], "interrupted", t, f"interrupted at step {t} (a batched run keeps no checkpoint)", began)
                    break
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        for m in members:
            if m.result is None:
                last = read_json(m.rd / STATUS) or {}
                m.rd.write_json(STATUS, {**last, "status": status, "reason": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        for m in members:
            if m.sink is not None:
                m.sink.close()
    return [m.result for m in members]


def _decay(members: list[_Member], names: list[str], where: torch.device,
           dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Per parameter name, each member's decoupled decay strength (0 where it has none),
    as the runtime's regularizer builders decide it."""
    out: dict[str, torch.Tensor] = {}
    for k, m in enumerate(members):
        by_param = {id(p): name for name, p in m.model.named_parameters()}
        for reg in build_regularizers(m.spec.regularizers, m.model):
            for p, strength in reg.decay:
                name = by_param[id(p)]
                out.setdefault(name, torch.zeros(len(members), device=where, dtype=dtype))[k] = strength
    return out


def _minibatch(members: list[_Member], t: int) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for m in members:
        idx = m.batches(t)
        xs.append(m.data.x_train[idx])
        ys.append(m.data.y_train[idx])
    return torch.stack(xs), torch.stack(ys)


def _probe(m: _Member, params: dict[str, torch.Tensor], k: int, t: int) -> dict[str, Any]:
    """Member k's slice, copied into its own network, measured by the ordinary prober."""
    with torch.no_grad():
        for name, p in m.model.named_parameters():
            p.copy_(params[name][k])
            grad = params[name].grad
            p.grad = None if grad is None else grad[k].clone()
    return m.prober(t)


def _info(m: _Member, where: torch.device, threads: int, size: int) -> dict[str, Any]:
    import platform

    return {"train_hash": m.plan.train_hash, "steps": m.spec.train.steps, "device": str(where),
            "dtype": m.spec.train.dtype, "threads": threads, "torch": torch.__version__,
            "clockspec": __version__, "python": platform.python_version(), "batch_size": size}


def _finish(m: _Member, status: str, step: int, reason: str, began: float) -> None:
    size = (read_json(m.rd / STATUS) or {}).get("batch_size", 1)
    spec, plan, rd = m.spec, m.plan, m.rd
    clocks = final_clocks(spec, m.tracker.results(), status)
    rd.write_json(CLOCKS, clocks_doc(plan, clocks, status, step))
    rd.write(CURVES, plot_curves(m.tracker.rows, spec, clocks, status))
    wall = time.perf_counter() - began
    last = read_json(rd / STATUS) or {}
    rd.write_json(STATUS, {**last, "status": status, "step": step, "reason": reason, "wall_s": round(wall, 3),
                           "steps_per_s": round(step / max(wall, 1e-9), 2)})
    m.sink.close()
    m.result = RunResult(rd.path, status, step, clocks, "trained",
                                f"trained steps 0..{step} in a batch of {size} members ({wall:.1f} s): {reason}", wall)
