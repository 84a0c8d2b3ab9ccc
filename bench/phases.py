"""Phase diagram: the dense grid against the refined family over the same region.

Trains specs/paper/liu-2022-phases-dense.yaml (every point of a 9 x 9 lattice) and
specs/paper/liu-2022-phases.yaml (the same lattice, refined where corners disagree, within
its budget) into separate folders (nothing reused between them), and prints the members each
trained, the wall time of each, and the share of the dense grid's points whose phase the
refined diagram gives (its nearest sampled point's phase, the estimate phases.png draws).
Then the refinement is replayed with the goal's budget (35% of the dense members) on the
dense grid's recorded phases: a refined member is the dense member at that point (the same
spec, so the same train hash and, trained alone or in a stack, the same metrics bit for bit),
so the replay trains nothing and gives what a run with that budget would.
Goal: >= 95% agreement with <= 35% of the dense grid's members.

    nice python bench/phases.py [--jobs N] [--out DIR]
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from clockspec.families.expand import expand_family
from clockspec.families.lattice import phases_of
from clockspec.families.refine import refine
from clockspec.orchestrate.execute import run_family
from clockspec.orchestrate.refine_run import grid_setup, run_refine
from clockspec.report.family_folder import read_family_folder
from clockspec.report.phase_table import nearest_phase, normalised, read_setup, tabulate, write_setup
from clockspec.syntax.loading import load

ROOT = Path(__file__).resolve().parent.parent
DENSE, REFINED = ROOT / "specs/paper/liu-2022-phases-dense.yaml", ROOT / "specs/paper/liu-2022-phases.yaml"
TRAINED = ("complete", "diverged", "failed")


def dense(out: Path, jobs: int):
    exp = expand_family(DENSE)
    began = time.monotonic()
    outcome = run_family(exp, out=out, jobs=jobs, quiet=True)
    wall = time.monotonic() - began
    folder = out / exp.family.family
    setup = grid_setup(exp.family, exp.varied, {p: [m.assignment[p] for m in exp.members] for p in exp.varied})
    write_setup(folder, setup)
    trained = sum(outcome.count(s) for s in TRAINED)
    return tabulate(read_family_folder(folder), setup), trained, wall


def refined(out: Path, jobs: int):
    family = load(REFINED)
    began = time.monotonic()
    diagram, outcomes = run_refine(family, out=out, jobs=jobs, quiet=True)
    wall = time.monotonic() - began
    folder = out / family.family
    trained = len({n for o in outcomes for n, s in o.status.items() if s in TRAINED})
    return tabulate(read_family_folder(folder), read_setup(folder)), trained, wall, diagram


def agreement(grid, sampled: dict[tuple[float, float], str], setup) -> int:
    """Dense points whose phase the nearest sampled point gives (ties: the first in row order)."""
    ordered = sorted(sampled, key=lambda p: (p[1], p[0]))
    unit = [normalised(setup, *p) for p in ordered]
    hits = 0
    for p in grid.points:
        here = normalised(setup, p.x, p.y)
        best = min(range(len(ordered)), key=lambda k: math.dist(here, unit[k]))
        hits += sampled[ordered[best]] == p.phase
    return hits


def replay(grid, budget: int):
    """The refined family with `budget`, its members' phases read from the dense grid."""
    family = load(REFINED)
    spec = family.vary.refine.model_copy(update={"budget": budget})
    family = family.model_copy(update={"vary": family.vary.model_copy(update={"refine": spec})})
    truth = {(p.x, p.y): p.phase for p in grid.points}
    diagram = refine(family, lambda exp: {m.name: truth[(m.assignment[spec.x.path], m.assignment[spec.y.path])]
                                          for m in exp.members}, REFINED.parent)
    return diagram, {(diagram.xs[i], diagram.ys[j]): diagram.phase_at[(i, j)] for i, j in diagram.points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, help="where to train (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        grid, grid_members, grid_s = dense(out / "dense", args.jobs)
        fine, fine_members, fine_s, diagram = refined(out / "refined", args.jobs)
    assert grid.phases.texts() == phases_of(load(REFINED)).texts(), "the two specs' phase rules differ"
    agree = sum(nearest_phase(fine, p.x, p.y) == p.phase for p in grid.points)
    budget = int(0.35 * grid_members)
    cut, cut_points = replay(grid, budget)
    cut_agree = agreement(grid, cut_points, fine.setup)
    counts = {n: sum(p.phase == n for p in grid.points) for n in dict.fromkeys(p.phase for p in grid.points)}
    print(f"dense grid: {len(grid.points)} points, {grid_members} members trained, {grid_s:.1f} s wall; "
          f"phases {counts}")
    print(f"refined:    {len(fine.points)} points in {max(diagram.rounds) + 1} rounds (stopped by "
          f"{diagram.stopped_by}), {fine_members} members trained, {fine_s:.1f} s wall")
    print(f"members: refined / dense = {fine_members / grid_members:.1%} (goal <= 35%)")
    print(f"agreement: {agree}/{len(grid.points)} dense points = {agree / len(grid.points):.1%} (goal >= 95%)")
    print(f"wall: refined / dense = {fine_s / grid_s:.2f}")
    print(f"replayed with the goal's budget ({budget} members): {cut.members} members "
          f"({cut.members / grid_members:.1%}), stopped by {cut.stopped_by}; agreement "
          f"{cut_agree}/{len(grid.points)} = {cut_agree / len(grid.points):.1%}")


if __name__ == "__main__":
    main()
