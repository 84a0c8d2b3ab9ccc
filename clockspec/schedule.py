"""When probes run: the steps of a probe schedule (step 0 and the final step included)."""
from __future__ import annotations

from .ir import Probes


def probe_steps(probes: Probes, steps: int) -> list[int]:
    if probes.schedule == "every":
        out = list(range(0, steps + 1, probes.every))
    else:  # about `points` steps spaced evenly in log(step) between 1 and `steps`
        n = probes.points - 1
        out = sorted({0} | {round(steps ** (i / (n - 1))) for i in range(n)} if n > 1 else {0, steps})
    if out[-1] != steps:
        out.append(steps)
    return out


def count_probes(probes: Probes, steps: int) -> int:
    """len(probe_steps(...)) without listing a long `every` schedule."""
    if probes.schedule == "every":
        return steps // probes.every + 1 + (steps % probes.every != 0)
    return len(probe_steps(probes, steps))
