"""The lattice of a `vary.refine` region and the rounds that sample it (docs/phases.md).

A point is a pair of lattice indices (i along x, j along y) on the finest lattice, whose
spacing is the coarse grid's over 2**levels. Round 0 samples the coarse grid; round r
halves every cell of side 2**(levels - r + 1) whose corners are known, sampling only where
its corners disagree (`split_round`): a phase that an edge's two agreeing ends imply is
inferred, not trained. Cells are taken in row order (y, then x) and a round stops at the
first cell whose new points would pass the budget, so the same phases give the same points.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.ir.phases import DEFAULT_PHASES, Phases, parse_phases
from clockspec.ir.refine import Refine
from clockspec.ir.spec import Experiment, Family, Vary
from clockspec.syntax.provenance import remember_source, source_of

Point = tuple[int, int]
MIXED = "mixed"  # a point whose seeds split evenly between phases
FAILED = "failed"  # a point none of whose seeds finished


def axis_values(refine: Refine) -> tuple[list[float], list[float]]:
    """The finest lattice's values along x and along y."""
    n = refine.size - 1
    return ([refine.x.value(i / n) for i in range(n + 1)], [refine.y.value(j / n) for j in range(n + 1)])


def coarse(refine: Refine) -> list[Point]:
    step = 2 ** refine.levels
    return [(i, j) for j in range(0, refine.size, step) for i in range(0, refine.size, step)]


def split_round(refine: Refine, known: Mapping[Point, str], rnd: int,
                members: int) -> tuple[list[Point], dict[Point, str]]:
    """The points round `rnd` (1..levels) samples, and the phases it infers, given each known
    point's phase (sampled, or inferred before) and the members sampled so far.

    A cell of this round's side whose corners are known is halved; where its corners agree,
    its children's corners take that phase (inferred: nothing trained); where they disagree,
    the midpoint of each edge whose ends disagree and the cell's centre are sampled, and the
    midpoint of an edge whose ends agree takes their phase. A round stops at the first cell
    whose samples would pass the budget."""
    side = 2 ** (refine.levels - rnd + 1)
    half = side // 2
    new: list[Point] = []
    inferred: dict[Point, str] = {}
    for j0 in range(0, refine.size - 1, side):
        for i0 in range(0, refine.size - 1, side):
            corners = [(i0, j0), (i0 + side, j0), (i0, j0 + side), (i0 + side, j0 + side)]
            if not all(c in known for c in corners):
                continue
            if len({known[c] for c in corners}) == 1:
                for b in range(3):
                    for a in range(3):
                        point = (i0 + a * half, j0 + b * half)
                        if point not in known:
                            inferred.setdefault(point, known[corners[0]])
                continue
            added = []
            for (a, b), ends in _EDGES.items():
                point = (i0 + a * half, j0 + b * half)
                one, two = (known[(i0 + e * half, j0 + f * half)] for e, f in ends)
                if one == two:
                    if point not in known:
                        inferred.setdefault(point, one)
                elif point not in known and point not in new and point not in added:
                    added.append(point)
            centre = (i0 + half, j0 + half)
            if centre not in known and centre not in new:
                added.append(centre)
            if refine.budget is not None and members + (len(new) + len(added)) * refine.per_point > refine.budget:
                return new, inferred
            new += added
    return new, {p: v for p, v in inferred.items() if p not in new}


# a cell's edge midpoints (in half sides from its corner) -> the two corners the edge joins
_EDGES = {(1, 0): ((0, 0), (2, 0)), (0, 1): ((0, 0), (0, 2)), (2, 1): ((2, 0), (2, 2)), (1, 2): ((0, 2), (2, 2))}


def point_phase(phases: Iterable[str]) -> str:
    """A point's phase over its seeds: the one most seeds have; `mixed` when two or more
    tie for most; `failed` when no seed finished (failed seeds are left out of the vote)."""
    counts = Counter(p for p in phases if p != FAILED)
    if not counts:
        return FAILED
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return MIXED
    return ranked[0][0]


def points_family(family: Family, points: list[Point], base: Experiment | None = None) -> Family:
    """The refine family's members at `points` as an ordinary family: the two axes zipped,
    the seeds as a grid (each point's seeds side by side); errors still point into its file."""
    refine = family.vary.refine
    xs, ys = axis_values(refine)
    vary = {"zip": {refine.x.path: [xs[i] for i, _ in points], refine.y.path: [ys[j] for _, j in points]}}
    if refine.seeds:
        vary["grid"] = {"seed": list(refine.seeds)}
    out = family.model_copy(update={"vary": Vary.model_validate(vary), "base": base or family.base})
    found = source_of(family)
    if found:
        remember_source(out, found[0], found[1])
    return out


def distinct_values(refine: Refine) -> str | None:
    """Why the lattice cannot be sampled: two of its points round to one value."""
    for axis, values in zip(("x", "y"), axis_values(refine)):
        if len(set(values)) != len(values):
            return (f"vary.refine.{axis}: {refine.size} points between {getattr(refine, axis).low} and "
                    f"{getattr(refine, axis).high} round to repeated values; use fewer levels or a wider range")
    return None


def phases_of(family: Family) -> Phases:
    """The family's phase rules (the default four when it names none)."""
    return parse_phases(family.phases if family.phases is not None else DEFAULT_PHASES)


def check_clocks(family: Family, base: Experiment, file: str, where: tuple[int, int]) -> None:
    """Every clock a phase rule reads is one of the base's clocks."""
    phases = phases_of(family)
    missing = sorted(phases.clocks - set(base.clocks))
    if missing:
        rules = "the phase rules" if family.phases is not None else "the default phase rules (Liu et al. 2022)"
        raise SpecError([Diagnostic(
            f"{rules} read the clock{'s' if len(missing) > 1 else ''} {', '.join(missing)}, which the base "
            f"does not define (its clocks: {', '.join(base.clocks) or 'none'})", file, *where,
            "define them in the base, or name the family's phases over its own clocks")])


def describe(family: Family) -> str:
    """What running a refine family will do, in words (`clockspec expand` / `explain`)."""
    spec = family.vary.refine
    xs, ys = axis_values(spec)
    seeds = f"seeds {', '.join(map(str, spec.seeds))}" if spec.seeds else "the base's seed"
    first = spec.coarse ** 2
    most = spec.size ** 2 * spec.per_point
    budget = (f"at most {spec.budget} members (budget)" if spec.budget is not None
              else f"at most {most} members (every lattice point)")
    lines = [
        f"refine {spec.x.path} x {spec.y.path}, each point with {seeds}:",
        f"  x: {spec.x.scale} {spec.x.low:g}..{spec.x.high:g}; y: {spec.y.scale} {spec.y.low:g}..{spec.y.high:g}; "
        f"finest lattice {spec.size} x {spec.size} (x {', '.join(f'{v:g}' for v in xs)}; "
        f"y {', '.join(f'{v:g}' for v in ys)})",
        f"  round 0: the coarse grid, {spec.coarse} x {spec.coarse} points ({first * spec.per_point} members);",
        f"  rounds 1..{spec.levels}: each cell whose four corners disagree in phase is halved (its children's "
        f"corners sampled), in row order; {budget}",
        "  a point's phase: the majority of its seeds' (mixed on a tie), each seed's from its clocks by the rules:",
    ]
    lines += [f"    {name}: {rule}" for name, rule in phases_of(family).texts().items()]
    return "\n".join(lines)
