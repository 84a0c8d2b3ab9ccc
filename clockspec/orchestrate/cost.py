"""Which way a family's batchable members train soonest: stacks, or one by one.

A stack of K members costs more per step than one member and less than K (the per-step
overhead is shared; the compute is not, and a big stack can fall out of the caches), so
whether stacking pays depends on the model and the machine. The executor measures it: a
short calibration in a worker (`worker.calibrate`: seconds per step of a stack of one and
of the largest useful stack) decides, for each group of members that may share a stack,
between solo jobs and stacks (`stack_size`). Either way each member's trajectory is the same
(runtime/stacked.py), so this choice is only about time, never about results.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

MAX_STACK = 64  # members in one stack, at most


def largest_useful(n: int, slots: int) -> int:
    """The stack size that still gives every slot a job: ceil(n / slots), at most MAX_STACK."""
    return max(1, min(MAX_STACK, math.ceil(n / max(1, slots))))


def wall(n: int, slots: int, size: int, step_s: float) -> float:
    """Seconds per training step of the family's slowest slot, `n` members in stacks of `size`."""
    stacks = math.ceil(n / size)
    return math.ceil(stacks / max(1, slots)) * step_s


def stack_size(n: int, slots: int, step_s: Mapping[int, float]) -> int:
    """The stack size, among those measured (`step_s`: seconds per step of a stack of each
    size), that trains `n` members on `slots` workers soonest; the smaller one on a tie
    within 5% (more jobs, less to lose if one fails)."""
    sizes = sorted(step_s)
    best = sizes[0]
    for size in sizes[1:]:
        if wall(n, slots, size, step_s[size]) < 0.95 * wall(n, slots, best, step_s[best]):
            best = size
    return best
