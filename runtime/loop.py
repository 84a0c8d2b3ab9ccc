"""The training loop: everything built from the spec, stepped, probed, stopped.

Step t means "after t optimizer updates". At each step the loop computes the objective and
its gradient at the current parameters; a probe at t measures those same parameters (and,
for grad_ratio, that gradient) before the update is applied. So step 0 is the
initialisation and the last probe is the final model. A non-finite objective ends the run
as diverged at that step.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from clockspec.runtime.metrics import Prober
from clockspec.runtime.models import build_model
from clockspec.runtime.objective import LOSSES, Objective
from clockspec.runtime.optimizers import Stepper
from clockspec.runtime.regularizers import build_regularizers
from clockspec.runtime.tasks import build_task


@dataclass(frozen=True)
class Outcome:
    status: str  # complete | diverged | interrupted
    step: int
    reason: str


class Batches:
    """Minibatch indices for step t, a pure function of (seed, t): each epoch is a seeded
    permutation of the training set and batches are consecutive slices of the stream of
    epochs. Nothing to save for a resume."""

    def __init__(self, n: int, batch: int | str, seed: int, device: torch.device):
        self.n, self.seed, self.device = n, seed, device
        self.size = n if batch == "full" else min(int(batch), n)
        self._epoch: tuple[int, torch.Tensor] | None = None

    @property
    def full(self) -> bool:
        return self.size == self.n

    def _perm(self, epoch: int) -> torch.Tensor:
        if self._epoch is None or self._epoch[0] != epoch:
            seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1, np.uint64)[0] >> 1)
            perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(seed))
            self._epoch = (epoch, perm.to(self.device))
        return self._epoch[1]

    def __call__(self, t: int) -> torch.Tensor:
        start = t * self.size
        parts, taken = [], 0
        while taken < self.size:
            epoch, offset = divmod(start + taken, self.n)
            chunk = self._perm(epoch)[offset:offset + self.size - taken]
            parts.append(chunk)
            taken += len(chunk)
        return parts[0] if len(parts) == 1 else torch.cat(parts)


class Trainer:
    def __init__(self, spec: Any, metrics: list[str], device: torch.device, dtype: torch.dtype):
        self.spec = spec
        self.steps = spec.train.steps
        data = build_task(spec.task)
        self.model = build_model(spec.model, data, spec.seed, dtype).to(device)
        self.data = data.to(device, dtype)
        regularizers = build_regularizers(spec.regularizers, self.model)
        loss = LOSSES[spec.train.loss]
        self.objective = Objective(loss, [r.penalty for r in regularizers if r.penalty is not None])
        self.stepper = Stepper(spec.optimizer, list(self.model.parameters()),
                               [pair for r in regularizers for pair in r.decay], self.steps)
        self.prober = Prober(metrics, self.model, self.data, loss, spec.probes)
        self.batches = Batches(len(self.data.y_train), spec.train.batch, spec.seed, device)

    def run(self, start: int, probe_steps: set[int], on_probe: Callable[[dict], bool],
            on_step: Callable[[int], bool]) -> Outcome:
        """Train from step `start` to the end. `on_probe(row)` returns True to stop there
        (the stop clocks fired); `on_step(t)`, called once t updates are done, returns True
        to interrupt there (a clean point to checkpoint)."""
        model, objective, optimizer = self.model, self.objective, self.stepper.optimizer
        x, y = self.data.x_train, self.data.y_train
        full = self.batches.full
        t = start
        while True:
            if full:
                loss = objective(model(x), y)
            else:
                idx = self.batches(t)
                loss = objective(model(x[idx]), y[idx])
            value = loss.item()
            if not math.isfinite(value):
                return Outcome("diverged", t, f"the training objective is {value} at step {t}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if t in probe_steps and on_probe(self.prober(t)):
                return Outcome("complete", t, "the stop clocks fired")
            if t >= self.steps:
                return Outcome("complete", t, "all steps done")
            self.stepper.step(t)
            t += 1
            if on_step(t):
                return Outcome("interrupted", t, f"interrupted at step {t}")

    def state_dict(self, step: int) -> dict[str, Any]:
        state = {
            "step": step,
            "model": self.model.state_dict(),
            "optimizer": self.stepper.optimizer.state_dict(),
            "probe_memory": self.prober.memory,
            "torch_rng": torch.get_rng_state(),
        }
        if torch.cuda.is_available():
            state["cuda_rng"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> int:
        self.model.load_state_dict(state["model"])
        self.stepper.optimizer.load_state_dict(state["optimizer"])
        self.prober.memory.update(state["probe_memory"])
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return int(state["step"])
