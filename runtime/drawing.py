"""Per-member figures drawn off the training path.

A member of a stack that ends while the others train would stall them while its
curves.png is drawn (about half a second of matplotlib: for a small model, more than its
training). Where cores are spare, `FigurePool` draws the figures in worker processes while
the stack trains on. Each member's final status is written only once its figure is, so a
run directory never says `complete` without its figure; a process that dies first leaves
the member `running`, which the next run of its family trains again.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from clockspec.report.figures import new_figure
from clockspec.report.run_figure import plot_curves

MAX_WORKERS = 4


def spare_cores(busy: int) -> int:
    """Cores of this process's machine beyond the `busy` ones training."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(0, cores - busy)


class FigurePool:
    """Draws members' figures in up to `workers` spawned processes, in the order asked. The
    workers start, and load matplotlib, as the pool is made, while the stack trains."""

    def __init__(self, workers: int):
        self.workers = max(1, min(MAX_WORKERS, workers))
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.workers):
            self.pool.submit(warm_up)
        self.pending: list[tuple[Future, tuple, Callable[[bytes], None]]] = []

    def draw(self, rows: Sequence[Mapping[str, Any]], spec: Any, clocks: Mapping[str, Any], status: str,
             then: Callable[[bytes], None]) -> None:
        """Draw this figure; `then(png)` is called with it by `close`."""
        args = (list(rows), spec, dict(clocks), status)
        self.pending.append((self.pool.submit(plot_curves, *args), args, then))

    def close(self) -> None:
        """Wait for every figure and hand each to its `then`, in the order they were asked.
        Training is over, so this process first draws the figures no worker has started
        (a batch whose members end together leaves them all for now), beside the workers."""
        try:
            here = {i: plot_curves(*args) for i, (future, args, _) in enumerate(self.pending) if future.cancel()}
            for i, (future, _, then) in enumerate(self.pending):
                then(here[i] if i in here else future.result())
        finally:
            self.pending = []
            self.pool.shutdown(cancel_futures=True)


def warm_up() -> None:
    """Load what drawing needs (matplotlib and its Agg canvas) in a worker before its first figure."""
    new_figure(1, 1, dpi=10).canvas.draw()
