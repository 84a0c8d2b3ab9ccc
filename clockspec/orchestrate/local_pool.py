"""The local executor: a pool of spawned worker processes (torch is never forked).

A worker never runs the user's `__main__` again: spawn's workers normally re-import it, which
re-ran a script without an `if __name__ == "__main__":` guard (every worker died starting a
pool of its own) and found no file for `python -` (`<stdin>`). Their job is
`worker.run_members`, with plain-data arguments, so nothing of `__main__` is needed there.
"""
from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clockspec.orchestrate import worker


@contextmanager
def main_left_out() -> Iterator[None]:
    """While workers are spawned, `__main__` shows neither a file nor a module name, which is
    how spawn decides to import it in the child (multiprocessing.spawn.get_preparation_data)."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    hidden = {k: main.__dict__.pop(k) for k in ("__file__",) if k in main.__dict__}
    spec = getattr(main, "__spec__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(hidden)
        main.__spec__ = spec


class LocalBackend:
    """Jobs on a ProcessPoolExecutor; a pool whose worker died is rebuilt, and the jobs it
    took with it are an infrastructure failure, not the members' own."""

    retries_itself = False  # the dispatcher retries a failed job once

    def __init__(self, jobs: int, threads: int):
        self.jobs, self.threads = jobs, threads
        self.pool = self._pool()

    def _pool(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker.init, initargs=(self.threads,))

    def submit(self, *args: Any) -> Any:
        with main_left_out():  # a worker is spawned by the submit that needs it
            return self.pool.submit(worker.run_members, *args)

    def calibrate(self, *args: Any) -> dict[int, float]:
        with main_left_out():
            handle = self.pool.submit(worker.calibrate, *args)
        return handle.result()

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
            raise worker.InfrastructureFailure("its worker process died (killed, or out of memory)") from None

    def interrupt(self, handles: list[Any]) -> None:
        """Ask every worker to stop: a training member stops at its next step and checkpoints,
        a job not yet started in its worker is not started. A signal to the main process alone
        (`kill PID`) reaches no worker otherwise; Ctrl-C in a terminal reaches both, and a
        worker takes the second SIGINT as the same request."""
        for process in self.processes():
            try:
                os.kill(process.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def processes(self) -> list[Any]:
        """The pool's live worker processes (ProcessPoolExecutor keeps them by pid)."""
        return [p for p in dict(getattr(self.pool, "_processes", None) or {}).values() if p.is_alive()]

    def close(self, cancel: bool = False) -> None:
        if cancel:
            for process in self.processes():
                process.terminate()
        self.pool.shutdown(wait=not cancel, cancel_futures=True)
