"""One member's run directory while it trains: the per-member path of the one training core.

Alone or in a batch, a member's run goes the same way, through `MemberRun`: its spec, plan
and a `running` status are written (`open`); its recorded rows are replayed into its clock
tracker (`begin`, on a resume); each probe row is appended to `metrics.jsonl` and fed to the
tracker, which says when the stop clocks fired (`record`); a checkpoint is taken at the
interval asked, when the member has one to take (`stepped`); and when it ends, complete,
diverged or interrupted, its clocks, figure and final status are written and its
`RunResult` made (`end`). A crash, a failed write or a hard interrupt is recorded in its
status, at the step reached (`abandon`): a status never stays `running` once its process
stops. The step reached is told in the status at probes too, at most every
PROGRESS_EVERY_S seconds (all members of a batch together), not only at checkpoints.
Only how the step is computed differs between a run alone and a batch (see
`loop.train_members`). Torch-free: the checkpoint's bytes come from the caller.
"""
from __future__ import annotations

import os
import platform
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from clockspec.clocks import ClockTracker
from clockspec.compiler.extension import why_not
from clockspec.core.fileio import read_json
from clockspec.core.version import __version__
from clockspec.runtime.progress import Progress
from clockspec.runtime.results import RunResult, clocks_doc, final_clocks, spec_text, write_clocks
from clockspec.store.provenance import launch
from clockspec.store.rundir import (
    CHECKPOINT,
    CLOCKS,
    CURVES,
    FINAL,
    FINISHED,
    METRICS,
    PLAN,
    SPEC,
    STATUS,
    RunDir,
    row_line,
)
from clockspec.store.snapshots import clear_snapshots, save_snapshot

Snapshot = Callable[[int], bytes]  # the checkpoint of the training state at a step
PROGRESS_EVERY_S = 1.0  # at most one status rewrite (a synced file) per second per process for "how far"


def run_info(plan: Any, device: Any, threads: int, torch_version: str, batch: int | None = None) -> dict[str, Any]:
    """What `status.json` says about where and how the run trained, besides its progress."""
    from clockspec.runtime.device import device_name  # torch is loaded: run_info is called to train

    info = {"train_hash": plan.train_hash, "steps": plan.spec.train.steps, "device": str(device),
            "dtype": plan.spec.train.dtype, "threads": threads, "torch": torch_version,
            "clockspec": __version__, "python": platform.python_version(), "host": socket.gethostname(),
            "device_name": device_name(device), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **launch()}
    return {**info, "batch_size": batch} if batch else info


