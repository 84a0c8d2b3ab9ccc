"""Running a family: members as jobs on a local process pool or on Ray.

The executor compiles every member (no torch here), skips those whose finished results are
in the family folder, groups the rest into batches (`batching.groups`) unless told not to,
and keeps at most one job per slot in flight, so that it always knows which members are
running. A job that fails is reported at once and retried once as single members; a member
whose attempts (kept in `attempts.json` across invocations) reach MAX_ATTEMPTS is not tried
again until `--retry-failed`. A worker process that dies takes only its own job with it: the
pool is rebuilt and the others go on. Ctrl-C lets running members checkpoint, then stops;
running the family again resumes.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from clockspec.compiler import batching
from clockspec.compiler.plan import Plan
from clockspec.compiler.plan import compile as compile_plan
from clockspec.core.errors import Diagnostic, SpecError
from clockspec.families.expand import Expansion
from clockspec.orchestrate import cost, strategy, worker
from clockspec.store import family as store
from clockspec.store.lock import claim

MAX_ATTEMPTS = 3
EXECUTORS = ("local", "ray")


@dataclass
class Job:
    members: list[int]  # indices into the expansion
    batched: bool = False
    tries: int = 0


@dataclass
class Outcome:
    """How each member ended in this invocation."""

    status: dict[str, str] = field(default_factory=dict)  # name -> complete|diverged|failed|skipped|interrupted
    notes: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for s in self.status.values() if s == status)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


MULTI_THREAD_FLOPS = 2e8  # below this per step, a second thread costs more than it gives


def threads_per_job(jobs: int, plans: list[Plan] = ()) -> int:
    """Torch threads per worker: jobs x threads never exceeds the cores, and small models
    get one thread (on a busy core an extra thread made small steps ten times slower)."""
    big = any(p.derived.get("flops_per_step", 0) >= MULTI_THREAD_FLOPS for p in plans)
    return max(1, default_jobs() // max(1, jobs)) if big else 1


@contextmanager
def _main_left_out() -> Iterator[None]:
    """A spawned worker first runs the parent's `__main__` file again; a script read from stdin
    (`python -`) has none on disk, and every worker died looking for `<stdin>`. The workers
    need nothing from `__main__` (their job is `worker.run_members`), so while they start, a
    `__main__` that is no file on disk is not offered to them."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class LocalBackend:
    """A process pool (spawned workers: torch is never forked)."""

    retries_itself = False  # the dispatcher retries a failed job once

    def __init__(self, jobs: int, threads: int):
        self.jobs, self.threads = jobs, threads
        self.pool = self._pool()

    def _pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker.init, initargs=(self.threads,))

    def submit(self, *args: Any) -> Any:
        with _main_left_out():  # a worker is spawned by the submit that needs it
            return self.pool.submit(worker.run_members, *args)

    def calibrate(self, *args: Any) -> dict[int, float]:
        return self.pool.submit(worker.calibrate, *args).result()

    def wait(self, handles: list[Any], timeout: float) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Any) -> list[dict[str, Any]]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._pool()
            raise RuntimeError("its worker process died (killed, or out of memory)") from None

    def interrupt(self, handles: list[Any]) -> None:
        """Nothing to do: Ctrl-C reached the workers too (one process group); each running
        member stops at its next step and checkpoints."""

    def close(self, cancel: bool = False) -> None:
        if cancel:
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
        self.pool.shutdown(wait=not cancel, cancel_futures=True)


class RayBackend:
    """Members as Ray tasks, each asking for its threads as CPUs; a failed task is retried
    by Ray itself (once, as the local pool's jobs are), on whatever node it likes."""

    retries_itself = True

    def __init__(self, jobs: int, threads: int, address: str | None, folder: Path):
        try:
            import ray
        except ImportError:
            raise SpecError([Diagnostic("the ray executor needs Ray, which is not installed", "--executor",
                                        hint='pip install "clockspec[ray]"')]) from None
        from clockspec.orchestrate import worker
        from clockspec.orchestrate.ray_cluster import connect, refuse_unshared_folder

        self.ray = ray
        self.started = connect(ray, jobs, threads, address)
        try:
            refuse_unshared_folder(ray, folder)
        except BaseException:
            self.close()
            raise
        self.task = ray.remote(num_cpus=threads, max_retries=1, retry_exceptions=True)(worker.run_members)
        self.calibration = ray.remote(num_cpus=threads, max_retries=0)(worker.calibrate)

    def submit(self, *args: Any) -> Any:
        return self.task.remote(*args)

    def calibrate(self, *args: Any) -> dict[int, float]:
        return self.ray.get(self.calibration.remote(*args))

    def wait(self, handles: list[Any], timeout: float) -> list[Any]:
        done, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        return done

    def result(self, handle: Any) -> list[dict[str, Any]]:
        try:
            return self.ray.get(handle)
        except self.ray.exceptions.RayTaskError as exc:
            raise RuntimeError(str(exc.cause) if getattr(exc, "cause", None) else str(exc)) from None

    def interrupt(self, handles: list[Any]) -> None:
        """Ray workers do not see the terminal's Ctrl-C: cancel their tasks, which raises
        KeyboardInterrupt in them (the runtime records `interrupted`)."""
        for handle in handles:
            self.ray.cancel(handle)

    def close(self, cancel: bool = False) -> None:
        if self.started:
            self.ray.shutdown()


