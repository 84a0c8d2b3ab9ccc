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
