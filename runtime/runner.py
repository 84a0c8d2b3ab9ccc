"""`run(plan)`: train a compiled experiment into the store's object of its train hash, or
reuse what is there, and show it under the experiment's name (a view).

A finished object (complete or diverged) is never retrained, whatever name asks for it:
if a record of the plan's clock set exists it is shown as is, and if not, the clocks are
evaluated from `metrics.jsonl` by the same code that tracked them online into a new record
beside the run; the run's own files never change. An unfinished run (interrupted, or a
process that died) continues from its checkpoint with `resume=True`.

Reuse and re-evaluation never import torch (seconds on a busy machine); `session` does the
training and is imported only when there is training to do.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clockspec.clocks import ClockResult, evaluate_clocks
from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json, write_atomic
from clockspec.core.records import DamagedFile, read_record
from clockspec.core.run_names import run_dir_name
from clockspec.report.run_figure import plot_curves
from clockspec.runtime.results import RunResult, clock_hashes, clocks_doc, final_clocks, for_device, open_view, show
from clockspec.store.extend import base_for
from clockspec.store.extend import prepare as extend
from clockspec.store.lock import claim
from clockspec.store.migrate import adopt
from clockspec.store.objects import clock_key, object_dir, read_view, record_of
from clockspec.store.rundir import CHECKPOINT, CLOCKS, CLOCKS_FIELDS, FINISHED, FULL, STATUS, STATUS_FIELDS, RunDir

DEFAULT_OUT = "runs"
CHECKPOINT_EVERY_S = 60.0  # besides Ctrl-C, so that a killed process loses at most a minute


def run(plan: Any, out: str | Path | None = None, device: str | None = None, force: bool = False,
        resume: bool = False, progress: bool | None = None, threads: int = 1, wait: bool = False,
        checkpoint_every: float = CHECKPOINT_EVERY_S, view: str | Path | None = None) -> RunResult:
    """Run `plan` (from `clockspec.compile`) in the store `out` (default `runs/`).

    The training lives in the store's object of its train hash, trained once whatever the
    name; `view` is the name's folder (default `out/<name>-<hash12>/`), which is pointed at
    it (`clockspec.store.objects`). device: overrides the spec's device
    (`auto|cpu|cuda[:N]|mps`). force: retrain even if a finished run exists. resume:
    continue an unfinished run from its checkpoint. progress: show a progress bar (default:
    when stderr is a terminal). threads: torch's intra-op threads (see `device.numerics` for
    why this is pinned). wait: if another process is training this program, wait for it
    (and then, usually, reuse its result) instead of raising RunError. checkpoint_every:
    seconds between checkpoints while training.
    Raises SpecError for bad input, RunError when the environment fails (see docs/reliability.md).
    """
    plan = for_device(plan, device)
    spec = plan.spec
    store = Path(out if out is not None else DEFAULT_OUT)
    view = Path(view) if view is not None else store / run_dir_name(spec.name, plan.train_hash)
    rd = RunDir(object_dir(store, plan.train_hash))
    if (view / STATUS).is_file() and read_view(view) is None:
        adopt(view, store)  # a run directory of the previous layout: its run moves into the store
    with claim(rd.path, wait, on_wait=lambda who: print(f"waiting for {who}", file=sys.stderr)):
        try:
            rd.sweep()  # the directory itself is made by the first write: refused input leaves none
            previous = read_record(rd / STATUS, STATUS_FIELDS) if not force else None
            resume_from = None
            if previous and previous.get("train_hash") == plan.train_hash:
                if previous.get("status") in FINISHED and read_record(rd / CLOCKS, CLOCKS_FIELDS) is not None:
                    rd.remove(CHECKPOINT)  # left by a process killed between its last two writes
                    return _reuse(plan, rd, previous, view)
                if (rd / CHECKPOINT).exists():
                    if not resume:
                        raise RunError(f"this directory holds an unfinished run ({_unfinished(previous)})",
                                       str(view), hint="pass --resume to continue it, or --force to start over",
                                       exit_status=2)
                    resume_from = rd / CHECKPOINT
            from clockspec.runtime.device import resolve_device, resolve_dtype
            from clockspec.runtime.session import train
            from clockspec.runtime.tasks import unchanged_data

            unchanged_data(plan)  # before anything is written: a changed data file leaves no half-made run

            where = resolve_device(spec.device, "--device" if device else "device")  # bad input writes nothing
            dtype = resolve_dtype(spec.train.dtype, where)
            base = base_for(store, plan) if previous is None and not force else None
            if base is not None:  # the same program run shorter: continue it from its last step
                extend(rd, *base, plan.train_hash)
                resume_from = rd / CHECKPOINT
            open_view(view, plan)
            result = train(plan, rd, where, dtype, threads, progress, resume_from, checkpoint_every)
            if base is not None:
                result = dataclasses.replace(result, action="extended", note=(
                    f"extended the stored run {base[0].name[:12]} ({base[1]:,} steps): {result.note}"))
            return show(view, plan, rd.path, result)
        except OSError as exc:
            raise failed_io(rd, exc) from exc


def _unfinished(status: Mapping[str, Any]) -> str:
    """What became of a run that did not finish; under the lock, 'running' means its process died."""
    step = status.get("step", 0)
    if status.get("status") == "running":
        return f"its process died at step {step:,} or later"
    return f"{status.get('status')} at step {step:,}"


def failed_io(rd: RunDir, exc: OSError) -> RunError:
    """A write failed (disk full, directory gone or read-only): record `failed`, say what to do.
    A finished run's status is left as it is: the write that failed was a view's or a clock
    record's, and the stored run never changes."""
    full = exc.errno in FULL
    what = exc.strerror or type(exc).__name__
    where = str(exc.filename or rd.path)
    last = read_json(rd / STATUS)
    last = last if isinstance(last, dict) else {}
    if last.get("status") in FINISHED:
        return RunError(f"cannot write {where}: {what}", str(rd.path),
                        hint="free some space, then run it again" if full else "choose a writable --out")
    recorded = bool(last) and rd.record_status(
        {**last, "status": "failed", "reason": f"cannot write {where}: {what}"})
    hint = ("free some space, then clockspec run --resume continues from the last checkpoint" if full
            else "choose a writable --out")
    if last and not recorded:
        hint += f" ({rd / STATUS} could not be updated and still says '{last.get('status')}')"
    return RunError(f"cannot write {where}: {what}", str(rd.path), hint=hint)


