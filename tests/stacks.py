"""The one training step, taken by hand in tests: a stack of members built from specs."""
import torch

import clockspec
from clockspec.runtime.stacked import Stacked


def stack_of(*specs, dtype=torch.float64) -> Stacked:
    """The eager stacked step of these specs' members (one spec: a run alone)."""
    return Stacked([clockspec.compile(s) for s in specs], torch.device("cpu"), dtype, compiled=False)


def step(stack: Stacked, t: int = 0) -> None:
    """Step t: the objective at the current parameters, its gradient, the update."""
    stack.objective(t)
    stack.backward()
    stack.update(t)


def member(stack: Stacked, row: int = 0) -> dict[str, torch.Tensor]:
    """The parameters of the member in `row`, by the network's names (detached views)."""
    return {name: p.detach()[row] for name, p in stack.params.items()}
