"""One training session: build, train, probe, track clocks, checkpoint, write the outputs.

The torch half of `run` (see `runner`), imported only when there is something to train.
"""
from __future__ import annotations

import io
import os
import pickle
import platform
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch

from clockspec.clocks import ClockTracker
from clockspec.core.errors import RunError
from clockspec.core.fileio import read_json
from clockspec.core.version import __version__
from clockspec.report.run_figure import plot_curves
from clockspec.runtime.device import numerics
from clockspec.runtime.loop import Outcome, Trainer
from clockspec.runtime.progress import Progress, wanted
from clockspec.runtime.results import RunResult, clocks_doc, final_clocks, spec_text
from clockspec.store.rundir import CHECKPOINT, CLOCKS, CURVES, FINISHED, METRICS, PLAN, SPEC, STATUS, RunDir, row_line


def train(plan: Any, rd: RunDir, where: torch.device, dtype: torch.dtype, threads: int,
          progress: bool | None, resume_from: Path | None, checkpoint_every: float) -> RunResult:
    """Train from scratch, or from the checkpoint `resume_from`, and write every output."""
    spec = plan.spec
    previous = read_json(rd / STATUS) or {}
    if resume_from is None:
        rd.clear()
    rd.write(SPEC, spec_text(spec))
    rd.write_json(PLAN, plan.to_json())
    began = time.perf_counter()
    info = {"train_hash": plan.train_hash, "steps": spec.train.steps, "device": str(where),
            "dtype": spec.train.dtype, "threads": threads, "torch": torch.__version__,
            "clockspec": __version__, "python": platform.python_version()}
    start = int(previous.get("step", 0)) if resume_from is not None else 0
    rd.write_json(STATUS, {"status": "running", "step": start, "reason": "", **info})
    try:
        with numerics(where, threads):
            trainer = Trainer(spec, list(plan.metrics), where, dtype)
            tracker = ClockTracker(spec.clocks, spec.stop)
            if resume_from is not None:
                start = _resume(trainer, resume_from, where, rd)
                rows = rd.read_rows(before=start)
                rd.reset_rows(rows)
                for row in rows:
                    tracker.update(row)
                rd.write_json(STATUS, {"status": "running", "step": start, "reason": "", **info})
            else:
                rd.reset_rows()
            looped, cpu = time.perf_counter(), time.process_time()
            outcome = _loop(plan, rd, trainer, tracker, start, progress, checkpoint_every)
            looped, cpu = time.perf_counter() - looped, time.process_time() - cpu
    except (MemoryError, torch.OutOfMemoryError) as exc:
        last = read_json(rd / STATUS) or {}
        rd.record_status({**last, "status": "failed", "reason": f"out of memory ({type(exc).__name__}: {exc})"[:500]})
        raise RunError(f"out of memory on {where} at step {last.get('step', start):,}", str(rd.path),
                       hint="a smaller model, batch or probe set, or another --device") from exc
    wall = time.perf_counter() - began + (previous.get("wall_s", 0.0) if resume_from else 0.0)
    clocks = final_clocks(spec, tracker.results(), outcome.status)
    rd.write_json(CLOCKS, clocks_doc(plan, clocks, outcome.status, outcome.step))
    rd.write(CURVES, plot_curves(tracker.rows, spec, clocks, outcome.status))
    rate = (outcome.step - start) / max(looped, 1e-9)
    rd.write_json(STATUS, {"status": outcome.status, "step": outcome.step, "reason": outcome.reason,
                           "wall_s": round(wall, 3), "steps_per_s": round(rate, 2),
                           "loop_cpu_s": round(cpu, 3), **info})
    if outcome.status in FINISHED:
        rd.remove(CHECKPOINT)
    action = "resumed" if resume_from is not None else "trained"
    note = (f"{action} steps {start}..{outcome.step} in {looped:.1f} s ({rate:.0f} steps/s; "
            f"{time.perf_counter() - began:.1f} s in all): {outcome.reason}")
    return RunResult(rd.path, outcome.status, outcome.step, clocks, action, note, time.perf_counter() - began)


def _resume(trainer: Trainer, path: Path, where: torch.device, rd: RunDir) -> int:
    """Load the checkpoint into `trainer`; the step it was taken at."""
    try:
        return trainer.load_state_dict(torch.load(path, map_location=where, weights_only=True))
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError, KeyError, TypeError) as exc:
        raise RunError(f"cannot read the checkpoint {path} ({type(exc).__name__}): it was written by another "
                       "torch or clockspec, or damaged", str(rd.path),
                       hint="clockspec run --force starts this experiment over") from None


def _loop(plan: Any, rd: RunDir, trainer: Trainer, tracker: ClockTracker, start: int, progress: bool | None,
          checkpoint_every: float) -> Outcome:
    spec = plan.spec
    bar = Progress(wanted(progress), spec.name, spec.train.steps, start)
    sink = rd.append_rows()
    saved_at = time.monotonic()

    def save(step: int) -> None:
        os.fsync(sink.fileno())  # the rows before `step` are on disk before the checkpoint is
        buf = io.BytesIO()
        torch.save(trainer.state_dict(step), buf)
        rd.write(CHECKPOINT, buf.getvalue())
        rd.write_json(STATUS, {**(read_json(rd / STATUS) or {}), "step": step})  # how far, for whoever asks

    def on_probe(row: dict[str, Any]) -> bool:
        try:
            sink.write(row_line(row))
            sink.flush()
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(rd / METRICS)) from exc
        fired = tracker.update(row)
        bar.probe(row, [(name, spec.clocks[name], tracker.fired_step(name)) for name in fired])
        return tracker.should_stop

    def on_step(step: int) -> bool:
        nonlocal saved_at
        if not step & 31:
            bar.tick(step)
            if time.monotonic() - saved_at > checkpoint_every:
                save(step)
                saved_at = time.monotonic()
        return guard.requested

    guard = InterruptGuard(bar)
    try:
        with guard:
            outcome = trainer.run(start, set(plan.probe_steps()), on_probe, on_step)
        if outcome.status == "interrupted":
            save(outcome.step)
        return outcome
    except OSError:
        raise  # a write failed: the runner records it (see runner.failed_io)
    except BaseException as exc:  # a hard interrupt or a crash: record it, keep the last checkpoint
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        last = read_json(rd / STATUS) or {}
        rd.record_status({**last, "status": status, "reason": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    finally:
        bar.close()
        sink.close()


class InterruptGuard:
    """The first Ctrl-C asks the loop to stop at the next step boundary and checkpoint there;
    a second one interrupts at once (as Ctrl-C normally does)."""

    def __init__(self, bar: Progress):
        self.bar = bar
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)
        print("\nstopping at the next step to save a checkpoint (Ctrl-C again to abort)", file=sys.stderr)

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
