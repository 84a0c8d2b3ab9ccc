"""`Stacked`: the one training step, of K >= 1 members over a leading member axis.

Every spec trains on it: a run alone is a stack of one, a batch of members a stack of K, and
a member's metrics have the same bits either way. Each member's network is built by the
ordinary builders (so its initial weights, init laws included, are exactly those of the
spec), their parameters stacked into one tensor per layer, and every feature runs on the
stack, per member: the model's stacked forward (its first layer a per-token projection
gather where the inputs are tokens) under the parametrization's output scale, the loss
(`objective.LossKind`, in `train.loss_dtype` when asked), the regularizers' penalties on
each member's slices, one backward, the interventions' hooks (`interventions.Hooks`), and
`optimizers.MemberOptimizer`'s update (decoupled decay, Grokfast, the optimizer kind's rule,
per-layer rates). At each probe, a member's slice is copied into its own network and
measured by the ordinary `Prober`; a snapshot is that network's bytes.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from clockspec.runtime import kinds
from clockspec.runtime.compiled import CompiledLosses
from clockspec.runtime.interventions import build_interventions
from clockspec.runtime.loop import Batches, checkpoint_bytes
from clockspec.runtime.metrics import Prober
from clockspec.runtime.models import Model, build_model
from clockspec.runtime.objective import build_loss, model_view
from clockspec.runtime.optimizers import MemberOptimizer
from clockspec.runtime.parametrization import lr_scales, network, stacked_forward
from clockspec.runtime.regularizers import build_regularizers
from clockspec.runtime.snapshots import model_bytes
from clockspec.runtime.tasks import build_task, moved, online_batch, unchanged_data

Penalty = Callable[[dict[str, torch.Tensor]], torch.Tensor]
kinds.check()  # every IR kind has its runtime piece before anything trains


class Stacked:
    """The step of K >= 1 members at once (a run alone is a stack of one): their networks,
    built as they would be alone, with parameters stacked on a leading member axis; the
    model's stacked forward, each member's loss, one backward, and `MemberOptimizer`'s
    update. Every kernel computes each member's slice from that member's values only, so a
    member's trajectory has the same bits in a stack of any size
    (tests/runtime/test_one_trajectory.py). Members that ended are dropped from the stack
    (`retire`) before the next step, so that they cost nothing; a compiled stack
    (`runtime/compiled.py`) drops them once half its rows have ended."""

    def __init__(self, plans: Sequence[Any], where: torch.device, dtype: torch.dtype,
                 compiled: bool | None = None):
        spec0 = plans[0].spec
        for plan in plans:
            unchanged_data(plan)
        self.loss = build_loss(spec0.train)
        shared = build_task(spec0.task).to(where, dtype) if all(p.spec.task == spec0.task for p in plans) else None
        self.data = [shared if shared is not None else build_task(p.spec.task).to(where, dtype) for p in plans]
        self.models: list[Model] = [build_model(p.spec.model, model_view(d, p.spec.train.loss), p.spec.seed, dtype).to(where)
                                    for p, d in zip(plans, self.data)]
        self.probers = [Prober(list(p.metrics), m, d, self.loss, p.spec.probes)
                        for p, m, d in zip(plans, self.models, self.data)]
        self.batches = [Batches(len(d.y_train), p.spec.train.batch, p.spec.seed, where) for p, d in zip(plans, self.data)]
        self.seeds, self.where, self.dtype = [p.spec.seed for p in plans], where, dtype
        self.params = _stack([network(m) for m in self.models])
        self.forward = stacked_forward(self.models[0], network(self.models[0]).forward_stacked,
                                       lambda: {n: p.detach().clone() for n, p in self.params.items()})
        regularizers = [build_regularizers(p.spec.regularizers, m) for p, m in zip(plans, self.models)]
        self.penalties: list[list[Penalty]] = [[r.penalty for r in regs if r.penalty is not None] for regs in regularizers]
        self.optimizer = MemberOptimizer(spec0.optimizer, spec0.train.steps, [p.spec.optimizer.lr for p in plans],
                                         _strengths(self.models, regularizers, "decay"), list(self.params.values()),
                                         lr_scales(spec0.model, self.models[0]),
                                         _strengths(self.models, regularizers, "coupled"))
        self.in_loss = _strengths(self.models, regularizers, "in_loss")  # per member, {parameter index: strength}
        self.hooks = build_interventions(spec0.interventions, self.models)
        self.shared = shared is not None
        self.rows = list(range(len(plans)))  # the member of each row of the stack
        self.leaving: list[int] = []
        self.live: torch.Tensor | None = None  # the rows of `_live_rows`, once members have left
        self.losses: torch.Tensor | None = None
        compiled = plans[0].derived["execution"]["compiled"] if compiled is None else compiled
        self.compiled = CompiledLosses(self._forward_losses) if compiled else None

    def objective(self, t: int) -> torch.Tensor:
        """(K,) the live members' objectives. Ended members leave an eager stack at once; a
        compiled one keeps their rows (computed, never read) until half its rows have
        ended, so that it compiles for at most log2(K) + 1 stack sizes."""
        if self.leaving and (self.compiled is None or 2 * len(self.leaving) >= len(self.rows)):
            self._compact()
        x, y = self._inputs(t)
        self.losses = (self.compiled or self._forward_losses)(self.params, x, y)
        losses = self.losses.detach()
        return losses.index_select(0, self.live) if self.leaving else losses

    def _forward_losses(self, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(K,) each member's objective: its loss, plus its penalties on its own slices."""
        losses = self.loss.stacked(self.forward(params, x), y)
        if not any(self.penalties):
            return losses
        rows = [{name: p[row] for name, p in params.items()} for row in range(len(self.rows))]
        return losses + torch.stack([sum(pen(rows[row]) for pen in self.penalties[k]) if self.penalties[k]
                                     else losses.new_zeros(()) for row, k in enumerate(self.rows)])

    def compile_seconds(self) -> tuple[float, float]:
        """Wall and CPU seconds spent compiling the step so far (0, 0: not compiled)."""
        return (self.compiled.seconds, self.compiled.cpu_seconds) if self.compiled else (0.0, 0.0)

    def _inputs(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The (mini)batch of every member in the stack: inputs shared (n, ...) or per member
        (K, n, ...), labels per member (K, n, ...) (shared ones expanded, not copied); an
        online task's fresh examples, drawn on the CPU for each member by its seed and t."""
        if self.data[0].draw is not None:
            drawn = [online_batch(self.data[k], self.batches[k].size, self.seeds[k], t) for k in self.rows]
            return tuple(moved(torch.stack(part), self.where, self.dtype) for part in zip(*drawn))
        if self.batches[0].full:
            if self.shared:
                y = self.data[0].y_train
                return self.data[0].x_train, y.expand(len(self.rows), *y.shape)
            return (torch.stack([self.data[k].x_train for k in self.rows]),
                    torch.stack([self.data[k].y_train for k in self.rows]))
        idx = [self.batches[k](t) for k in self.rows]
        return (torch.stack([self.data[k].x_train[i] for k, i in zip(self.rows, idx)]),
                torch.stack([self.data[k].y_train[i] for k, i in zip(self.rows, idx)]))

    def backward(self) -> None:
        for p in self.params.values():
            p.grad = None
        if self.compiled is None:
            self.losses.sum().backward()
        else:
            self.compiled.backward(self.losses.sum())
        if any(self.in_loss):
            self._add_loss_decay()
        self.hooks.after_backward(self)

    def _add_loss_decay(self) -> None:
        """The gradient of each member's weight decay in the loss, 2 strength W, on its slices."""
        params = list(self.params.values())
        by_strength: dict[float, list[tuple[torch.Tensor, torch.Tensor]]] = {}
        for row, k in enumerate(self.rows):
            for i, strength in self.in_loss[k].items():
                by_strength.setdefault(strength, []).append((params[i].grad[row], params[i][row]))
        with torch.no_grad():
            for strength, pairs in by_strength.items():
                grads, weights = zip(*pairs)
                torch._foreach_add_(list(grads), list(weights), alpha=2 * strength)

    def probe(self, k: int, t: int) -> dict[str, Any]:
        """Member k's slice, copied into its own network, measured by the ordinary prober."""
        row = self.rows.index(k)
        with torch.no_grad():
            for name, p in network(self.models[k]).named_parameters():
                p.copy_(self.params[name][row])
                grad = self.params[name].grad
                p.grad = None if grad is None else grad[row].clone()
        return self.probers[k](t)

    def update(self, t: int) -> None:
        self.optimizer.step(t)
        self.hooks.after_update(self)

    def weights(self, k: int) -> bytes:
        """Member k's model as of its last probe (which copied its slice into it): a snapshot's bytes."""
        return model_bytes(self.models[k])

    def retire(self, members: list[int]) -> None:
        """These members ended: drop their rows before the next step."""
        self.leaving += members
        self.live = torch.tensor(self._live_rows(), device=next(iter(self.params.values())).device)

    def _live_rows(self) -> list[int]:
        """The rows of the members still training."""
        return [i for i, k in enumerate(self.rows) if k not in self.leaving]

    def _compact(self) -> None:
        keep, index = self._live_rows(), self.live
        self.rows = [self.rows[i] for i in keep]
        self.leaving = []
        self.params = {name: p.detach().index_select(0, index).requires_grad_() for name, p in self.params.items()}
        self.optimizer.keep(keep, index, list(self.params.values()))
        if hasattr(self.forward, "keep"):
            self.forward.keep(index)

    def snapshot(self, step: int, k: int = 0) -> bytes:
        """Member k's checkpoint at `step`, as a stack of one of it would write (parameters,
        optimizer state, the metrics' memory, RNG): a member of a batch resumes alone, and a
        longer run extends it alone, on the same trajectory."""
        row = torch.tensor([self.rows.index(k)], device=next(iter(self.params.values())).device)
        state = {"step": step, "params": {n: p.detach().index_select(0, row) for n, p in self.params.items()},
                 "optimizer": self.optimizer.member_state(row), "probe_memory": self.probers[k].memory}
        return checkpoint_bytes(state)

    def load_state_dict(self, state: dict[str, Any]) -> int:
        """Continue from a checkpoint of `snapshot`; the step it was taken at."""
        with torch.no_grad():
            for name, p in self.params.items():
                p.copy_(state["params"][name])
        self.optimizer.load_state_dict(state["optimizer"])
        self.probers[0].memory.update(state["probe_memory"])
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return int(state["step"])


def _stack(nets: Sequence[torch.nn.Module]) -> dict[str, torch.Tensor]:
    """The members' parameters, one tensor per network parameter with a leading member axis."""
    names = [name for name, _ in nets[0].named_parameters()]
    return {name: torch.stack([dict(net.named_parameters())[name].detach() for net in nets]).requires_grad_()
            for name in names}


def _strengths(models: Sequence[Model], regularizers: Sequence[Sequence[Any]], form: str) -> list[dict[int, float]]:
    """Per member, {parameter index: strength} of the regularizers' weight decay of one
    placement (`decay`: decoupled, `in_loss` or `coupled`), as the runtime's builders decide it."""
    out: list[dict[int, float]] = []
    for model, regs in zip(models, regularizers):
        index = {id(p): i for i, p in enumerate(network(model).parameters())}
        out.append({index[id(p)]: strength for reg in regs for p, strength in getattr(reg, form)})
    return out
