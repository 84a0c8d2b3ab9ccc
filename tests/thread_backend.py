"""A family's backend on threads of the test process: the interface of
`clockspec.orchestrate.local_pool.LocalBackend`, real runs without the seconds a spawned
worker takes to import torch. `submitted` lists each job's member names, in order."""
from __future__ import annotations

import json
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from clockspec.orchestrate import worker


class ThreadBackend:
    def __init__(self, jobs: int = 2, threads: int = 1):
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.submitted: list[list[str]] = []

    def submit(self, *args):
        self.submitted.append([json.loads(s)["spec"]["name"] for s in args[0]])
        return self.pool.submit(worker.run_members, *args)

    def wait(self, handles, timeout):
        return list(wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)[0])

    def result(self, handle):
        return handle.result()

    def interrupt(self, handles):
        pass

    def close(self, cancel=False):
        self.pool.shutdown(wait=True)
