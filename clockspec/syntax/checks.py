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
    return (clock_references({name: clock.after for name, clock in spec.clocks.items()}, spec.stop.after)
            + snapshot_references(spec))


def snapshot_references(spec: Experiment) -> list[Problem]:
    """`snapshots.at` names clocks that fire while the run goes on (a snapshot is taken then)."""
    if spec.snapshots is None:
        return []
    suggest = _Suggestions(list(spec.clocks))
    out: list[Problem] = []
    for i, name in enumerate(spec.snapshots.at):
        if name not in spec.clocks:
            out.append((("snapshots", "at", i), f"snapshots.at names unknown clock '{name}'", suggest(name)))
        elif not spec.clocks[name].online:
            out.append((("snapshots", "at", i), f"clock '{name}' is decided only from the whole run, after it "
                        "ends; a snapshot is taken while training", "snapshot a first, enter or settle clock"))
    return out


# A spec measures a handful of clocks (the shipped ones 2 to 6); every clock is judged on
# every probe row at run time. 1,000 is far past any honest spec and keeps every check of
# the clocks (each parsed by its grammar) well under a second.
MAX_CLOCKS = 1_000
# did-you-mean compares a name with every clock: past this many unknown names the hint lists
# the clocks instead, so a spec of thousands of unknown names stays linear.
MAX_SUGGESTIONS = 20


def too_many_clocks(data: Mapping[str, Any]) -> list[Problem]:
    """More clocks (or `stop.after` names) than MAX_CLOCKS, checked on the raw data before
    any clock is parsed, so a spec of 100,000 clocks costs a count, not 100,000 parses."""
    out: list[Problem] = []
    for prefix, spec in (((), data), (("base",), data.get("base"))):
        if not isinstance(spec, Mapping):
            continue
        stop = spec.get("stop")
        for path, items in ((("clocks",), spec.get("clocks")),
                            (("stop", "after"), stop.get("after") if isinstance(stop, Mapping) else None)):
            if isinstance(items, (Mapping, list)) and len(items) > MAX_CLOCKS:
                out.append((prefix + path, f"{'.'.join(path)}: {len(items):,} clocks; a spec may have at most "
                            f"{MAX_CLOCKS:,}", None))
    return out


def clock_references(afters: Mapping[str, Any], stop_after: Sequence[Any]) -> list[Problem]:
    """`after` and `stop.after` must name clocks, and `after` chains must not loop.

    Takes clock name -> the clock it runs after (or None), so that it can check a spec
    whose other fields failed validation too (see `validate`): every error in one pass.
    Linear in the number of clocks (each is walked once).
    """
    names = list(afters)
    suggest = _Suggestions(names)
    out: list[Problem] = []
    for name, after in afters.items():
        if after is not None and after not in afters:
            out.append((("clocks", name), f"clock '{name}' runs after unknown clock '{after}'", suggest(after)))
    for i, name in enumerate(stop_after):
        if name not in afters:
            out.append((("stop", "after", i), f"stop.after names unknown clock '{name}'", suggest(name)))
    return out + [_cycle_problem(cycle) for cycle in after_cycles(afters)]


def after_cycles(afters: Mapping[str, Any]) -> list[list[str]]:
    """Each `after` cycle once, starting at its clock written first; every clock is walked once."""
    order = {name: i for i, name in enumerate(afters)}
    done: set[str] = set()
    cycles: list[list[str]] = []
    for name in afters:
        walk: dict[str, int] = {}  # clock -> its place on this walk
        cur = name
        while cur in afters and cur not in done and cur not in walk:
            walk[cur] = len(walk)
            cur = afters[cur]
        if cur in walk:
            cycle = list(walk)[walk[cur]:]
            first = min(range(len(cycle)), key=lambda i: order[cycle[i]])
            cycles.append(cycle[first:] + cycle[:first])
        done.update(walk)
    return sorted(cycles, key=lambda cycle: order[cycle[0]])


def _cycle_problem(cycle: list[str]) -> Problem:
    if len(cycle) == 1:
        return ("clocks", cycle[0]), f"clock '{cycle[0]}' runs after itself", None
    return (("clocks", cycle[0]), "clocks form an 'after' cycle: " + " -> ".join(cycle + [cycle[0]]),
            "a clock can only start once the clock it runs after has fired")


class _Suggestions:
    """did-you-mean for unknown clock names, at most MAX_SUGGESTIONS times a spec."""

    def __init__(self, names: list[str]):
        self.names, self.left = names, MAX_SUGGESTIONS

    def __call__(self, word: str) -> str | None:
        close = None
        if self.left > 0:
            self.left -= 1
            close = did_you_mean(word, self.names)
        return close or _known(self.names)


def _known(names: list[str]) -> str:
    if not names:
        return "no clocks are defined"
    shown = ", ".join(names[:MAX_SUGGESTIONS])
    return f"clocks: {shown}" + (f" and {len(names) - MAX_SUGGESTIONS} more" if len(names) > MAX_SUGGESTIONS else "")
