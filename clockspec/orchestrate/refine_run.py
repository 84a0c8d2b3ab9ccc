"""A `vary.refine` family run by the family executor: each round of the refinement
(`clockspec.families.refine`) is one `run_family` call over every point sampled so far,
whose finished members the executor skips; the members' phases are read back from the
folder the executor wrote, never from the executor, so any executor serves.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from clockspec.families import lattice
from clockspec.families.expand import Expansion
from clockspec.families.refine import Diagram, refine
from clockspec.ir.refine import RefineAxis
from clockspec.ir.spec import Family
from clockspec.orchestrate.execute import Outcome, run_family
from clockspec.report.family_folder import read_family_folder
from clockspec.report.phase_table import PhaseSetup, classify_members, write_setup


def run_refine(family: Family, out: str | Path = "runs", base_dir: Any = None,
               **run_options: Any) -> tuple[Diagram, list[Outcome]]:
    """Refine the family's region into `out/<family>/`; `run_options` go to `run_family`
    (a change of the member list between rounds is the refinement's own: accepted)."""
    outcomes: list[Outcome] = []
    phases = lattice.phases_of(family)
    folder = Path(out) / family.family

    def run_round(exp: Expansion) -> dict[str, str] | None:
        write_setup(folder, setup_of(family))  # the report can read a folder killed mid-round
        outcome = run_family(exp, out=out, accept_changes=True, **run_options)
        outcomes.append(outcome)
        if outcome.interrupted:
            return None
        return classify_members(read_family_folder(folder), phases)

    diagram = refine(family, run_round, base_dir)
    write_setup(folder, setup_of(family, diagram))
    return diagram, outcomes


def setup_of(family: Family, diagram: Diagram | None = None) -> PhaseSetup:
    """What phases.json records for a refine family: its rules and region, how it ended."""
    spec = family.vary.refine
    return PhaseSetup(rules=lattice.phases_of(family).texts(), x=spec.x, y=spec.y,
                      stopped_by=diagram.stopped_by if diagram else "",
                      rounds=max(diagram.rounds, default=-1) + 1 if diagram else 0)


def grid_setup(family: Family, varied: list[str], values: dict[str, list[Any]]) -> PhaseSetup | None:
    """phases.json for a grid family with phases: its first two numeric non-seed axes, log
    where the values span a decade; None when it has fewer than two."""
    axes = [p for p in varied if p not in ("seed", "task.split_seed")
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values[p])]
    if len(axes) < 2:
        return None
    made = []
    for p in axes[:2]:
        lo, hi = min(values[p]), max(values[p])
        made.append(RefineAxis(path=p, low=lo, high=hi, scale="log" if lo > 0 and hi / lo >= 10 else "linear"))
    return PhaseSetup(rules=lattice.phases_of(family).texts(), x=made[0], y=made[1])