class MemberRun:
    """A member's run directory from its first write to its `RunResult` (`result`).

    `info`: what its status says of where it trains (`run_info`). `began`: when the run
    began (perf_counter), for its wall time. `batch`: how many members train together (None:
    alone). `figures`: where its figure is drawn (None: here, at once).
    """

    def __init__(self, plan: Any, rd: RunDir, info: dict[str, Any], began: float, batch: int | None = None,
                 figures: Any = None):
        self.plan, self.spec, self.rd, self.info, self.began, self.batch = plan, plan.spec, rd, info, began, batch
        self.figures = figures  # a drawing.FigurePool that draws curves.png off the training path, or None
        self.snapshot: Snapshot | None = None
        self.weights: Callable[[], bytes] | None = None  # the model's bytes, for `snapshots:`
        self.snap_due = 0  # the step from which the next scheduled snapshot is due
        self.checkpoint_every = float("inf")
        self.tracker = ClockTracker(self.spec.clocks, self.spec.stop)
        self.probe_steps = set(plan.probe_steps())
        self.start, self.wall_before, self.resumed = 0, 0.0, False
        self.step = 0  # the step reached: updates done so far
        self.told_at = 0.0  # when the status last said how far (monotonic)
        self.finished = False  # the final status is written
        self.result: RunResult | None = None
        self.bar: Progress | None = None
        self.sink: Any = None
        self.times: Any = None  # times.jsonl: each row's wall time, for the trackers (kept out of the rows)
        self.saved_at = self.looped = self.cpu = 0.0  # last checkpoint (monotonic); loop start (wall, CPU)
        self.compile_seconds: Callable[[], tuple[float, float]] = lambda: (0.0, 0.0)  # the step's compile (wall, CPU)
        self.final_at = self.spec.train.steps if why_not(plan) is None else -1  # keep the state there: FINAL

    def open(self, resumes: Mapping[str, Any] | None = None) -> None:
        """Write a `running` status, then the spec and the plan: the status first, so that a
        write failing after it (a full disk) can still be recorded in it. A fresh run clears
        the directory first; a resumed one (`resumes`: the status of the run it continues)
        starts at its step, and adds its wall time."""
        self.resumed = resumes is not None
        if resumes is not None:
            self.start, self.wall_before = int(resumes.get("step", 0)), resumes.get("wall_s", 0.0)
            self.step = self.start
        else:
            self.rd.clear()
            clear_snapshots(self.rd.path)
        self.rd.write_json(STATUS, self._running())
        self.rd.write(SPEC, spec_text(self.spec))
        self.rd.write_json(PLAN, self.plan.to_json())

    def begin(self, start: int, snapshot: Snapshot, weights: Callable[[], bytes], rows: Iterable[dict[str, Any]] = (),
              progress: bool = False, checkpoint_every: float = float("inf"),
              compile_seconds: Callable[[], tuple[float, float]] | None = None) -> None:
        """Training starts at `start`, after the rows recorded before it (a resume's).
        `snapshot`: the member's training state, checkpointed every `checkpoint_every`
        seconds, when interrupted, and at the last step (`FINAL`). `weights`: the model
        alone, for the spec's `snapshots`.
        `compile_seconds`: the wall and CPU seconds the step has spent in torch.compile,
        which the status reports apart from the loop's speed."""
        self.snapshot, self.checkpoint_every, self.weights = snapshot, checkpoint_every, weights
        if compile_seconds is not None:
            self.compile_seconds = compile_seconds
        every = self.spec.snapshots.every if self.spec.snapshots else 0
        self.snap_due = (start // every + (1 if start else 0)) * every if every else 0
        rows = list(rows)
        self.rd.reset_rows(rows)
        for row in rows:
            self.tracker.update(row)
        self.start = self.step = start
        if self.resumed:  # now at the checkpoint's step
            self.rd.write_json(STATUS, self._running())
        self.bar = Progress(progress, self.spec.name, self.spec.train.steps, start)
        self.sink, self.times = self.rd.append_rows(), self.rd.append_times()
        self.saved_at = self.told_at = time.monotonic()
        self.looped, self.cpu = time.perf_counter(), time.process_time()

    def _running(self) -> dict[str, Any]:
        return {"status": "running", "step": self.start, "reason": "", **self.info}

    def tell(self, step: int) -> None:
        """Say in the status how far the run is, for whoever asks (`runs`, a waiting process)."""
        self.rd.write_json(STATUS, {**self._running(), "step": step})
        self.told_at = time.monotonic()

    def record(self, row: dict[str, Any]) -> bool:
        """Append a probe row and track the clocks; True once the stop clocks fired."""
        try:
            self.sink.write(row_line(row))
            self.sink.flush()
            self.times.write(row_line({"step": row["step"], "time": round(time.time(), 3)}))
            self.times.flush()
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.rd / METRICS)) from exc
        if time.monotonic() - self.told_at > PROGRESS_EVERY_S * (self.batch or 1):
            self.tell(int(row["step"]))
        fired = self.tracker.update(row)
        self.keep_snapshot(int(row["step"]), fired)
        self.bar.probe(row, [(name, self.spec.clocks[name], self.tracker.fired_step(name)) for name in fired])
        return self.tracker.should_stop

    def keep_snapshot(self, step: int, fired: list[str]) -> None:
        """Save the model at this probe if a clock of `snapshots.at` fired here or one is due."""
        wanted = self.spec.snapshots
        if wanted is None:
            return
        reasons = [name for name in fired if name in wanted.at]
        if wanted.every and step >= self.snap_due:
            reasons.append("every")
            self.snap_due = (step // wanted.every + 1) * wanted.every
        if reasons:
            steps = {n: self.tracker.fired_step(n) for n in reasons if n != "every"}
            save_snapshot(self.rd.path, step, reasons, steps, self.weights(), wanted.keep, int(wanted.max_mb * 2**20))

    def stepped(self, step: int) -> None:
        """`step` updates are done: now and then, show it and take a checkpoint; at the last
        step, keep the state that a longer run continues from (`store.extend`)."""
        self.step = step
        if step == self.final_at:
            self.rd.write(FINAL, self.snapshot(step))
        if not step & 31:
            self.bar.tick(step)
            if time.monotonic() - self.saved_at > self.checkpoint_every:
                self.checkpoint(step)
                self.saved_at = time.monotonic()

    def checkpoint(self, step: int) -> None:
        os.fsync(self.sink.fileno())  # the rows before `step` are on disk before the checkpoint is
        self.rd.write(CHECKPOINT, self.snapshot(step))
        self.tell(step)

    def end(self, status: str, step: int, reason: str) -> None:
        """The member stopped at `step`: checkpoint an interrupted one, write its outputs."""
        self.step = step
        if status == "interrupted":
            self.checkpoint(step)
        self.close()
        looped, cpu = time.perf_counter() - self.looped, time.process_time() - self.cpu
        wall = time.perf_counter() - self.began + self.wall_before  # the resumed process's time too
        clocks = final_clocks(self.spec, self.tracker.results(), status)
        compile_s, compile_cpu = self.compile_seconds()
        compiled = {"compile_s": round(compile_s, 3)} if compile_s else {}
        if self.batch:  # a batch is timed as a whole: its members share one loop
            timing = {"wall_s": round(wall, 3), "steps_per_s": round(step / max(wall, 1e-9), 2), **compiled}
            note = f"trained steps 0..{step} in a batch of {self.batch} members ({wall:.1f} s)"
        else:  # the loop's speed without the compile, which the status gives apart
            rate = (step - self.start) / max(looped - compile_s, 1e-9)
            timing = {"wall_s": round(wall, 3), "steps_per_s": round(rate, 2),
                      "loop_cpu_s": round(cpu - compile_cpu, 3), **compiled}
            note = (f"{'resumed' if self.resumed else 'trained'} steps {self.start}..{step} in {looped:.1f} s "
                    f"({rate:.0f} steps/s{f' after {compile_s:.1f} s of torch.compile' if compile_s else ''}; "
                    f"{time.perf_counter() - self.began:.1f} s in all)")
        final = {"status": status, "step": step, "reason": reason, **timing, **self.info}
        self.result = RunResult(self.rd.path, status, step, clocks, "resumed" if self.resumed else "trained",
                                f"{note}: {reason}", time.perf_counter() - self.began)
        if self.figures is None:
            write_clocks(self.plan, self.rd, self.tracker.rows, clocks, status, step)
            self._finish(final)
        else:  # drawn off the training path; the final status once the figure is written
            self.rd.write_json(CLOCKS, clocks_doc(self.plan, clocks, status, step))
            self.figures.draw(self.tracker.rows, self.spec, clocks, status,
                              lambda png: (self.rd.write(CURVES, png), self._finish(final)))

    def _finish(self, final: dict[str, Any]) -> None:
        self.rd.write_json(STATUS, final)
        self.finished = True
        if final["status"] in FINISHED:
            self.rd.remove(CHECKPOINT)

    def abandon(self, exc: BaseException) -> None:
        """Training stopped by `exc` (a hard interrupt, a crash, a failed write) before the
        final status was written: say so in the status, at the step reached (a full disk
        too: `record_status`); the last checkpoint stays for a resume."""
        if self.finished:
            return
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        if isinstance(exc, OSError):  # as the runner says it (`runner.failed_io`)
            reason = f"cannot write {exc.filename or self.rd.path}: {exc.strerror or type(exc).__name__}"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        last = read_json(self.rd / STATUS)
        last = last if isinstance(last, dict) else self._running()
        self.rd.record_status({**last, "status": status, "step": self.step, "reason": reason[:500]})
        self.finished = True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.sink is not None:
            self.sink.close()
            self.times.close()
