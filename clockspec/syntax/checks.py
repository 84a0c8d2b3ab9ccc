"""Cross-field checks of a spec that a single field cannot express."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clockspec.core.errors import did_you_mean
from clockspec.ir.spec import Experiment, Family

Problem = tuple  # (path, message, hint), or with a column offset into the value as a 4th item


def check_semantics(spec: Experiment | Family) -> list[Problem]:
    if isinstance(spec, Family):
        from clockspec.syntax.family_rules import compile_rules

        problems: list = list(compile_rules(spec)[1])
        if isinstance(spec.base, Experiment):
            problems += [(("base",) + path, msg, hint) for path, msg, hint in check_semantics(spec.base)]
        return problems
    return clock_references({name: clock.after for name, clock in spec.clocks.items()}, spec.stop.after)


def clock_references(afters: Mapping[str, Any], stop_after: Sequence[Any]) -> list[Problem]:
    """`after` and `stop.after` must name clocks, and `after` chains must not loop.

    Takes clock name -> the clock it runs after (or None), so that it can check a spec
    whose other fields failed validation too (see `validate`): every error in one pass.
    """
    names = list(afters)
    out: list[Problem] = []
    for name, after in afters.items():
        if after is not None and after not in afters:
            out.append((("clocks", name), f"clock '{name}' runs after unknown clock '{after}'",
                        did_you_mean(after, names) or _known(names)))
    for i, name in enumerate(stop_after):
        if name not in afters:
            out.append((("stop", "after", i), f"stop.after names unknown clock '{name}'",
                        did_you_mean(name, names) or _known(names)))
    in_a_cycle: set[str] = set()
    for name in names:
        chain = [name]
        cur = afters[name]
        while cur in afters and cur not in chain:
            chain.append(cur)
            cur = afters[cur]
        if cur == name and name not in in_a_cycle:
            in_a_cycle.update(chain)
            if len(chain) == 1:
                out.append((("clocks", name), f"clock '{name}' runs after itself", None))
            else:
                out.append((("clocks", name), "clocks form an 'after' cycle: " + " -> ".join(chain + [name]),
                            "a clock can only start once the clock it runs after has fired"))
    return out


def _known(names: list[str]) -> str:
    return f"clocks: {', '.join(names)}" if names else "no clocks are defined"
