"""What an executor's worker runs: members given as spec JSON, results as plain dicts.

Plain data in and out, so a local process pool and Ray move them the same way; torch is
imported here only when a job runs, never when the family is expanded.
"""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any


def init(threads: int) -> None:
    """A pool worker: pin thread pools before torch loads; an idle worker ignores Ctrl-C
    (a training one gets the runtime's handler, which stops at a step and checkpoints)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def payload(spec: Any) -> str:
    """A member as a worker receives it: its IR, and the folder its data files are read from
    (`task.origin()`, which no JSON of the spec holds)."""
    origin = spec.task.origin()
    return json.dumps({"spec": spec.model_dump(mode="json"), "origin": None if origin is None else str(origin)})


def received(text: str) -> Any:
    """The experiment `payload` sent, anchored where its data files are."""
    from clockspec.ir.spec import Experiment

    data = json.loads(text)
    spec = Experiment.model_validate(data["spec"])
    if data["origin"] is not None:
        spec.task.anchor(Path(data["origin"]))
    return spec


def run_members(specs: list[str], out: str, threads: int, device: str | None = None,
                batched: bool = False, force: bool = False, checkpoint_every: float = 60.0,
                figure_workers: int = 0) -> list[dict[str, Any]]:
    """Train (or reuse, re-evaluate, resume) each member (`payload`s) of the family folder
    `out`, whose store is the folder above it; batched ones together, their figures drawn by
    `figure_workers` processes of their own (0: in line). A member another process is
    training is waited for, then reused."""
    from clockspec.compiler.plan import compile as compile_plan
    from clockspec.core.run_names import run_dir_name

    plans = [compile_plan(received(text)) for text in specs]
    store = Path(out).parent
    views = [Path(out) / run_dir_name(p.spec.name, p.train_hash) for p in plans]
    if batched and len(plans) > 1:
        from clockspec.runtime.batched import run_batch

        results = run_batch(plans, out=store, device=device, threads=threads, figure_workers=figure_workers,
                            views=views, checkpoint_every=checkpoint_every)
    else:
        from clockspec.runtime import run

        results = [run(p, out=store, device=device, force=force, resume=True, progress=False, threads=threads,
                       checkpoint_every=checkpoint_every, view=view, wait=True)
                   for p, view in zip(plans, views)]
    return [as_dict(p, r) for p, r in zip(plans, results)]


def as_dict(plan: Any, result: Any) -> dict[str, Any]:
    """A member's RunResult as plain data."""
    return {"name": plan.spec.name, "status": result.status, "step": result.step, "action": result.action,
            "note": result.note, "elapsed_s": result.elapsed_s,
            "clocks": {n: c.to_json() for n, c in result.clocks.items()}}


def calibrate(spec: str, sizes: list[int], threads: int, device: str | None = None) -> dict[str, Any]:
    """A calibration of one member (a `payload`) in this worker: `step_s`, seconds per step
    of a stack of each size of its copies, a few interleaved samples each, and `seconds`,
    what the calibration took here (see `clockspec.orchestrate.cost`)."""
    import time

    from clockspec.compiler.plan import compile as compile_plan
    from clockspec.orchestrate import cost
    from clockspec.runtime.batched import step_samples

    began = time.perf_counter()
    samples = step_samples(compile_plan(received(spec)), sizes, device, threads, rounds=cost.CALIBRATION_ROUNDS,
                           block_s=cost.CALIBRATION_BLOCK_S, min_steps=cost.CALIBRATION_MIN_STEPS)
    return {"step_s": samples, "seconds": time.perf_counter() - began}


def reads_token(path: str, token: str) -> bool:
    """A Ray node's probe: whether this worker reads the token the driver wrote at `path`."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == token
    except OSError:
        return False
