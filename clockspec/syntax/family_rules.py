"""A family's own rules, checked on validation (so `clockspec check` catches them) and
compiled once for expansion: varied paths exist in the IR and are varied once, zip axes
have equal lengths, exclude conditions and the name template parse.
"""
from __future__ import annotations

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
        if axes is None:
            continue
        out.append((name, dict(axes.params) if name == "random" else dict(axes)))
    return out


def compile_rules(family: Family) -> tuple[Rules | None, list[Problem]]:
    problems: list[Problem] = []
    varied: list[str] = []
    sources: dict[str, tuple] = {}
    count = 1
    for comb, axes in combinator_axes(family):
        where = ("vary", comb, "params") if comb == "random" else ("vary", comb)
        if not axes:
            problems.append((where, f"vary.{comb} has no axes", None, 0))
        for path, values in axes.items():
            src = where + (path,)
            if path in sources:
                first = dotted(sources[path][:2])
                problems.append((src, f"'{path}' is varied twice (also in {first})",
                                 "vary each path in one place", 0))
                continue
            problem = paths.path_problem(path)
            if problem:
                problems.append((src, problem[0], problem[1], 0))
                continue
            if comb != "random" and not values:
                problems.append((src, f"'{path}' has no values", None, 0))
            varied.append(path)
            sources[path] = src
        if comb == "grid":
            for values in axes.values():
                count *= max(len(values), 1)
        elif comb == "zip":
            lengths = {p: len(v) for p, v in axes.items()}
            first_path, first_len = next(iter(lengths.items()), ("", 0))
            for path, n in lengths.items():
                if n != first_len:
                    problems.append((where + (path,), f"zip axes must have equal lengths: '{path}' has "
                                     f"{n} values, '{first_path}' has {first_len}", None, 0))
            count *= max(first_len, 1)
        elif comb == "one_at_a_time":
            count *= 1 + sum(len(v) for v in axes.values())
        elif comb == "random":
            count *= family.vary.random.n
    if count > MAX_MEMBERS:
        problems.append((("vary",), f"the family has {count} members; at most {MAX_MEMBERS} are allowed",
                         "split it into smaller families", 0))
    for path, dist in (family.vary.random.params.items() if family.vary.random else []):
        low, high = getattr(dist, "low", None), getattr(dist, "high", None)
        if low is not None and low > high:
            problems.append((("vary", "random", "params", path, "low"),
                             f"'{path}': low {low} is above high {high}", None, 0))
    keys = naming.short_keys(varied)
    exclude: list[Predicate] = []
    for i, text in enumerate(family.exclude):
        try:
            exclude.append(parse_predicate(text))
        except SourceError as exc:
            problems.append((("exclude", i), exc.message, exc.hint, exc.offset))
    template = None
    if family.name_template is not None:
        try:
            template = naming.parse_template(family.name_template, keys)
        except SourceError as exc:
            problems.append((("name_template",), exc.message, exc.hint, exc.offset))
    if problems:
        return None, problems
    return Rules(varied, keys, exclude, template), []