def _reuse(plan: Any, rd: RunDir, previous: Mapping[str, Any], view: Path) -> RunResult:
    """The finished object shown under `view` with the plan's clocks: its own record, one
    evaluated before, or one evaluated now from its rows (a new record; the run's files stay
    as they are)."""
    spec = plan.spec
    status, step = previous["status"], previous.get("step") or 0
    record, figure = record_of(rd.path, clock_key(clock_hashes(plan)))
    recorded = read_record(record, CLOCKS_FIELDS)
    if recorded is not None:
        clocks = {n: clock_record(record, n, d) for n, d in (recorded.get("clocks") or {}).items()}
        return show(view, plan, rd.path, RunResult(
            rd.path, status, step, clocks, "reused",
            f"reused the finished run in {rd.path} (same train hash; clock set recorded)", view=view))
    began = time.perf_counter()
    rows = rd.read_rows()
    clocks = final_clocks(spec, evaluate_clocks(spec.clocks, rows, spec.stop), status)
    elapsed = time.perf_counter() - began
    write_atomic(figure, plot_curves(rows, spec, clocks, status))
    write_atomic(record, json.dumps(clocks_doc(plan, clocks, status, step), indent=2, allow_nan=False) + "\n")
    return show(view, plan, rd.path, RunResult(
        rd.path, status, step, clocks, "reevaluated",
        f"only clocks changed: re-evaluated {len(clocks)} clocks from {len(rows)} recorded probes "
        f"in {elapsed * 1e3:.1f} ms, no retraining (the stored run is unchanged)", elapsed, view=view))


def clock_record(path: Path, name: str, data: Any) -> ClockResult:
    """A clock's record from a clocks file, or DamagedFile naming it."""
    if not isinstance(data, dict) or not (data.get("step") is None or type(data.get("step")) is int):
        raise DamagedFile(path, f"clocks.{name}", "a clock record with a whole-number step")
    try:
        return ClockResult.from_json(data)
    except KeyError as exc:
        raise DamagedFile(path, f"clocks.{name}.{exc.args[0]}", "a value") from None
