"""Stopping a family on a signal: SIGTERM (a `kill`, a scheduler ending the job) is taken as
Ctrl-C is, in the family's main process and in its workers.

In the main process it becomes KeyboardInterrupt, which the dispatcher answers by asking every
worker to stop (`LocalBackend.interrupt`). In a worker, a stop asked for while no member
trains is remembered (the runtime's `STOP_ASKED`): a job that reaches the worker afterwards is
not started, and a member still being set up stops at its first step; a training member
stops at its next step and checkpoints (the runtime's own handler).
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_stop = threading.Event()  # in a worker: the runtime's STOP_ASKED (install_in_worker)
_last: list[int] = []  # the last signal passed on as Ctrl-C


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises KeyboardInterrupt as Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _note_stop(signum: int, frame: Any) -> None:
    _stop.set()


def _as_ctrl_c(signum: int, frame: Any) -> None:
    """SIGTERM (or SLURM's warning signal) passed on as SIGINT, which the runtime's handler
    turns into a stop at the next step; remembered too, for a member not yet started."""
    _stop.set()
    _last[:] = [signum]
    os.kill(os.getpid(), signal.SIGINT)


def install_in_worker(*also: signal.Signals) -> None:
    """A worker process: SIGINT, SIGTERM and `also` ask it to stop (see the module docstring).
    Imports the runtime (torch), which a worker loads to train anyway."""
    global _stop
    from clockspec.runtime.loop import STOP_ASKED

    _stop = STOP_ASKED
    _stop.clear()
    signal.signal(signal.SIGINT, _note_stop)
    for sig in (signal.SIGTERM, *also):
        signal.signal(sig, _as_ctrl_c)


def stop_requested() -> bool:
    return _stop.is_set()


def last_signal() -> int | None:
    """The last signal passed on as Ctrl-C (SIGTERM or an `also` one), if any."""
    return _last[-1] if _last else None
