"""The one training core: everything built from the spec, stepped, probed, stopped.

Step t means "after t optimizer updates". At each step the loop computes the objective and
its gradient at the current parameters; a probe at t measures those same parameters (and,
for grad_ratio, that gradient) before the update is applied. So step 0 is the
initialisation and the last probe is the final model. A non-finite objective ends the run
as diverged at that step: the objectives stay on the device and are read every
CHECK_EVERY steps and at every probe (`Watch`), never one host sync per step, and a
divergence is still reported at its exact step.

`train_members` is that loop for one member or for many: what happens to each member (its
rows, clocks, checkpoints and outputs) is its `MemberRun`; how a step is computed is the
`Steps` it is given: `stacked.Stacked`, the one training step, for one member or many
stacked on a leading axis.
"""
from __future__ import annotations

import io
import signal
import sys
import threading
from typing import Any, Protocol

import numpy as np
import torch

from clockspec.runtime.member import MemberRun

CHECK_EVERY = 32  # steps between reads of the objectives when no probe reads them sooner


class Steps(Protocol):
    """How the training step of K members (one alone) is computed."""

    def objective(self, t: int) -> torch.Tensor:
        """Compute the objective at step t's parameters: (K,) on the device, one value per
        member still in the step, in the order of the loop's `alive`."""

    def backward(self) -> None:
        """The gradient of the objective of every member in the step."""

    def probe(self, k: int, t: int) -> dict[str, Any]:
        """Member k's probe row at step t."""

    def update(self, t: int) -> None:
        """Apply step t's update."""

    def retire(self, members: list[int]) -> None:
        """These members ended: leave them out from the next step on."""


def train_members(steps: Steps, members: list[MemberRun], start: int, last: int) -> None:
    """Train from step `start` until every member has ended: diverged, stopped by its clocks,
    done at step `last`, or interrupted (a first Ctrl-C stops at the next step boundary).
    A crash, a failed write or a hard interrupt is recorded in every unfinished member's
    status, at the step it reached, and raised (the caller names a failed write's file)."""
    try:
        with InterruptGuard() as guard:
            _loop(steps, members, start, last, guard)
    except BaseException as exc:
        for m in members:
            m.abandon(exc)
        raise
    finally:
        for m in members:
            m.close()


def _loop(steps: Steps, members: list[MemberRun], t: int, last: int, guard: InterruptGuard) -> None:
    alive = list(range(len(members)))  # the members still training, in the order of the step's rows
    checked = set().union(*(m.probe_steps for m in members))
    watch = Watch()
    while True:
        watch.see(t, steps.objective(t))
        if (t in checked or t % CHECK_EVERY == CHECK_EVERY - 1 or t >= last) and not _diverged(steps, members, alive, watch):
            return
        steps.backward()
        stopped = [k for k in alive if t in members[k].probe_steps and members[k].record(steps.probe(k, t))]
        for k in stopped:
            members[k].end("complete", t, "the stop clocks fired")
        _retire(steps, alive, stopped)
        if t >= last or not alive:
            for k in alive:
                members[k].end("complete", t, "all steps done")
            return
        steps.update(t)
        t += 1
        for k in alive:
            members[k].stepped(t)
        if guard.requested:
            if _diverged(steps, members, alive, watch):
                for k in alive:
                    members[k].end("interrupted", t, f"interrupted at step {t}")
            return


def _diverged(steps: Steps, members: list[MemberRun], alive: list[int], watch: Watch) -> bool:
    """End the members whose objective was not finite since the last check, each at the first
    step it was not; whether any member is still training."""
    ended = []
    for row, (step, value) in watch.first_nonfinite().items():
        k = alive[row]
        members[k].end("diverged", step, f"the training objective is {value} at step {step}")
        ended.append(k)
    _retire(steps, alive, ended)
    return bool(alive)


def _retire(steps: Steps, alive: list[int], ended: list[int]) -> None:
    if ended:
        steps.retire(ended)
        alive[:] = [k for k in alive if k not in ended]


class Watch:
    """The objectives since the last check, kept as the device tensors they are: nothing is
    copied to the host per step (a host sync would stall the device every step); a check
    reads them all at once and finds each member's first non-finite step."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: list[torch.Tensor] = []

    def see(self, t: int, values: torch.Tensor) -> None:
        self.steps.append(t)
        self.values.append(values)

    def first_nonfinite(self) -> dict[int, tuple[int, float]]:
        """{row: (step, value)} of the rows (members, in the step's order) that were not
        finite, at the first such step; then forget what was seen."""
        if not self.values:
            return {}
        seen, steps = torch.stack(self.values), self.steps
        self.steps, self.values = [], []
        bad = ~torch.isfinite(seen)
        if not bool(bad.any()):
            return {}
        first = bad.to(torch.int8).argmax(0).tolist()
        return {row: (steps[i], seen[i, row].item()) for row, i in enumerate(first) if bad[i, row]}


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


class InterruptGuard:
    """The first Ctrl-C asks the loop to stop at the next step boundary (and checkpoint
    there); a second one interrupts at once (as Ctrl-C normally does)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)
        print("\nstopping at the next step to save a checkpoint (Ctrl-C again to abort)", file=sys.stderr)

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def checkpoint_bytes(state: dict[str, Any]) -> bytes:
    """`state` and the random states a resume needs, serialised: the checkpoint format of the step."""
    state = {**state, "torch_rng": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()
