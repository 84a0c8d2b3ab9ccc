"""`run(plan)`: train a compiled experiment into its run directory, or reuse what is there.

A run directory is keyed by the plan's train hash. A finished run (complete or diverged)
with the same train hash is never retrained: if its clocks are the plan's clocks it is
reused as is, and if only clock nodes changed, the clocks are re-evaluated from
`metrics.jsonl` by the same code that tracked them online. An unfinished run (interrupted,
or a process that died) continues from its checkpoint with `resume=True`.

Reuse and re-evaluation never import torch (seconds on a busy machine); `session` does the
training and is imported only when there is training to do.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping

import filelock

from clockspec.clocks import ClockResult, evaluate_clocks
from clockspec.errors import Diagnostic, SpecError

from .plot import plot_curves
from .results import FINISHED, RunResult, clock_hashes, clocks_doc, final_clocks, spec_text
from .rundir import CHECKPOINT, CLOCKS, CURVES, PLAN, SPEC, STATUS, RunDir

DEFAULT_OUT = "runs"


def run(plan: Any, out: str | Path | None = None, device: str | None = None, force: bool = False,
        resume: bool = False, progress: bool | None = None, threads: int = 1) -> RunResult:
    """Run `plan` (from `clockspec.compile`) under `out` (default `runs/`).

    device: overrides the spec's device (`auto|cpu|cuda[:N]|mps`). force: retrain even if a
    finished run exists. resume: continue an unfinished run from its checkpoint.
    progress: show a progress bar (default: when stderr is a terminal). threads: torch's
    intra-op threads (see `device.numerics` for why this is pinned).
    """
    spec = plan.spec
    rd = RunDir(Path(out if out is not None else DEFAULT_OUT) / f"{spec.name}-{plan.train_hash[:12]}")
    try:
        with rd.lock().acquire(timeout=0):
            previous = rd.read_json(STATUS) if not force else None
            resume_from = None
            if previous and previous.get("train_hash") == plan.train_hash:
                if previous["status"] in FINISHED and rd.read_json(CLOCKS) is not None:
                    return _reuse(plan, rd, previous)
                if (rd / CHECKPOINT).exists():
                    if not resume:
                        raise SpecError([Diagnostic(
                            f"{rd.path} holds an unfinished run ({previous['status']} at step {previous['step']})",
                            str(rd.path), hint="pass --resume to continue it, or --force to start over")])
                    resume_from = rd / CHECKPOINT
            from .device import resolve_device, resolve_dtype
            from .session import train

            where = resolve_device(device or spec.device, "--device" if device else "device")
            dtype = resolve_dtype(spec.train.dtype, where)
            return train(plan, rd, where, dtype, threads, progress, resume_from)
    except filelock.Timeout:
        raise SpecError([Diagnostic("another clockspec process is running this experiment", str(rd.path))]) from None


def _reuse(plan: Any, rd: RunDir, previous: Mapping[str, Any]) -> RunResult:
    spec = plan.spec
    recorded = rd.read_json(CLOCKS)
    hashes = clock_hashes(plan)
    status, step = previous["status"], int(previous["step"])
    if recorded.get("clock_hashes") == hashes:
        clocks = {n: ClockResult.from_json(d) for n, d in recorded["clocks"].items()}
        return RunResult(rd.path, status, step, clocks, "reused",
                         f"reused the finished run in {rd.path} (same train hash; clocks unchanged)")
    began = time.perf_counter()
    rows = rd.read_rows()
    clocks = final_clocks(spec, evaluate_clocks(spec.clocks, rows, spec.stop), status)
    elapsed = time.perf_counter() - began
    rd.write(SPEC, spec_text(spec))
    rd.write_json(PLAN, plan.to_json())
    rd.write_json(CLOCKS, clocks_doc(plan, clocks, status, step))
    rd.write(CURVES, plot_curves(rows, spec, clocks, status))
    return RunResult(rd.path, status, step, clocks, "reevaluated",
                     f"only clocks changed: re-evaluated {len(clocks)} clocks from {len(rows)} recorded probes "
                     f"in {elapsed * 1e3:.1f} ms, no retraining", elapsed)
