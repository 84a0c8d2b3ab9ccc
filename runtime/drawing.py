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

from clockspec.report.run_figure import plot_curves

MAX_WORKERS = 4


def spare_cores(busy: int) -> int:
    """Cores of this process's machine beyond the `busy` ones training."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(0, cores - busy)


class FigurePool:
    """Draws members' figures in up to `workers` spawned processes, in the order asked."""

    def __init__(self, workers: int):
        self.workers = max(1, min(MAX_WORKERS, workers))
        self.pool: ProcessPoolExecutor | None = None
        self.pending: list[tuple[Future, Callable[[bytes], None]]] = []

    def draw(self, rows: Sequence[Mapping[str, Any]], spec: Any, clocks: Mapping[str, Any], status: str,
             then: Callable[[bytes], None]) -> None:
        """Draw this figure; `then(png)` is called with it by `close`."""
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        self.pending.append((self.pool.submit(plot_curves, list(rows), spec, dict(clocks), status), then))

    def close(self) -> None:
        """Wait for every figure and hand each to its `then`, in the order they were asked."""
        try:
            for future, then in self.pending:
                then(future.result())
        finally:
            self.pending = []
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
