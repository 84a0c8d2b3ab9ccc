"""`--executor slurm`: a family's jobs as SLURM jobs through submitit.

The jobs the dispatcher has ready are submitted together as one job array whose concurrency is
capped at `--jobs` (SLURM runs them as slots free up), each a member or a stack of members as
the family's cost model grouped them. Resources come from `--slurm-*` options, else
`[tool.clockspec.slurm]` of the nearest pyproject.toml (`settings`); submitit's files and each
job's log live in `<family folder>/slurm/`. The store must be on storage the nodes share.

Preemption and time limits: SLURM warns a job with SIGUSR2 (`signal_delay_s` before the limit,
or when preempting); the member stops at its next step, checkpoints and the job requeues itself;
the rerun resumes from the checkpoint, byte-identical. SIGTERM (`scontrol requeue`, `scancel`,
preemption by requeue) also checkpoints at the next step; the job then ends without a result,
so that a requeued job's rerun answers, and a job that ends without one is run again by the
dispatcher. Neither is charged to a member's attempts (`worker.InfrastructureFailure`).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.orchestrate import signals, worker

# [tool.clockspec.slurm] keys and --slurm-* options -> submitit's SlurmExecutor parameters
FIELDS = {"partition": str, "time": int, "cpus_per_task": int, "gpus_per_node": int, "mem_gb": int,
          "signal_delay_s": int, "account": str, "qos": str}
POLL_S = 2.0  # seconds between looks at the queue
ARRAY_MAX = 1000  # tasks per job array: SLURM's default MaxArraySize is 1001
# squeue's states of a job that will not run again (a requeued one is PENDING or REQUEUED); GONE: no longer listed
ENDED = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL",
         "DEADLINE", "GONE"}


def settings(cli: dict[str, Any], start: Path) -> dict[str, Any]:
    """The SLURM parameters: those given on the command line over `[tool.clockspec.slurm]` of
    the nearest pyproject.toml at or above `start`; SpecError naming a bad one."""
    found: dict[str, Any] = {}
    for here in [start, *start.parents]:
        project = here / "pyproject.toml"
        if project.is_file():
            try:
                table = tomllib.loads(project.read_text(encoding="utf-8")).get("tool", {}).get("clockspec", {})
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise SpecError([Diagnostic(f"cannot read [tool.clockspec]: {exc}", str(project))]) from None
            found = table.get("slurm", {})
            if not isinstance(found, dict):
                raise SpecError([Diagnostic("[tool.clockspec.slurm] must be a table", str(project))])
            _check(found, f"{project}: [tool.clockspec.slurm]")
            break
    given = {k: v for k, v in cli.items() if v is not None}
    _check(given, "--slurm")
    return {**found, **given}


def _check(values: dict[str, Any], where: str) -> None:
    for key, value in values.items():
        kind = FIELDS.get(key)
        if kind is None:
            raise SpecError([Diagnostic(f"unknown SLURM setting '{key}'; expected one of {', '.join(FIELDS)}",
                                        where)])
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 0):
            raise SpecError([Diagnostic(f"SLURM setting '{key}' must be a {'non-negative whole number' if kind is int else 'string'}"
                                        f", not {value!r}", where)])


@dataclass(eq=False)  # a handle is a key of the dispatcher's running jobs: hashed by identity
class _Handle:
    """A job the dispatcher submitted: its arguments until the array is sent, then its submitit job."""

    args: tuple
    job: Any = None
    sent_at: float = field(default_factory=time.monotonic)


class SlurmBackend:
    """Jobs as a SLURM job array (see the module docstring)."""

    retries_itself = False
    queues_itself = True  # every ready job goes into the array; SLURM keeps `jobs` of them running

    def __init__(self, jobs: int, threads: int, folder: Path, options: dict[str, Any]):
        try:
            import submitit
        except ImportError:
            raise SpecError([Diagnostic("the slurm executor needs submitit, which is not installed", "--executor",
                                        hint='pip install "clockspec[slurm]"')]) from None
        self.executor = submitit.SlurmExecutor(folder=folder / "slurm" / "%j", max_num_timeout=0)
        params = {"cpus_per_task": threads, "signal_delay_s": 60, **options}
        params["additional_parameters"] = {"requeue": True, **params.get("additional_parameters", {})}
        self.executor.update_parameters(**params, array_parallelism=jobs, job_name=f"clockspec-{folder.name}")
        self.unsent: list[_Handle] = []

    def submit(self, *args: Any) -> _Handle:
        handle = _Handle(args)
        self.unsent.append(handle)
        return handle

    def _send(self) -> None:
        for start in range(0, len(self.unsent), ARRAY_MAX):
            chunk = self.unsent[start:start + ARRAY_MAX]
            with self.executor.batch():
                jobs = [self.executor.submit(run_job, *h.args) for h in chunk]
            for handle, job in zip(chunk, jobs):
                handle.job = job
        self.unsent = []

    def wait(self, handles: list[_Handle], timeout: float) -> list[_Handle]:
        self._send()
        states = _queue_states()
        done = [h for h in handles if h.job.paths.result_pickle.exists() or states.get(h.job.job_id, "GONE") in ENDED]
        if not done:
            time.sleep(max(timeout, POLL_S))
        return done

    def result(self, handle: _Handle) -> list[dict[str, Any]]:
        from submitit.core.utils import FailedJobError

        job = handle.job
        if not job.paths.result_pickle.exists():  # cancelled, timed out or killed: not the member's doing
            state = _queue_states().get(job.job_id, "gone from the queue")
            raise worker.InfrastructureFailure(f"SLURM job {job.job_id} ended {state} without a result "
                                               f"(log: {job.paths.stderr})")
        try:
            return job.result()
        except FailedJobError as exc:
            text = [line for line in str(exc).strip().splitlines() if line.strip()]
            raise RuntimeError(f"SLURM job {job.job_id}: {text[-1].strip() if text else 'failed'}") from None

    def interrupt(self, handles: list[_Handle]) -> None:
        """Running members checkpoint at their next step and stop (SIGTERM); queued ones never start."""
        for handle in handles:
            if handle.job is not None:
                handle.job.cancel(check=False)
        self.unsent = []

    def close(self, cancel: bool = False) -> None:
        self.unsent = []


def _queue_states() -> dict[str, str]:
    """Job id (`ARRAY_TASK` for array tasks) -> state, of every job squeue lists; squeue, not
    sacct (submitit's choice), so that a cluster without accounting works too."""
    done = subprocess.run(["squeue", "-h", "-r", "-o", "%i|%T"], capture_output=True, text=True, timeout=120)
    if done.returncode:
        return {}  # the controller did not answer: nothing is known to have ended
    return dict(line.split("|", 1) for line in done.stdout.splitlines() if "|" in line)


def run_job(*args: Any) -> list[dict[str, Any]]:
    """A SLURM job: `worker.run_members`, stopping at a step on SLURM's signals (see the module
    docstring); a job stopped by SIGUSR2 requeues itself, one stopped by SIGTERM leaves no result."""
    threads = args[2]
    worker.init(threads)
    signals.install_in_worker(signal.SIGUSR2)
    results = worker.run_members(*args)
    if not any(r["status"] == "interrupted" for r in results):
        return results
    sys.stdout.flush()
    sys.stderr.flush()
    if signals.last_signal() == signal.SIGUSR2 and _requeue():  # warned of preemption or the time limit
        while True:  # SLURM ends this run and starts the job again
            time.sleep(60)
    os._exit(128 + signal.SIGTERM)  # stopped from outside: the rerun (requeued here, by SLURM or the dispatcher) answers


def _requeue() -> bool:
    """Requeue this job (an array task by its ARRAY_TASK id: SLURM_JOB_ID may name the array)."""
    import submitit

    done = subprocess.run(["scontrol", "requeue", submitit.JobEnvironment().job_id], capture_output=True, text=True,
                          timeout=60)
    if done.returncode:
        print(f"clockspec: scontrol requeue failed: {done.stderr.strip()}", file=sys.stderr, flush=True)
    return done.returncode == 0
