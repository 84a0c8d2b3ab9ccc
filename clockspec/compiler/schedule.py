"""When probes run: the steps of a probe schedule (step 0 and the final step included)."""
from __future__ import annotations

from clockspec.ir.spec import Probes


def probe_steps(probes: Probes, steps: int) -> list[int]:
    if probes.schedule == "every":
        out = list(range(0, steps + 1, probes.every))
        return out if out[-1] == steps else out + [steps]
    return [0] + log_steps(probes.points - 1, steps)


def log_steps(n: int, steps: int) -> list[int]:
    """n distinct steps in [1, steps], evenly spaced in log(step) where rounding allows
    (early ones, where log spacing is finer than one step, are consecutive); fewer only
    when n > steps. The last is always `steps`."""
    if n <= 1:
        return [steps]
    out: list[int] = []
    for i in range(n):
        step = max(round(steps ** (i / (n - 1))), out[-1] + 1 if out else 1)
        if step > steps:
            break
        out.append(step)
    if out[-1] != steps:
        out.append(steps)
    return out


def count_probes(probes: Probes, steps: int) -> int:
    """len(probe_steps(...)) without listing a long `every` schedule."""
    if probes.schedule == "every":
        return steps // probes.every + 1 + (steps % probes.every != 0)
    return len(probe_steps(probes, steps))
