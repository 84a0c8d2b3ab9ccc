"""Train members of a family together, over a leading member axis, in one process.

Members that `clockspec.compiler.batching` groups share every shape; they differ in the seed,
split seed, init scale, learning rate and regularizer strengths. Their step is
`stacked.Stacked`, the very step a run alone takes (a stack of one), so a member trained in
a batch writes the same metrics.jsonl, bit for bit, as the same spec trained alone on the
same device: one train hash, one trajectory. The loop and each member's path (probe, rows,
clocks, snapshots, status, figure in its own run directory) are the training core's
(`loop.train_members`, `member.MemberRun`). A member that diverges or whose stop clocks
fire is finished at that step and leaves the stack while the others go on. A batched run
keeps no checkpoint: an interrupted member starts over when its family is run again.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import torch

from clockspec.compiler.batching import batch_key
from clockspec.core.errors import Diagnostic, RunError, SpecError
from clockspec.core.fileio import read_json
from clockspec.core.run_names import run_dir_name
from clockspec.runtime.device import numerics, resolve_device, resolve_dtype
from clockspec.runtime.drawing import FigurePool
from clockspec.runtime.loop import train_members
from clockspec.runtime.member import MemberRun, run_info
from clockspec.runtime.results import RunResult, for_device
from clockspec.runtime.runner import DEFAULT_OUT, failed_io
from clockspec.runtime.stacked import Stacked
from clockspec.store.lock import claim
from clockspec.store.rundir import STATUS, RunDir


def batchable(plans: Sequence[Any]) -> str | None:
    """Why these plans cannot train as one batch, or None."""
    keys = {batch_key(p.spec) for p in plans}
    if len(keys) > 1:
        return "the members differ in more than seed, split seed, init scale, lr and regularizer strengths"
    return None


def run_batch(plans: Sequence[Any], out: str | Path | None = None, device: str | None = None,
              threads: int = 1, figure_workers: int = 0) -> list[RunResult]:
    """Train the members' plans together; one RunResult per plan, in order.
    figure_workers: processes that draw the members' figures while the stack trains on
    (`drawing.FigurePool`; 0: each is drawn as its member ends)."""
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
                return _train(plans, dirs, where, dtype, threads, figure_workers)
        except OSError as exc:
            raise _failed_write(dirs, exc) from exc


def _train(plans: Sequence[Any], dirs: list[RunDir], where: torch.device, dtype: torch.dtype,
           threads: int, figure_workers: int) -> list[RunResult]:
    began = time.perf_counter()
    stacked = Stacked(plans, where, dtype)
    figures = FigurePool(figure_workers) if figure_workers > 0 else None
    members = [MemberRun(plan, rd, run_info(plan, where, threads, torch.__version__, len(plans)), began,
                         batch=len(plans), figures=figures) for plan, rd in zip(plans, dirs)]
    for k, m in enumerate(members):
        m.open()
        m.begin(0, compile_seconds=stacked.compile_seconds, weights=lambda k=k: stacked.weights(k))
    try:
        train_members(stacked, members, 0, plans[0].spec.train.steps)
    finally:
        if figures is not None:
            figures.close()
    return [m.result for m in members]


def _failed_write(dirs: list[RunDir], exc: OSError) -> RunError:
    """A write failed: every member still running has failed with it; the error names the
    member whose file it was (else the first)."""
    hit = [rd for rd in dirs if str(exc.filename or "").startswith(str(rd.path))] or dirs[:1]
    for rd in dirs:
        if rd is not hit[0] and (read_json(rd / STATUS) or {}).get("status") == "running":
            failed_io(rd, exc)
    return failed_io(hit[0], exc)


def step_seconds(plan: Any, sizes: Sequence[int], device: str | None = None, threads: int = 1,
                 budget_s: float = 0.25) -> dict[int, float]:
    """Seconds per training step of a stack of each size of copies of `plan`, measured over
    a few steps after two of warm-up, writing nothing: the executor's calibration."""
    plan = for_device(plan, device)
    where = resolve_device(device or plan.spec.device, "--device" if device else "device")
    dtype = resolve_dtype(plan.spec.train.dtype, where)
    out: dict[int, float] = {}
    with numerics(where, threads):
        for size in sizes:
            stacked = Stacked([plan] * size, where, dtype, compiled=False)  # the eager step's time, for the ratio
            for t in range(2):
                _step(stacked, t)
            began, t = time.perf_counter(), 2
            while t < 5 or (time.perf_counter() - began < budget_s and t < 50):
                _step(stacked, t)
                t += 1
            stacked.objective(t).sum().item()  # waits for the device
            out[size] = (time.perf_counter() - began) / (t - 2)
    return out


def _step(stacked: Stacked, t: int) -> None:
    stacked.objective(t)
    stacked.backward()
    stacked.update(t)
