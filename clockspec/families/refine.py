"""Running a `vary.refine` family as rounds: each round's members are handed to a runner
(the family executor, as a black box) and their phases decide the next round's points.

Every round hands over all the points sampled so far, so the family folder always holds the
whole diagram and a finished member is reused, never trained again: the state of a
refinement is its folder. Killed mid-round and run again, the rounds before replay from
recorded clocks (the same phases, so the same points) and the interrupted round resumes.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from clockspec.families import lattice
from clockspec.families.expand import Expansion, expand_family, resolve_base
from clockspec.ir.phases import Phases
from clockspec.ir.spec import Family

# expansion -> member name -> its phase (lattice.FAILED for a member that did not finish),
# or None when the round was interrupted
Runner = Callable[[Expansion], "Mapping[str, str] | None"]


@dataclass
class Diagram:
    """What a refinement sampled: each point's values, seeds' phases and phase, by round."""

    family: Family
    phases: Phases
    xs: list[float]  # the finest lattice's values along x
    ys: list[float]
    points: list[lattice.Point] = field(default_factory=list)  # in the order sampled
    rounds: list[int] = field(default_factory=list)  # the round that sampled each point
    seed_phases: dict[lattice.Point, list[str]] = field(default_factory=dict)
    phase_at: dict[lattice.Point, str] = field(default_factory=dict)  # sampled points
    inferred: dict[lattice.Point, str] = field(default_factory=dict)  # implied by agreeing corners
    members: int = 0
    interrupted: bool = False
    stopped_by: str = ""  # resolution | budget | agreement

    def rows(self) -> list[dict[str, Any]]:
        """One row per sampled point, in the order sampled."""
        return [{"i": i, "j": j, "x": self.xs[i], "y": self.ys[j], "round": r, "phase": self.phase_at.get((i, j), ""),
                 "seeds": self.seed_phases.get((i, j), [])} for (i, j), r in zip(self.points, self.rounds)]


def refine(family: Family, run: Runner, base_dir: Any = None) -> Diagram:
    """Sample the family's region round by round until its resolution, its budget, or no
    cell whose corners disagree; stops early (interrupted) when a round is."""
    spec = family.vary.refine
    base = resolve_base(family, base_dir)
    xs, ys = lattice.axis_values(spec)
    diagram = Diagram(family, lattice.phases_of(family), xs, ys)
    new = lattice.coarse(spec)
    for rnd in range(spec.levels + 1):
        diagram.points += new
        diagram.rounds += [rnd] * len(new)
        exp = expand_family(lattice.points_family(family, diagram.points, base))
        found = run(exp)
        if found is None:
            diagram.interrupted = True
            return diagram
        _record(diagram, exp, found)
        if rnd == spec.levels:
            diagram.stopped_by = diagram.stopped_by or "resolution"
            break
        known = {**diagram.inferred, **diagram.phase_at}
        new, inferred = lattice.split_round(spec, known, rnd + 1, diagram.members)
        diagram.inferred.update(inferred)
        if spec.budget is not None and _cut(spec, known, rnd + 1, diagram.members, new):
            diagram.stopped_by = "budget"
        if not new:
            diagram.stopped_by = diagram.stopped_by or "agreement"
            break
    return diagram


def _record(diagram: Diagram, exp: Expansion, found: Mapping[str, str]) -> None:
    """Each member's phase onto its point; each point's phase over its seeds."""
    spec = diagram.family.vary.refine
    at_x = {v: i for i, v in enumerate(diagram.xs)}
    at_y = {v: j for j, v in enumerate(diagram.ys)}
    seeds: dict[lattice.Point, list[str]] = {}
    for member in exp.members:
        point = (at_x[member.assignment[spec.x.path]], at_y[member.assignment[spec.y.path]])
        seeds.setdefault(point, []).append(found.get(member.name, lattice.FAILED))
    diagram.seed_phases = seeds
    diagram.phase_at = {p: lattice.point_phase(v) for p, v in seeds.items()}
    diagram.members = len(exp.members)


def _cut(spec: Any, known: Mapping[lattice.Point, str], rnd: int, members: int, new: list) -> bool:
    """Whether the budget left out points that the round would otherwise sample."""
    unlimited = spec.model_copy(update={"budget": None})
    return len(lattice.split_round(unlimited, known, rnd, members)[0]) > len(new)
