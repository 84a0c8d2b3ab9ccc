"""The stacked step's forward and losses, torch.compile'd (the plan's execution `compiled`).

One compiled program per stack size (`dynamic=False`: a stack of K members compiles its
own kernels, each member's slice computed from that member's values alone, so a member's
bits are the same in a compiled stack of any size; tests/runtime/test_compiled_step.py).
A whole graph or an error (`fullgraph=True`), and never a silent fall back to the eager
kernels (`fail_on_recompile_limit_hit`), which are another numerical program: the compiled
step is that program or the run fails, naming `train.compile`. torch caches what it
compiled on disk, so a second run of the same shapes compiles in a fraction of the time.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import torch
import torch._dynamo
from torch._dynamo.exc import TorchDynamoException
from torch._inductor.exc import InductorError

from clockspec.core.errors import RunError

RECOMPILE_LIMIT = 4096  # programs one step function may hold: a stack size and a Stacked each


class CompiledLosses:
    """`losses(params, x, y)` compiled, and how long compiling took (`seconds`, `cpu_seconds`:
    the first forward and backward at each new stack size, where torch compiles)."""

    def __init__(self, losses: Callable[..., torch.Tensor]):
        self.fn = torch.compile(losses, fullgraph=True, dynamic=False)
        self.sizes: set[int] = set()
        self.seconds = self.cpu_seconds = 0.0
        self._began: tuple[float, float] | None = None

    def __call__(self, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        size = next(iter(params.values())).shape[0]
        if size in self.sizes:
            return self.fn(params, x, y)
        self.sizes.add(size)
        self._began = (time.perf_counter(), time.process_time())
        with compiling():
            return self.fn(params, x, y)

    def backward(self, total: torch.Tensor) -> None:
        """`total.backward()`; the first one after a compile compiles the backward too."""
        if self._began is None:
            total.backward()
            return
        with compiling():
            total.backward()
        wall, cpu = self._began
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        self._began = None


@contextmanager
def compiling():
    """Compile with a limit no run reaches and no eager fall back; a failure as a RunError."""
    try:
        with torch._dynamo.config.patch(recompile_limit=RECOMPILE_LIMIT, fail_on_recompile_limit_hit=True):
            yield
    except (TorchDynamoException, InductorError) as exc:
        raise RunError(f"torch.compile could not compile the training step ({type(exc).__name__}: "
                       f"{_first_line(exc)})", "train.compile",
                       hint="on a CPU torch.compile needs a C++ compiler (g++ or clang); or set train.compile: "
                            "false (clockspec run SPEC --set train.compile=false)") from None


def _first_line(exc: Any) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no message"
