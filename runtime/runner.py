"""`run(plan)`: train a compiled experiment into its run directory, or reuse what is there.

A run directory is keyed by the plan's train hash. A finished run (complete or diverged)
with the same train hash is never retrained: if its clocks are the plan's clocks it is
reused as is, and if only clock nodes changed, the clocks are re-evaluated from
`metrics.jsonl` by the same code that tracked them online. An unfinished run (interrupted,
or a process that died) continues from its checkpoint with `resume=True`.
"""
from __future__ import annotations

import io
import platform
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import filelock
import torch

import clockspec
from clockspec.clocks import ClockResult, ClockTracker, evaluate_clocks
from clockspec.errors import Diagnostic, SpecError
from clockspec.kinds.clocks import SettleClock

from .device import numerics, resolve_device, resolve_dtype
from .loop import Outcome, Trainer
from .plot import plot_curves
from .progress import Progress, wanted
from .rundir import CHECKPOINT, CLOCKS, CURVES, METRICS, PLAN, SPEC, STATUS, RunDir, row_line

DEFAULT_OUT = "runs"
FINISHED = ("complete", "diverged")
CHECKPOINT_EVERY_S = 60.0  # besides Ctrl-C, so that a killed process loses at most a minute
PROBE_OPTIONS = {"pattern_flips": "flip_band", "fourier_sparsity": "fourier_top_k", "schatten": "schatten_q"}


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    status: str  # complete | diverged | interrupted
    step: int
    clocks: dict[str, ClockResult]
    action: str  # trained | resumed | reused | reevaluated
    note: str = ""  # one sentence on what happened, for people
    elapsed_s: float = field(default=0.0, compare=False)


def run(plan: Any, out: str | Path | None = None, device: str | None = None, force: bool = False,
        resume: bool = False, progress: bool | None = None, threads: int = 1) -> RunResult:
    """Run `plan` (from `clockspec.compile`) under `out` (default `runs/`).

    device: overrides the spec's device (`auto|cpu|cuda[:N]|mps`). force: retrain even if a
    finished run exists. resume: continue an unfinished run from its checkpoint.
    progress: show a progress bar (default: when stderr is a terminal). threads: torch's
    intra-op threads (see `device.numerics` for why this is pinned).
    """
    spec = plan.spec
    where = resolve_device(device or spec.device, "--device" if device else "device")
    dtype = resolve_dtype(spec.train.dtype, where)
    rd = RunDir(Path(out if out is not None else DEFAULT_OUT) / f"{spec.name}-{plan.train_hash[:12]}")
    try:
        with rd.lock().acquire(timeout=0):
            previous = rd.read_json(STATUS) if not force else None
            if previous and previous.get("train_hash") == plan.train_hash:
                if previous["status"] in FINISHED and rd.read_json(CLOCKS) is not None:
                    return _reuse(plan, rd, previous)
                if (rd / CHECKPOINT).exists():
                    if not resume:
                        raise SpecError([Diagnostic(
                            f"{rd.path} holds an unfinished run ({previous['status']} at step {previous['step']})",
                            str(rd.path), hint="pass --resume to continue it, or --force to start over")])
                    return _train(plan, rd, where, dtype, threads, progress, resume_from=rd / CHECKPOINT)
            return _train(plan, rd, where, dtype, threads, progress)
    except filelock.Timeout:
        raise SpecError([Diagnostic("another clockspec process is running this experiment", str(rd.path))]) from None


def final_clocks(spec: Any, results: Mapping[str, ClockResult], status: str) -> dict[str, ClockResult]:
    """A run that did not complete has no final values: its settle clocks, and the clocks
    that run after them, are censored; `first` clocks that fired before the end keep their step."""
    if status == "complete":
        return dict(results)

    def needs_final(name: str, seen: tuple[str, ...] = ()) -> bool:
        clock = spec.clocks[name]
        if isinstance(clock, SettleClock):
            return True
        return clock.after is not None and clock.after not in seen and needs_final(clock.after, seen + (name,))

    return {name: ClockResult(None, False, r.value, r.metric) if needs_final(name) else r
            for name, r in results.items()}


def _reuse(plan: Any, rd: RunDir, previous: Mapping[str, Any]) -> RunResult:
    spec = plan.spec
    recorded = rd.read_json(CLOCKS)
    hashes = _clock_hashes(plan)
    status, step = previous["status"], int(previous["step"])
    if recorded.get("clock_hashes") == hashes:
        clocks = {n: ClockResult.from_json(d) for n, d in recorded["clocks"].items()}
        return RunResult(rd.path, status, step, clocks, "reused",
                         f"reused the finished run in {rd.path} (same train hash; clocks unchanged)")
    began = time.perf_counter()
    rows = rd.read_rows()
    clocks = final_clocks(spec, evaluate_clocks(spec.clocks, rows, spec.stop), status)
    elapsed = time.perf_counter() - began
    rd.write(SPEC, _spec_text(spec))
    rd.write_json(PLAN, plan.to_json())
    rd.write_json(CLOCKS, _clocks_doc(plan, clocks, status, step))
    rd.write(CURVES, plot_curves(rows, spec, clocks, status))
    return RunResult(rd.path, status, step, clocks, "reevaluated",
                     f"only clocks changed: re-evaluated {len(clocks)} clocks from {len(rows)} recorded probes "
                     f"in {elapsed * 1e3:.1f} ms, no retraining", elapsed)


