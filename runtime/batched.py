"""Train members of a family together, over a leading member axis, in one process.

Members that `clockspec.compiler.batching` groups share every shape; they differ in the seed,
split seed, init scale, learning rate and regularizer strengths. Their step is
`stacked.Stacked`, the very step a run alone takes (a stack of one), so a member trained in
a batch writes the same metrics.jsonl, bit for bit, as the same spec trained alone on the
same device: one train hash, one trajectory. The loop and each member's path (probe, rows,
clocks, snapshots, status, figure in its own run directory) are the training core's
(`loop.train_members`, `member.MemberRun`). A member that diverges or whose stop clocks
fire is finished at that step and leaves the stack while the others go on. Each member keeps
the checkpoint a run alone would (`Stacked.snapshot` of its row): now and then, when
interrupted, and at its last step for a longer run to extend; an interrupted member resumes
alone (the same trajectory). Each member trains into its store object and is shown under its
view, as a run alone is (`runner`).
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
from clockspec.runtime.results import RunResult, for_device, open_view, show
from clockspec.runtime.runner import CHECKPOINT_EVERY_S, DEFAULT_OUT, failed_io, run
from clockspec.runtime.stacked import Stacked
from clockspec.store.lock import claim
from clockspec.store.objects import object_dir
from clockspec.store.rundir import FINISHED, STATUS, RunDir


def batchable(plans: Sequence[Any]) -> str | None:
    """Why these plans cannot train as one batch, or None."""
    keys = {batch_key(p.spec) for p in plans}
    if len(keys) > 1:
        return "the members differ in more than seed, split seed, init scale, lr and regularizer strengths"
    return None


def run_batch(plans: Sequence[Any], out: str | Path | None = None, device: str | None = None,
              threads: int = 1, figure_workers: int = 0, views: Sequence[Path] | None = None,
              checkpoint_every: float = CHECKPOINT_EVERY_S) -> list[RunResult]:
    """Train the members' plans together into the store `out`'s objects, each shown under its
    view (default `out/<name>-<hash12>/`); one RunResult per plan, in order. A member whose
    object another process finished meanwhile is reused, not trained again.
    figure_workers: processes that draw the members' figures while the stack trains on
    (`drawing.FigurePool`; 0: each is drawn as its member ends). checkpoint_every: seconds
    between the members' checkpoints."""
    plans = [for_device(p, device) for p in plans]
    reason = batchable(plans)
    if reason:
        raise SpecError([Diagnostic(f"cannot batch {len(plans)} members: {reason}", "<batch>")])
    spec0 = plans[0].spec
    where = resolve_device(device or spec0.device, "--device" if device else "device")
    dtype = resolve_dtype(spec0.train.dtype, where)
    root = Path(out if out is not None else DEFAULT_OUT)
    views = list(views) if views is not None else [root / run_dir_name(p.spec.name, p.train_hash) for p in plans]
    dirs = [RunDir(object_dir(root, p.train_hash)) for p in plans]
    with ExitStack() as locks:
        for rd in dirs:
            locks.enter_context(claim(rd.path))
        try:
            for rd in dirs:
                rd.sweep()
            done = [(read_json(rd / STATUS) or {}).get("status") in FINISHED for rd in dirs]
            todo = [i for i, d in enumerate(done) if not d]
            trained = {}
            if todo:
                for i in todo:
                    open_view(views[i], plans[i])
                with numerics(where, threads):
                    results = _train([plans[i] for i in todo], [dirs[i] for i in todo], where, dtype, threads,
                                     figure_workers, checkpoint_every)
                trained = dict(zip(todo, results))
        except OSError as exc:
            raise _failed_write(dirs, exc) from exc
    return [show(views[i], p, dirs[i].path, trained[i]) if i in trained else run(p, out=root, view=views[i])
            for i, p in enumerate(plans)]


def _train(plans: Sequence[Any], dirs: list[RunDir], where: torch.device, dtype: torch.dtype,
           threads: int, figure_workers: int, checkpoint_every: float) -> list[RunResult]:
    began = time.perf_counter()
    stacked = Stacked(plans, where, dtype)
    figures = FigurePool(figure_workers) if figure_workers > 0 else None
    members = [MemberRun(plan, rd, run_info(plan, where, threads, torch.__version__, len(plans)), began,
                         batch=len(plans), figures=figures) for plan, rd in zip(plans, dirs)]
    for k, m in enumerate(members):
        m.open()
        m.begin(0, snapshot=lambda step, k=k: stacked.snapshot(step, k), checkpoint_every=checkpoint_every,
                weights=lambda k=k: stacked.weights(k), compile_seconds=stacked.compile_seconds)
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


def step_samples(plan: Any, sizes: Sequence[int], device: str | None = None, threads: int = 1,
                 rounds: int = 3, block_s: float = 0.03, min_steps: int = 3) -> dict[int, list[float]]:
    """Seconds per training step of a stack of each size of copies of `plan`, writing
    nothing: the executor's calibration. The sizes are timed in turn, `rounds` blocks each of
    about `block_s` (at least `min_steps` steps), so a change of load weighs on every size alike;
    one sample per block. The eager step is timed (calibrating never compiles): the ratio is
    what counts."""
    plan = for_device(plan, device)
    where = resolve_device(device or plan.spec.device, "--device" if device else "device")
    dtype = resolve_dtype(plan.spec.train.dtype, where)
    out: dict[int, list[float]] = {size: [] for size in sizes}
    with numerics(where, threads):
        stacks = {size: Stacked([plan] * size, where, dtype, compiled=False) for size in sizes}
        steps = {}
        for size, stacked in stacks.items():  # two warm-up steps; the second sizes the blocks
            _step(stacked, 0)
            began = time.perf_counter()
            _step(stacked, 1)
            _wait(where)
            steps[size] = max(min_steps, round(block_s / max(time.perf_counter() - began, 1e-9)))
        t = 2
        for _ in range(rounds):
            for size, stacked in stacks.items():
                began = time.perf_counter()
                for k in range(steps[size]):
                    _step(stacked, t + k)
                _wait(where)
                out[size].append((time.perf_counter() - began) / steps[size])
            t += max(steps.values())
    return out


def _wait(where: torch.device) -> None:
    """Until the device has done the steps queued (a CPU has done them already)."""
    if where.type == "cuda":
        torch.cuda.synchronize(where)
    elif where.type == "mps":
        torch.mps.synchronize()


def _step(stacked: Stacked, t: int) -> None:
    stacked.objective(t)
    stacked.backward()
    stacked.update(t)