class Board:
    """The live summary: a line per event as it happens, and a status line on a terminal."""

    def __init__(self, total: int, slots: int, stream: TextIO, quiet: bool = False):
        self.total, self.slots, self.stream, self.quiet = total, slots, stream, quiet
        self.tty = stream.isatty()
        self.counts = {"done": 0, "running": 0, "failed": 0, "skipped": 0}
        self.began = time.monotonic()
        self.member_time: list[float] = []

    def event(self, text: str) -> None:
        if self.quiet and not text.startswith("!"):
            return
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.refresh()

    def line(self) -> str:
        c = self.counts
        left = self.total - c["done"] - c["failed"] - c["skipped"]
        text = f"[{c['done'] + c['skipped']}/{self.total}] done {c['done']} · running {c['running']} · " \
               f"failed {c['failed']} · skipped {c['skipped']}"
        if self.member_time and left:
            per = sum(self.member_time) / len(self.member_time)
            text += f" · ETA {_duration(per * left / max(1, min(self.slots, left)))}"
        return text

    def refresh(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\r\033[K" + self.line())
            self.stream.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def describe(result: dict[str, Any], label: str) -> str:
    """`✓ wd-0p1_seed-0 (wd=0.1,seed=0): complete at step 2,400 · fit 30 · generalize 1,850`."""
    mark = {"complete": "✓", "diverged": "!", "interrupted": "‖"}.get(result["status"], "?")
    clocks = " · ".join(f"{n} {c['step']:,}" if c["reached"] else f"{n} –" for n, c in result["clocks"].items())
    how = {"reused": " (reused)", "reevaluated": " (clocks re-evaluated)", "resumed": " (resumed)",
           "extended": " (extended)"}.get(result["action"], "")
    return (f"{mark} {result['name']} ({label}): {result['status']} at step {result['step']:,}{how}"
            + (f" · {clocks}" if clocks else ""))


def prepare(exp: Expansion, out: Path, accept_changes: bool, source: str) -> tuple[Path, list[Plan], list[store.Entry]]:
    """Compile the members and check the folder's record of the family; refuse a changed
    family (saying what changed) unless the change is accepted."""
    folder = Path(out) / exp.family.family
    plans = [compile_plan(m.spec) for m in exp.members]
    entries = [store.entry(m, p) for m, p in zip(exp.members, plans)]
    lock = store.read_lock(folder)
    changed = store.changes(lock, entries)
    if changed and not accept_changes:
        shown = changed[:20] + ([f"... and {len(changed) - 20} more"] if len(changed) > 20 else [])
        raise SpecError([Diagnostic(
            f"family '{exp.family.family}' changed since {folder} was started:", source, details=tuple(shown),
            hint="run it as it is now with --accept-changes (finished members that did not change are kept)")])
    store.write_lock(folder, exp, entries, source)
    return folder, plans, entries


def run_family(exp: Expansion, out: str | Path = "runs", jobs: int | None = None, executor: str = "local",
               address: str | None = None, batch: bool = True, accept_changes: bool = False,
               retry_failed: bool = False, device: str | None = None, force: bool = False,
               threads: int | None = None, source: str = "<family>", stream: TextIO | None = None,
               quiet: bool = False, backend_factory: Callable[..., Any] | None = None, wait: bool = False,
               checkpoint_every: float = 60.0) -> Outcome:
    """Run every member of an expanded family into `out/<family>/`; see the module docstring.
    One process runs a family folder at a time: another gets RunError naming it (exit 75), or
    with `wait` waits for it. checkpoint_every: seconds between a training member's checkpoints."""
    if executor not in EXECUTORS:
        raise SpecError([Diagnostic(f"unknown executor '{executor}'; expected local or ray", "--executor")])
    stream = stream or sys.stderr
    with claim(Path(out) / exp.family.family, wait, on_wait=lambda who: print(f"waiting for {who}", file=stream)):
        return _run_family(exp, Path(out), jobs, executor, address, batch, accept_changes, retry_failed,
                           device, force, threads, source, stream, quiet, backend_factory, checkpoint_every)


def _run_family(exp: Expansion, out: Path, jobs: int | None, executor: str, address: str | None, batch: bool,
                accept_changes: bool, retry_failed: bool, device: str | None, force: bool, threads: int | None,
                source: str, stream: TextIO, quiet: bool, backend_factory: Callable[..., Any] | None,
                checkpoint_every: float) -> Outcome:
    began = time.monotonic()
    if device is not None:  # part of each member's train hash, as the spec's own device field is
        exp = dataclasses.replace(exp, members=[dataclasses.replace(m, spec=m.spec.model_copy(update={"device": device}))
                                                for m in exp.members])
        device = None
    jobs = jobs or default_jobs()
    # Resolved here, on the driver: a worker (a Ray node) may run in another working directory.
    folder, plans, entries = prepare(exp, Path(out).resolve(), accept_changes, source)
    threads = threads or threads_per_job(jobs, plans)
    attempts = store.Attempts(folder)
    if retry_failed:
        attempts.clear()
    outcome = Outcome()
    board = Board(len(entries), jobs, stream, quiet)
    make = backend_factory or (lambda: LocalBackend(jobs, threads) if executor == "local"
                               else RayBackend(jobs, threads, address, folder))
    backend: list[Any] = []  # made on first use: by a calibration, or by the first job

    def stack_size(group: list[Plan], slots: int) -> int:
        backend[:] = backend or [make()]
        return _stack_size(backend[0], group, slots, jobs, threads, device, board)

    queue = _queue(exp, folder, plans, entries, force, batch, jobs, attempts, outcome, board, stack_size)
    if queue:
        dispatch = _Dispatch(exp, folder, queue, jobs, (threads, device, force, checkpoint_every),
                             attempts, outcome, board)
        dispatch.run(backend[0] if backend else make())
    else:
        if backend:
            backend[0].close()
        board.close()
    outcome.wall_s = time.monotonic() - began
    return outcome


def _queue(exp: Expansion, folder: Path, plans: list[Plan], entries: list[store.Entry], force: bool, batch: bool,
           jobs: int, attempts: store.Attempts, outcome: Outcome, board: Board,
           stack_size: Callable[[list[Plan], int], int]) -> deque[Job]:
    """The jobs to run: finished members skipped, those failed MAX_ATTEMPTS times not
    retried, members to re-evaluate or resume alone, new ones in stacks of the size the
    cost model chose for their group (`stack_size`, given the group's share of the slots)."""
    queue: deque[Job] = deque()
    fresh: list[int] = []
    for i, (e, plan) in enumerate(zip(entries, plans)):
        what = "new" if force else store.state(folder.parent, folder / e.run_dir, plan)
        if what == "clocks" and _show_here(plan, folder, e, outcome, board):
            continue
        if what == "done":
            outcome.status[e.name] = "skipped"
            board.counts["skipped"] += 1
        elif attempts.count(e.name) >= MAX_ATTEMPTS:
            outcome.status[e.name] = "failed"
            board.counts["failed"] += 1
            board.event(f"✗ {e.name}: failed {attempts.count(e.name)} times before; not retried "
                        "(--retry-failed to try again)")
        elif what == "new":
            fresh.append(i)
        else:  # clocks to re-evaluate, or a run to resume: one by one
            queue.append(Job([i]))
    specs = [exp.members[i].spec for i in fresh]
    for group in (batching.groups(specs) if batch else [[j] for j in range(len(fresh))]):
        share = cost.slot_share(jobs, len(group), len(fresh))
        size = stack_size([plans[fresh[j]] for j in group], share) if len(group) > 1 else 1
        for j in range(0, len(group), size):
            queue.append(Job([fresh[k] for k in group[j:j + size]], batched=size > 1))
    if outcome.status:
        stored = f"{board.counts['done']} shown from the store, " if board.counts["done"] else ""
        board.event(f"{len(entries)} members: {board.counts['skipped']} already done, {stored}"
                    f"{sum(len(j.members) for j in queue)} to run in {len(queue)} jobs")
    return queue


def _show_here(plan: Plan, folder: Path, e: store.Entry, outcome: Outcome, board: Board) -> bool:
    """A member whose program the store holds finished (trained under any name): shown under
    its name here, at once and without torch; False when another process holds it (a job
    waits for it)."""
    from clockspec.core.errors import RunError
    from clockspec.runtime import run

    try:
        result = run(plan, out=folder.parent, view=folder / e.run_dir, progress=False)
    except RunError:
        return False
    _finished(worker.as_dict(plan, result), e.label, 1, outcome, board)
    return True


def _spare_cores(busy: int) -> int:
    """Cores beyond the `busy` ones the slots train on: a stack's figures are drawn there."""
    return max(0, default_jobs() - busy)


def _stack_size(backend: Any, group: list[Plan], slots: int, jobs: int, threads: int, device: str | None,
                board: Board) -> int:
    """The stack size for members that may share one (`strategy.decide`: the plan's cost
    model, refined by a calibration in the workers where it may pay), said on the board."""
    choice, failed = strategy.decide(group, slots, getattr(backend, "calibrate", None), threads, device, jobs)
    if failed:
        board.event(f"! {failed}; the plan's cost model decides")
    board.event(f"{len(group)} members can share a stack: {choice.reason}; "
                + (f"stacks of {choice.size}" if choice.size > 1 else "one by one"))
    return choice.size


@dataclass
class _Dispatch:
    """The queue's jobs on a backend: at most one per slot in flight, each reported as it ends."""

    exp: Expansion
    folder: Path
    queue: deque[Job]
    jobs: int
    worker_args: tuple  # (threads, device, force, checkpoint_every): the same for every job
    attempts: store.Attempts
    outcome: Outcome
    board: Board
    running: dict[Any, Job] = field(default_factory=dict)

    def run(self, backend: Any) -> None:
        """Until every job has ended; Ctrl-C lets running members checkpoint, a second aborts."""
        try:
            try:
                self.pump(backend)
            except KeyboardInterrupt:
                self.outcome.interrupted = True
                self.queue.clear()
                self.board.event("! interrupted: running members stop at their next step and checkpoint "
                                 "(Ctrl-C again to abort); run the family again to resume")
                backend.interrupt(list(self.running))
                self.pump(backend)
        except KeyboardInterrupt:
            backend.close(cancel=True)
            backend = None
        finally:
            if backend is not None:
                backend.close()
            self.board.close()

    def pump(self, backend: Any) -> None:
        """Submit while slots are free; collect and report jobs as they end."""
        members, board, running = self.exp.members, self.board, self.running
        labels = {m.name: m.label for m in members}
        while self.queue or running:
            while self.queue and len(running) < self.jobs:
                job = self.queue.popleft()
                job.tries += 1
                threads, device, force, checkpoint_every = self.worker_args
                args = ([worker.payload(members[i].spec) for i in job.members], str(self.folder), threads, device,
                        job.batched, force, checkpoint_every, _spare_cores(self.jobs * threads) // self.jobs)
                running[backend.submit(*args)] = job
                board.counts["running"] += len(job.members)
                board.refresh()
            for handle in backend.wait(list(running), timeout=0.5):
                job = running.pop(handle)
                board.counts["running"] -= len(job.members)
                try:
                    results = backend.result(handle)
                except Exception as exc:  # the job failed: report, then retry or give up
                    _failed(job, exc, self.exp, self.attempts, self.queue, self.outcome, board,
                            retry=not getattr(backend, "retries_itself", False))
                    continue
                for result in results:
                    _finished(result, labels[result["name"]], len(results), self.outcome, board)
            board.refresh()


def _finished(result: dict[str, Any], label: str, batch: int, outcome: Outcome, board: Board) -> None:
    name = result["name"]
    outcome.status[name] = result["status"]
    outcome.notes[name] = result["note"]
    board.counts["done"] += 1
    if result["action"] in ("trained", "resumed", "extended"):
        board.member_time.append(result["elapsed_s"] / batch)
    if result["status"] == "interrupted":
        outcome.interrupted = True
    board.event(describe(result, label))


def _failed(job: Job, exc: Exception, exp: Expansion, attempts: store.Attempts, queue: deque,
            outcome: Outcome, board: Board, retry: bool = True) -> None:
    names = [exp.members[i].name for i in job.members]
    text = (str(exc).strip().splitlines() or [""])[0]
    error = text if isinstance(exc, (RuntimeError, SpecError)) and text else f"{type(exc).__name__}: {text}"
    if job.batched:  # retry its members one by one, which also tells which one fails
        board.event(f"! a batch of {len(names)} members failed ({error}); running them one by one")
        queue.extend(Job([i]) for i in job.members)
        return
    (i,) = job.members
    name = names[0]
    count = attempts.failed(name, error)
    if retry and job.tries < 2 and count < MAX_ATTEMPTS:
        board.event(f"! {name} failed ({error}); retrying")
        queue.append(Job([i], tries=job.tries))
        return
    outcome.status[name] = "failed"
    outcome.notes[name] = error
    board.counts["failed"] += 1
    board.event(f"✗ {name} ({exp.members[i].label}): failed: {error}")