def _train(plan: Any, rd: RunDir, where: torch.device, dtype: torch.dtype, threads: int,
           progress: bool | None, resume_from: Path | None = None) -> RunResult:
    spec = plan.spec
    previous = rd.read_json(STATUS) or {}
    if resume_from is None:
        rd.remove(SPEC, PLAN, METRICS, CLOCKS, STATUS, CURVES, CHECKPOINT)
    rd.write(SPEC, _spec_text(spec))
    rd.write_json(PLAN, plan.to_json())
    began = time.perf_counter()
    info = {"train_hash": plan.train_hash, "steps": spec.train.steps, "device": str(where),
            "dtype": spec.train.dtype, "threads": threads, "torch": torch.__version__,
            "clockspec": clockspec.__version__, "python": platform.python_version()}
    with numerics(where, threads):
        trainer = Trainer(spec, list(plan.metrics), where, dtype)
        tracker = ClockTracker(spec.clocks, spec.stop)
        start = 0
        if resume_from is not None:
            start = trainer.load_state_dict(torch.load(resume_from, map_location=where, weights_only=True))
            rows = rd.read_rows(before=start)
            rd.reset_rows(rows)
            for row in rows:
                tracker.update(row)
        else:
            rd.reset_rows()
        rd.write_json(STATUS, {"status": "running", "step": start, "reason": "", **info})
        looped, cpu = time.perf_counter(), time.process_time()
        outcome = _loop(plan, rd, trainer, tracker, start, progress)
        looped, cpu = time.perf_counter() - looped, time.process_time() - cpu
    wall = time.perf_counter() - began + (previous.get("wall_s", 0.0) if resume_from else 0.0)
    clocks = final_clocks(spec, tracker.results(), outcome.status)
    rd.write_json(CLOCKS, _clocks_doc(plan, clocks, outcome.status, outcome.step))
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


def _loop(plan: Any, rd: RunDir, trainer: Trainer, tracker: ClockTracker, start: int, progress: bool | None) -> Outcome:
    spec = plan.spec
    bar = Progress(wanted(progress), spec.name, spec.train.steps, start)
    sink = rd.append_rows()
    saved_at = time.monotonic()

    def save(step: int) -> None:
        buf = io.BytesIO()
        torch.save(trainer.state_dict(step), buf)
        rd.write(CHECKPOINT, buf.getvalue())

    def on_probe(row: dict[str, Any]) -> bool:
        sink.write(row_line(row))
        sink.flush()
        fired = tracker.update(row)
        bar.probe(row, [(name, spec.clocks[name], tracker.fired_step(name)) for name in fired])
        return tracker.should_stop

    def on_step(step: int) -> bool:
        nonlocal saved_at
        if not step & 31:
            bar.tick(step)
            if time.monotonic() - saved_at > CHECKPOINT_EVERY_S:
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
    except BaseException as exc:  # a hard interrupt or a crash: record it, keep the last checkpoint
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        last = rd.read_json(STATUS) or {}
        rd.write_json(STATUS, {**last, "status": status, "reason": f"{type(exc).__name__}: {exc}"})
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

    def __enter__(self) -> "InterruptGuard":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _clock_hashes(plan: Any) -> dict[str, str]:
    return {name: plan.hash(f"clock:{name}") for name in plan.spec.clocks}


def _clocks_doc(plan: Any, clocks: Mapping[str, ClockResult], status: str, step: int) -> dict[str, Any]:
    spec = plan.spec
    doc: dict[str, Any] = {
        "clocks": {name: {**r.to_json(), "expr": spec.clocks[name].text()} for name, r in clocks.items()},
        "status": status,
        "step": step,
        "train_hash": plan.train_hash,
        "clock_hashes": _clock_hashes(plan),
    }
    options = {opt: getattr(spec.probes, opt) for m, opt in PROBE_OPTIONS.items() if m in plan.metrics}
    if options:
        doc["probe_options"] = options  # e.g. the flip band pattern_flips used
    return doc


def _spec_text(spec: Any) -> str:
    dumps = getattr(clockspec, "dumps", None)
    if dumps is not None:
        return dumps(spec, "yaml")
    import yaml

    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)
