"""Which way a family's batchable members train soonest: stacks, or one by one.

A stack of K members costs more per step than one member and less than K (the per-step
overhead is shared; the arithmetic is not, and a big stack can fall out of the caches), so
whether stacking pays depends on the model and the machine. Either way each member's
trajectory is the same (runtime/stacked.py): this choice is only about time, never results.

The choice (`choose`) is a pure function of the seconds per step of a stack of each size
and compares the family's wall clock, not one step: `n` members on `slots` workers train in
rounds (one by one, `slots` members at a time; in stacks, `slots` stacks at a time). The
seconds come, in order of trust, from a calibration (`calibrated`: a worker on every slot
times stacks of one and of K interleaved, a few times each, so the load of the moment and the
contention between slots weigh on both alike; the median is taken), else from the plan's
cost model (`modelled`: a fixed per-step overhead that a stack pays once, plus the FLOPs of
each member at compile_cost.EAGER_FLOPS). The model alone decides where it is decisive, or
where the family is too short for a calibration to pay (`worth_calibrating`); a calibration
runs only where it may change the choice. Stacks are taken only when they are predicted to be
at least MARGIN faster (MODEL_MARGIN by the model alone), since a member alone also keeps
checkpoints and frees its slot when it stops early.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clockspec.compiler.compile_cost import EAGER_FLOPS

MAX_STACK = 64  # members in one stack, at most
MARGIN = 0.05  # stacks must be measured this much faster than one by one
# ... and modelled this much faster: the model sees no caches nor slots contending (two stacks
# of 3 quickstart members, probed every 50 steps, ran 1.4x slower side by side than one by
# one did, and tied in one process; docs/families.md)
MODEL_MARGIN = 0.2
# Seconds of a step that do not grow with the members stacked (Python, op dispatch, the
# optimizer's loop): 0.5-0.6 ms for a p=23 embed_mlp alone on the 2-core CI machine, whose 8
# stacked members cost 1.3 ms (docs/families.md, "Measured").
STEP_OVERHEAD_S = 5e-4
DECISIVE = 2.0  # a modelled speed-up from stacking beyond this is taken without calibrating
CALIBRATION_ROUNDS = 3  # interleaved blocks of each size
CALIBRATION_BLOCK_S = 0.03  # seconds of steps per block, at least CALIBRATION_MIN_STEPS
CALIBRATION_MIN_STEPS = 3
CALIBRATION_SETUP_S = 0.5  # building the two stacks and their warm-up steps, roughly
CALIBRATION_SHARE = 0.05  # of the family's predicted wall clock, at most, to spend calibrating


@dataclass(frozen=True)
class Timing:
    """Seconds per training step of one stack of each size (`step_s`), whence they come, and
    so how much faster stacks must be predicted to be taken (`margin`)."""

    step_s: Mapping[int, float]
    source: str
    margin: float = MARGIN  # how much faster stacks must be predicted, from this source


@dataclass(frozen=True)
class Choice:
    """The stack size taken (1: one by one), the predicted wall clock of the family's steps
    one by one and with the best stacks, and why, in a sentence."""

    size: int
    alone_s: float
    stacked_s: float
    reason: str


def largest_useful(n: int, slots: int) -> int:
    """The stack size that still gives every slot a job: ceil(n / slots), at most MAX_STACK."""
    return max(1, min(MAX_STACK, math.ceil(n / max(1, slots))))


def slot_share(jobs: int, group: int, members: int) -> int:
    """The slots a group of `group` of the family's `members` new members can expect."""
    return max(1, round(jobs * group / max(1, members)))


def step_at(step_s: Mapping[int, float], size: int) -> float:
    """Seconds per step of a stack of `size`, on the line through the smallest and largest
    sizes measured (a shared overhead plus each member's arithmetic)."""
    low, high = min(step_s), max(step_s)
    if high == low:
        return step_s[low] * size / low
    return step_s[low] + (step_s[high] - step_s[low]) * (size - low) / (high - low)


def family_seconds(n: int, slots: int, size: int, step_s: Mapping[int, float], steps: int) -> float:
    """Wall seconds of `n` members' `steps` steps in stacks of `size` on `slots` workers:
    ceil(stacks / slots) rounds of one stack's steps."""
    rounds = math.ceil(math.ceil(n / size) / max(1, slots))
    return rounds * steps * step_at(step_s, size)


