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

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clockspec.clocks import ClockResult, evaluate_clocks
from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.core.records import DamagedFile, read_record
from clockspec.core.run_names import run_dir_name
from clockspec.runtime.results import RunResult, clock_hashes, final_clocks, for_device, spec_text, write_clocks
from clockspec.store.lock import claim
from clockspec.store.rundir import (
    CHECKPOINT,
    CLOCKS,
    CLOCKS_FIELDS,
    FINISHED,
    FULL,
    PLAN,
    SPEC,
    STATUS,
    STATUS_FIELDS,
    RunDir,
)

DEFAULT_OUT = "runs"
CHECKPOINT_EVERY_S = 60.0  # besides Ctrl-C, so that a killed process loses at most a minute


def run(plan: Any, out: str | Path | None = None, device: str | None = None, force: bool = False,
        resume: bool = False, progress: bool | None = None, threads: int = 1, wait: bool = False,
        checkpoint_every: float = CHECKPOINT_EVERY_S) -> RunResult:
    """Run `plan` (from `clockspec.compile`) under `out` (default `runs/`).

    device: overrides the spec's device (`auto|cpu|cuda[:N]|mps`). force: retrain even if a
    finished run exists. resume: continue an unfinished run from its checkpoint.
    progress: show a progress bar (default: when stderr is a terminal). threads: torch's
    intra-op threads (see `device.numerics` for why this is pinned). wait: if another process
    is running this experiment, wait for it (and then, usually, reuse its result) instead of
    raising RunError. checkpoint_every: seconds between checkpoints while training.
    Raises SpecError for bad input, RunError when the environment fails (see docs/reliability.md).
    """
    plan = for_device(plan, device)
    spec = plan.spec
    rd = RunDir(Path(out if out is not None else DEFAULT_OUT) / run_dir_name(spec.name, plan.train_hash))
    with claim(rd.path, wait, on_wait=lambda who: print(f"waiting for {who}", file=sys.stderr)):
        try:
            rd.sweep()  # the directory itself is made by the first write: refused input leaves none
            previous = read_record(rd / STATUS, STATUS_FIELDS) if not force else None
            resume_from = None
            if previous and previous.get("train_hash") == plan.train_hash:
                if previous.get("status") in FINISHED and read_record(rd / CLOCKS, CLOCKS_FIELDS) is not None:
                    rd.remove(CHECKPOINT)  # left by a process killed between its last two writes
                    return _reuse(plan, rd, previous)
                if (rd / CHECKPOINT).exists():
                    if not resume:
                        raise RunError(f"this directory holds an unfinished run ({_unfinished(previous)})",
                                       str(rd.path), hint="pass --resume to continue it, or --force to start over",
                                       exit_status=2)
                    resume_from = rd / CHECKPOINT
            from clockspec.runtime.device import resolve_device, resolve_dtype
            from clockspec.runtime.session import train
            from clockspec.runtime.tasks import unchanged_data

            unchanged_data(plan)  # before anything is written: a changed data file leaves no half-made run

            where = resolve_device(spec.device, "--device" if device else "device")
            dtype = resolve_dtype(spec.train.dtype, where)
            return train(plan, rd, where, dtype, threads, progress, resume_from, checkpoint_every)
        except OSError as exc:
            raise failed_io(rd, exc) from exc


def _unfinished(status: Mapping[str, Any]) -> str:
    """What became of a run that did not finish; under the lock, 'running' means its process died."""
    step = status.get("step", 0)
    if status.get("status") == "running":
        return f"its process died at step {step:,} or later"
    return f"{status.get('status')} at step {step:,}"


def failed_io(rd: RunDir, exc: OSError) -> RunError:
    """A write failed (disk full, directory gone or read-only): record `failed`, say what to do."""
    full = exc.errno in FULL
    what = exc.strerror or type(exc).__name__
    where = str(exc.filename or rd.path)
    last = read_json(rd / STATUS)
    last = last if isinstance(last, dict) else {}
    recorded = bool(last) and rd.record_status(
        {**last, "status": "failed", "reason": f"cannot write {where}: {what}"})
    hint = ("free some space, then clockspec run --resume continues from the last checkpoint" if full
            else "choose a writable --out")
    if last and not recorded:
        hint += f" ({rd / STATUS} could not be updated and still says '{last.get('status')}')"
    return RunError(f"cannot write {where}: {what}", str(rd.path), hint=hint)


def _reuse(plan: Any, rd: RunDir, previous: Mapping[str, Any]) -> RunResult:
    spec = plan.spec
    recorded = read_record(rd / CLOCKS, CLOCKS_FIELDS)
    hashes = clock_hashes(plan)
    status, step = previous["status"], previous.get("step") or 0
    if recorded.get("clock_hashes") == hashes:
        clocks = {n: clock_record(rd / CLOCKS, n, d) for n, d in (recorded.get("clocks") or {}).items()}
        return RunResult(rd.path, status, step, clocks, "reused",
                         f"reused the finished run in {rd.path} (same train hash; clocks unchanged)")
    began = time.perf_counter()
    rows = rd.read_rows()
    clocks = final_clocks(spec, evaluate_clocks(spec.clocks, rows, spec.stop), status)
    elapsed = time.perf_counter() - began
    rd.write(SPEC, spec_text(spec))
    rd.write_json(PLAN, plan.to_json())
    write_clocks(plan, rd, rows, clocks, status, step)
    return RunResult(rd.path, status, step, clocks, "reevaluated",
                     f"only clocks changed: re-evaluated {len(clocks)} clocks from {len(rows)} recorded probes "
                     f"in {elapsed * 1e3:.1f} ms, no retraining", elapsed)


def clock_record(path: Path, name: str, data: Any) -> ClockResult:
    """A clock's record from clocks.json, or DamagedFile naming it."""
    if not isinstance(data, dict) or not (data.get("step") is None or type(data.get("step")) is int):
        raise DamagedFile(path, f"clocks.{name}", "a clock record with a whole-number step")
    try:
        return ClockResult.from_json(data)
    except KeyError as exc:
        raise DamagedFile(path, f"clocks.{name}.{exc.args[0]}", "a value") from None
