"""A family's own rules, checked on validation (so `clockspec check` catches them) and
compiled once for expansion: varied paths exist in the IR and are varied once, zip axes
have equal lengths, exclude conditions and the name template parse.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clockspec.core.errors import SourceError
from clockspec.ir import paths
from clockspec.ir.spec import Family
from clockspec.syntax import naming
from clockspec.syntax.predicate import Predicate, parse_predicate
from clockspec.syntax.source import dotted

# (path in the family document, message, hint, column offset into the value)
Problem = tuple[tuple, str, Any, int]
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class Rules:
    varied: list[str]  # every varied path, in composition order
    keys: dict[str, str]  # varied path -> short key
    exclude: list[Predicate]
    template: naming.Template | None


def combinator_axes(family: Family) -> list[tuple[str, dict[str, Any]]]:
    """(combinator, {path: values or distribution}) in composition order."""
    vary = family.vary
    out: list[tuple[str, dict[str, Any]]] = []
    for name in type(vary).model_fields:
        axes = getattr(vary, name)
        if axes is None or name == "refine":  # not a fixed set of values: clockspec.families.refine
            continue
        out.append((name, dict(axes.params) if name == "random" else dict(axes)))
    return out


def compile_rules(family: Family) -> tuple[Rules | None, list[Problem]]:
    """The family's rules, or every problem that keeps it from expanding."""
    problems: list[Problem] = []
    sources: dict[str, tuple] = {}  # each well-formed varied path -> where the family varies it
    for comb, axes in combinator_axes(family):
        problems += _axes_problems(comb, axes, sources)
    varied = list(sources)
    count = member_count(family)
    if count > MAX_MEMBERS:
        problems.append((("vary",), f"the family has {count} members; at most {MAX_MEMBERS} are allowed",
                         "split it into smaller families", 0))
    for path, dist in (family.vary.random.params.items() if family.vary.random else []):
        low, high = getattr(dist, "low", None), getattr(dist, "high", None)
        if low is not None and low > high:
            problems.append((("vary", "random", "params", path, "low"),
                             f"'{path}': low {low} is above high {high}", None, 0))
    keys = naming.short_keys(varied)
    exclude = [_parsed(("exclude", i), problems, parse_predicate, text) for i, text in enumerate(family.exclude)]
    template = None
    if family.name_template is not None:
        template = _parsed(("name_template",), problems, naming.parse_template, family.name_template, keys)
    problems += refine_problems(family) + phase_problems(family)
    if problems:
        return None, problems
    return Rules(varied, keys, exclude, template), []


def _axes_problems(comb: str, axes: dict[str, Any], sources: dict[str, tuple]) -> list[Problem]:
    """One combinator's axes: each path well-formed, varied once, with values (zip: as
    many for each); the good paths join `sources`."""
    where = ("vary", comb, "params") if comb == "random" else ("vary", comb)
    problems: list[Problem] = [] if axes else [(where, f"vary.{comb} has no axes", None, 0)]
    for path, values in axes.items():
        src = where + (path,)
        if path in sources:
            problems.append((src, f"'{path}' is varied twice (also in {dotted(sources[path][:2])})",
                             "vary each path in one place", 0))
            continue
        problem = paths.path_problem(path)
        if problem:
            problems.append((src, problem[0], problem[1], 0))
            continue
        if comb != "random" and not values:
            problems.append((src, f"'{path}' has no values", None, 0))
        sources[path] = src
    if comb == "zip":
        lengths = {p: len(v) for p, v in axes.items()}
        first_path, first_len = next(iter(lengths.items()), ("", 0))
        problems += [(where + (path,), f"zip axes must have equal lengths: '{path}' has "
                      f"{n} values, '{first_path}' has {first_len}", None, 0)
                     for path, n in lengths.items() if n != first_len]
    return problems


def refine_problems(family: Family) -> list[Problem]:
    """A refine region stands alone (its members are chosen as it runs) on two real paths."""
    refine = family.vary.refine
    if refine is None:
        return []
    where = ("vary", "refine")
    others = [c for c, _ in combinator_axes(family)]
    out: list[Problem] = [(where, f"vary.refine cannot be combined with vary.{others[0]}",
                           "give seeds in vary.refine.seeds; run other variations as families of their own", 0)
                          ] if others else []
    if family.exclude:
        out.append((("exclude",), "exclude cannot be used with vary.refine (a cell needs all its corners)", None, 0))
    if family.name_template is not None:
        out.append((("name_template",), "name_template cannot be used with vary.refine (points are named by "
                    "their values)", None, 0))
    first = refine.coarse ** 2 * refine.per_point
    if refine.budget is not None and refine.budget < first:
        out.append((where + ("budget",), f"a budget of {refine.budget} members is less than the coarse grid's "
                    f"{first} ({refine.coarse} x {refine.coarse} points x {refine.per_point} seeds)", None, 0))
    for axis in ("x", "y"):
        problem = paths.path_problem(getattr(refine, axis).path)
        if problem:
            out.append((where + (axis, "path"), problem[0], problem[1], 0))
    return out


def phase_problems(family: Family) -> list[Problem]:
    """Each phase rule parses, at most one is `otherwise`, and no clock outcome is claimed
    by two phases or by none (clock names are checked against the base on expansion)."""
    if family.phases is None:
        return []
    from clockspec.ir.phases import parse_phases

    try:
        phases = parse_phases(family.phases)
    except SourceError as exc:
        return [(("phases", exc.phase) if hasattr(exc, "phase") else ("phases",),
                 exc.message, exc.hint, exc.offset)]
    problem = phases.check()
    return [(("phases",), problem, None, 0)] if problem else []


def member_count(family: Family) -> int:
    """How many combinations the combinators make, before exclusions and merging."""
    count = 1
    for comb, axes in combinator_axes(family):
        if comb == "grid":
            count *= math.prod(max(len(values), 1) for values in axes.values())
        elif comb == "zip":
            count *= max(len(next(iter(axes.values()), [])), 1)
        elif comb == "one_at_a_time":
            count *= 1 + sum(len(v) for v in axes.values())
        elif comb == "random":
            count *= family.vary.random.n
    return count


def _parsed(where: tuple, problems: list[Problem], parse: Callable[..., Any], *args: Any) -> Any:
    """`parse(*args)` of a text in the family, or None with its problem recorded at `where`."""
    try:
        return parse(*args)
    except SourceError as exc:
        problems.append((where, exc.message, exc.hint, exc.offset))
        return None
