"""The strategy of a family's group of members that may share a stack, as the executor
takes it and as `explain` foretells it: the plan's cost model first, then, where it may
change the choice and is cheap beside the family's time, a calibration on every slot at
once (`cost`, whose pure functions decide). No torch here: a calibration runs in the workers.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from clockspec.compiler.plan import Plan
from clockspec.orchestrate import cost, worker

Calibrate = Callable[[str, list[int], int, str | None], dict[str, Any]]


def prior(group: Sequence[Plan], slots: int) -> cost.Timing:
    """What is known before anything runs: the plan's cost model of one member's step."""
    return cost.modelled(group[0].derived["flops_per_step"], cost.largest_useful(len(group), slots))


def decide(group: Sequence[Plan], slots: int, calibrate: Calibrate | None = None, threads: int = 1,
           device: str | None = None) -> tuple[cost.Choice, str | None]:
    """The choice for `group` on `slots` workers, and why a calibration did not count (None
    when it did or was not wanted). `calibrate`: a backend's (`worker.calibrate` in a
    worker), called once per slot at the same time, so the slots contend as their jobs will."""
    n, steps = len(group), group[0].spec.train.steps
    timing = prior(group, slots)
    note = None
    if calibrate is not None and cost.worth_calibrating(n, slots, steps, timing):
        sizes = [1, cost.largest_useful(n, slots)]
        payload = worker.payload(group[0].spec)
        try:
            with ThreadPoolExecutor(slots) as pool:
                results = list(pool.map(lambda _: calibrate(payload, sizes, threads, device), range(slots)))
            timing = cost.calibrated(results)
        except Exception as exc:  # the members' own jobs will say what fails; alone, each says it for itself
            note = f"calibrating a stack of {sizes[1]} failed ({type(exc).__name__}: {exc})"
    return cost.choose(n, slots, steps, timing), note
