"""Ctrl-C pressed at a chosen probe, as a person would press it: the run stops at the next
step boundary and checkpoints there."""
from __future__ import annotations

import signal
from collections.abc import Callable

from clockspec.runtime.metrics import Prober


def ctrl_c_at(monkeypatch, step: int) -> Callable[[], None]:
    """Press Ctrl-C once, while the (first) probe of `step` is measured: a batch probes each
    of its members there, and a second press would be the hard abort. The function returned
    stops pressing."""
    measure = Prober.__call__
    pressed = []

    def pressing(self, t):
        if t == step and not pressed:
            pressed.append(t)
            signal.raise_signal(signal.SIGINT)
        return measure(self, t)

    monkeypatch.setattr(Prober, "__call__", pressing)
    return lambda: monkeypatch.setattr(Prober, "__call__", measure)


def cut_and_resume(plan, out, monkeypatch, step: int = 20):
    """`plan` run into `out` with Ctrl-C pressed at the probe of `step`, then resumed there:
    (the interrupted result, the resumed result)."""
    from clockspec.runtime import run

    stop_pressing = ctrl_c_at(monkeypatch, step)
    cut = run(plan, out=out, progress=False)
    stop_pressing()
    return cut, run(plan, out=out, resume=True, progress=False)


def freeze_group(pgid: int) -> None:
    """SIGSTOP every process of the group and wait until each is stopped: while frozen, no
    run can move past the state a test just read (`thaw_group` lets them go on)."""
    import os
    import subprocess
    import time

    os.killpg(pgid, signal.SIGSTOP)
    while True:
        states = subprocess.run(["ps", "-o", "stat=", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
        if all(s[0] in "TZ" for s in states):
            return
        time.sleep(0.05)


def thaw_group(pgid: int) -> None:
    import os

    os.killpg(pgid, signal.SIGCONT)