def choose(n: int, slots: int, steps: int, timing: Timing) -> Choice:
    """The stack size (1..largest_useful) that trains `n` members on `slots` workers soonest;
    one by one unless a stack is predicted the timing's margin faster."""
    largest = largest_useful(n, slots)
    alone = family_seconds(n, slots, 1, timing.step_s, steps)
    walls = {size: family_seconds(n, slots, size, timing.step_s, steps) for size in range(2, largest + 1)}
    if not walls:
        return Choice(1, alone, alone, f"{n} member(s) on {slots} slot(s): every member has a slot of its own")
    best = min(walls, key=lambda s: (walls[s], s))
    ratio = alone / walls[best]
    measured = (f"{timing.step_s[1] * 1e3:.2f} ms per step alone, {step_at(timing.step_s, largest) * 1e3:.2f} ms "
                f"for {largest} stacked ({timing.source})")
    if walls[best] <= (1 - timing.margin) * alone:
        return Choice(best, alone, walls[best], f"{measured}: stacks of {best} train the {n} members on {slots} "
                      f"slot(s) {ratio:.2f}x as fast as one by one")
    return Choice(1, alone, walls[best], f"{measured}: stacks of {best} would take {1 / ratio:.1%} of the time "
                  f"one by one takes, not the {1 - timing.margin:.0%} or less that they must")


def modelled(flops_per_step: float, largest: int) -> Timing:
    """The plan's cost model: STEP_OVERHEAD_S once per stack, plus each member's FLOPs."""
    per_member = flops_per_step / EAGER_FLOPS
    return Timing({1: STEP_OVERHEAD_S + per_member, largest: STEP_OVERHEAD_S + largest * per_member},
                  "the plan's cost model", MODEL_MARGIN)


def calibration_steps(step_s: float) -> int:
    """Steps per timed block of a stack whose step takes about `step_s`."""
    return max(CALIBRATION_MIN_STEPS, round(CALIBRATION_BLOCK_S / max(step_s, 1e-9)))


def calibration_seconds(prior: Timing, largest: int) -> float:
    """What a calibration costs the family, predicted: every slot calibrates at once, so its
    wall clock is one calibration's: setup, then the rounds of timed blocks of each size."""
    blocks = sum(calibration_steps(prior.step_s[s]) * prior.step_s[s] for s in (1, largest))
    return CALIBRATION_SETUP_S + CALIBRATION_ROUNDS * blocks


def worth_calibrating(n: int, slots: int, steps: int, prior: Timing, jobs: int | None = None) -> bool:
    """Whether a calibration may change the prior's choice and costs at most
    CALIBRATION_SHARE of the time it may save: not when the prior says stacks gain more than
    DECISIVE, nor when the group's steps are too short. A calibration holds up the whole
    family (`jobs` slots, default `slots`), while the group trains on its `slots`: its budget
    is that share of the group's time."""
    largest = largest_useful(n, slots)
    if largest == 1:
        return False
    choice = choose(n, slots, steps, prior)
    if choice.alone_s >= DECISIVE * choice.stacked_s:
        return False
    return calibration_seconds(prior, largest) <= calibration_budget(choice, slots, jobs)


def calibration_budget(choice: Choice, slots: int, jobs: int | None = None) -> float:
    """Seconds a calibration may take: CALIBRATION_SHARE of the group's predicted time, in
    the share of the family's `jobs` slots that the group's `slots` are (it holds up all)."""
    return CALIBRATION_SHARE * min(choice.alone_s, choice.stacked_s) * slots / (jobs or slots)


def calibrated(results: Sequence[Mapping[str, Any]]) -> Timing:
    """A calibration's Timing from each slot's `worker.calibrate` result (`step_s`: size ->
    interleaved samples; `seconds`): per size, the median of every slot's samples."""
    sizes = set.intersection(*(set(r["step_s"]) for r in results))
    step_s = {size: statistics.median([x for r in results for x in r["step_s"][size]]) for size in sizes}
    seconds = max(r["seconds"] for r in results)
    return Timing(step_s, f"calibrated on {len(results)} slot(s) at once in {seconds:.1f} s")
