"""Shared by the workflow tests: a family's local pool on threads of the test process (real
runs without the seconds a spawned worker takes to import torch)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from clockspec.orchestrate import execute
from thread_backend import ThreadBackend


@pytest.fixture(scope="session")
def threaded():
    """`with threaded(): ...`: families run on ThreadBackend inside the block."""
    @contextmanager
    def on_threads():
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(execute, "LocalBackend", lambda jobs, threads: ThreadBackend(1))  # one member at a time
            yield

    return on_threads
