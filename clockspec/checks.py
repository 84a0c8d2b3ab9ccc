"""Cross-field checks of a validated spec that a single field cannot express."""
from __future__ import annotations

from typing import Any

from .errors import did_you_mean
from .ir import Experiment, Family

Problem = tuple  # (path, message, hint), or with a column offset into the value as a 4th item


def check_semantics(spec: Experiment | Family) -> list[Problem]:
    if isinstance(spec, Family):
        from .families.rules import compile_rules

        problems: list = list(compile_rules(spec)[1])
        if isinstance(spec.base, Experiment):
            problems += [(("base",) + path, msg, hint) for path, msg, hint in clock_references(spec.base)]
        return problems
    return clock_references(spec)


def clock_references(spec: Experiment) -> list[Problem]:
    """`after` and `stop.after` must name clocks, and `after` chains must not loop."""
    names = list(spec.clocks)
    out: list[Problem] = []
    for name, clock in spec.clocks.items():
        if clock.after is not None and clock.after not in spec.clocks:
            out.append((("clocks", name), f"clock '{name}' runs after unknown clock '{clock.after}'",
                        did_you_mean(clock.after, names)))
    for i, name in enumerate(spec.stop.after):
        if name not in spec.clocks:
            out.append((("stop", "after", i), f"stop.after names unknown clock '{name}'",
                        did_you_mean(name, names) or (f"clocks: {', '.join(names)}" if names else "no clocks are defined")))
    for name in names:
        seen = [name]
        cur: Any = spec.clocks[name].after
        while cur in spec.clocks and cur not in seen:
            seen.append(cur)
            cur = spec.clocks[cur].after
        if cur == name:
            out.append((("clocks", name), "clocks form an 'after' cycle: " + " -> ".join(seen + [name]), None))
    return out
