"""Shared by the workflow tests: a family's local pool on threads of the test process (real
runs without the seconds a spawned worker takes to import torch)."""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager

import pytest

from clockspec.orchestrate import execute, worker


class ThreadBackend:
    """The local pool's interface (`execute.LocalBackend`) on one thread."""

    def __init__(self, jobs, threads):
        self.pool = ThreadPoolExecutor(max_workers=1)

    def submit(self, *args):
        return self.pool.submit(worker.run_members, *args)

    def wait(self, handles, timeout):
        return list(wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)[0])

    def result(self, handle):
        return handle.result()

    def interrupt(self, handles):
        pass

    def close(self, cancel=False):
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def threaded():
    """`with threaded(): ...`: families run on ThreadBackend inside the block."""
    @contextmanager
    def on_threads():
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(execute, "LocalBackend", ThreadBackend)
            yield

    return on_threads
