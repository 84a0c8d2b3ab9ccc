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
           device: str | None = None, jobs: int | None = None) -> tuple[cost.Choice, str | None]:
    """The choice for `group` on `slots` of the family's `jobs` workers, and why a
    calibration did not count (None when it did or was not wanted). `calibrate`: a
    backend's (`worker.calibrate` in a worker), called once per slot at the same time, so the
    slots contend as their jobs will."""
    n, steps = len(group), group[0].spec.train.steps
    timing = prior(group, slots)
    note = None
    if calibrate is not None and cost.worth_calibrating(n, slots, steps, timing, jobs):
        sizes = [1, cost.largest_useful(n, slots)]
        payload = worker.payload(group[0].spec)
        try:
            with ThreadPoolExecutor(slots) as pool:
                # first every worker starts (imports torch: seconds, unevenly), so that the
                # timed calibrations then run side by side
                for sized in ([], sizes):
                    results = list(pool.map(lambda _, sized=sized: calibrate(payload, sized, threads, device),
                                            range(slots)))
            timing = cost.calibrated(results)
        except Exception as exc:  # the members' own jobs will say what fails; alone, each says it for itself
            note = f"calibrating a stack of {sizes[1]} failed ({type(exc).__name__}: {exc})"
    return cost.choose(n, slots, steps, timing), note


def explain(exp: Any, jobs: int) -> str:
    """What `clockspec run` will do with the family's members, said before anything runs
    (every member new; what the store already holds is skipped then): for each group that
    may share a stack, the choice from the plan's cost model, and whether a calibration on
    the slots will refine it."""
    from clockspec.compiler import batching
    from clockspec.compiler.plan import compile as compile_plan

    specs = [m.spec for m in exp.members]
    groups = batching.groups(specs)
    lines = [f"family {exp.family.family}: {len(specs)} members in {len(groups)} group(s) that may share a stack, "
             f"on {jobs} slot(s) (--jobs)"]
    for k, group in enumerate(groups, 1):
        plans = [compile_plan(specs[i]) for i in group]
        slots = cost.slot_share(jobs, len(group), len(specs))
        choice, _ = decide(plans, slots, jobs=jobs)
        timing = prior(plans, slots)
        names = ", ".join(specs[i].name for i in group[:3]) + (", ..." if len(group) > 3 else "")
        what = f"stacks of {choice.size}" if choice.size > 1 else "one by one"
        lines += [f"  group {k}: {len(group)} member(s) ({names}) on {slots} slot(s): {what}",
                  f"    why: {choice.reason}",
                  f"    at run time: {_calibration_plan(len(group), slots, jobs, plans[0].spec.train.steps, timing)}"]
    return "\n".join(lines) + "\n"


def _calibration_plan(n: int, slots: int, jobs: int, steps: int, timing: cost.Timing) -> str:
    """Whether the executor will calibrate this group, and why (not)."""
    largest = cost.largest_useful(n, slots)
    if largest == 1:
        return "no calibration (nothing to stack)"
    seconds = cost.calibration_seconds(timing, largest)
    if cost.worth_calibrating(n, slots, steps, timing, jobs):
        return (f"a calibration on every slot at once (~{seconds:.1f} s) times stacks of 1 and {largest} and may "
                "change this choice")
    choice = cost.choose(n, slots, steps, timing)
    if choice.alone_s >= cost.DECISIVE * choice.stacked_s:
        return f"no calibration: the model's gain from stacking is over {cost.DECISIVE:.0f}x"
    group_s = min(choice.alone_s, choice.stacked_s)
    return (f"no calibration: it would hold up all {jobs} slot(s) ~{seconds:.1f} s, more than its budget of "
            f"~{cost.calibration_budget(choice, slots, jobs):.2f} s ({cost.CALIBRATION_SHARE:.0%} of this group's "
            f"~{group_s:.1f} s, for its {slots} of the {jobs} slot(s))")
