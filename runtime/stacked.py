"""`Stacked`: the training step of K >= 1 members over a leading member axis.

The one numerical program of every model that has a stacked forward (`Model.forward_stacked`)
and whose regularizers are not loss terms on the network's own parameters
(`clockspec.compiler.batching.execution`): a run alone is a stack of one, a batch of
members a stack of K, and a member's metrics have the same bits either way. Each member's
network is built by the ordinary builders (so its initial weights are exactly those of the
spec), their parameters stacked into one tensor per layer, trained with the model's stacked
forward (its first layer a per-token projection gather where the inputs are tokens), each
member's loss, one backward and torch's fused optimizer kernel applied slice by slice
(`optimizers.MemberOptimizer`). At each probe, a member's slice is copied into its own
network and measured by the ordinary `Prober`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from clockspec.runtime.compiled import CompiledLosses
from clockspec.runtime.loop import Batches, checkpoint_bytes
from clockspec.runtime.metrics import Prober
from clockspec.runtime.models import Model, build_model, require
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.optimizers import MemberOptimizer
from clockspec.runtime.regularizers import build_regularizers
from clockspec.runtime.tasks import build_task, unchanged_data


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
        self.optimizer = MemberOptimizer(spec0.optimizer, spec0.train.steps, [p.spec.optimizer.lr for p in plans],
                                         _decay(plans, self.models), list(self.params.values()))
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
        return self._member_losses(self.forward(params, x), y)

    def compile_seconds(self) -> tuple[float, float]:
        """Wall and CPU seconds spent compiling the step so far (0, 0: not compiled)."""
        return (self.compiled.seconds, self.compiled.cpu_seconds) if self.compiled else (0.0, 0.0)

    def _inputs(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The (mini)batch of every member in the stack: shared (n, ...) or per member (K, n, ...)."""
        if self.batches[0].full:
            if self.shared:
                return self.data[0].x_train, self.data[0].y_train
            return (torch.stack([self.data[k].x_train for k in self.rows]),
                    torch.stack([self.data[k].y_train for k in self.rows]))
        idx = [self.batches[k](t) for k in self.rows]
        return (torch.stack([self.data[k].x_train[i] for k, i in zip(self.rows, idx)]),
                torch.stack([self.data[k].y_train[i] for k, i in zip(self.rows, idx)]))

    def _member_losses(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(K,) each member's loss: the runtime's loss per member, or for cross-entropy
        (a mean over examples) one call over all members' rows, averaged per member."""
        k = logits.shape[0]
        if self.loss_name == "cross_entropy":
            labels = y.repeat(k) if y.dim() == 1 else y.flatten()
            return F.cross_entropy(logits.flatten(0, 1), labels, reduction="none").view(k, -1).mean(1)
        return torch.stack([self.loss(logits[i], y if y.dim() == 1 else y[i]) for i in range(k)])

    def backward(self) -> None:
        for p in self.params.values():
            p.grad = None
        if self.compiled is None:
            self.losses.sum().backward()
        else:
            self.compiled.backward(self.losses.sum())

    def probe(self, k: int, t: int) -> dict[str, Any]:
        """Member k's slice, copied into its own network, measured by the ordinary prober."""
        row = self.rows.index(k)
        with torch.no_grad():
            for name, p in self.models[k].named_parameters():
                p.copy_(self.params[name][row])
                grad = self.params[name].grad
                p.grad = None if grad is None else grad[row].clone()
        return self.probers[k](t)

    def update(self, t: int) -> None:
        self.optimizer.step(t)

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

    def snapshot(self, step: int) -> bytes:
        """The checkpoint of a stack of one at `step`: parameters, optimizer state, the metrics' memory, RNG."""
        state = {"step": step, "params": {n: p.detach() for n, p in self.params.items()},
                 "optimizer": self.optimizer.state_dict(), "probe_memory": self.probers[0].memory}
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


def _decay(plans: Sequence[Any], models: list[Model]) -> list[dict[int, float]]:
    """Per member, {parameter index: decoupled decay strength}, as the runtime's
    regularizer builders decide it."""
    out: list[dict[int, float]] = []
    for plan, model in zip(plans, models):
        index = {id(p): i for i, p in enumerate(model.parameters())}
        out.append({index[id(p)]: strength for reg in build_regularizers(plan.spec.regularizers, model)
                    for p, strength in reg.decay})
    return out
