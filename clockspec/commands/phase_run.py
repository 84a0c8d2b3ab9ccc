"""The phase half of `clockspec run FAMILY`: a refine family's rounds, and the phase
diagram (`phases.json`, `phases.csv`, `phases.png`) of any family that has phases."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from clockspec.families.expand import Expansion
from clockspec.ir.spec import Family
from clockspec.orchestrate.execute import Outcome


def run_refined(spec: Family, run_options: dict[str, Any]) -> tuple[Outcome, Expansion]:
    """Run the refinement; one outcome for all its rounds (a member's first status other than
    `skipped`: what this invocation did to it) and the expansion of every point sampled."""
    from clockspec.core.errors import SpecError, argument_error
    from clockspec.families import lattice
    from clockspec.families.expand import expand_family
    from clockspec.orchestrate.refine_run import run_refine

    if run_options.get("force"):  # each round hands every point so far over: a forced round retrains them all
        raise SpecError([argument_error("--force", "a refine family cannot be forced (its rounds would train "
                                        "the earlier rounds' members again)",
                                        "remove its folder under --out to train it afresh")])
    diagram, outcomes = run_refine(spec, **run_options)
    total = Outcome(interrupted=diagram.interrupted, wall_s=sum(o.wall_s for o in outcomes))
    for o in outcomes:
        for name, status in o.status.items():
            if total.status.get(name, "skipped") == "skipped":
                total.status[name] = status
        total.notes.update(o.notes)
    print(f"refined in {len(outcomes)} rounds to {len(diagram.points)} points "
          f"({diagram.stopped_by or 'interrupted'})")
    return total, expand_family(lattice.points_family(spec, diagram.points))


def write_phases(spec: Family, exp: Expansion, folder: Path, plots: bool) -> list[Path]:
    """phases.json (a grid family's; a refine family's run wrote its own), phases.csv and
    phases.png; the files written."""
    from clockspec.orchestrate.refine_run import grid_setup
    from clockspec.report.family_folder import read_family_folder
    from clockspec.report.phase_summary import phase_report
    from clockspec.report.phase_table import CSV, PNG, write_setup

    if spec.vary.refine is None:
        values = {p: [m.assignment.get(p) for m in exp.members] for p in exp.varied}
        setup = grid_setup(spec, exp.varied, values)
        if setup is None:
            return []
        write_setup(folder, setup)
    if phase_report(read_family_folder(folder), plots) is None:
        return []
    return [p for p in (folder / CSV, folder / PNG) if p.is_file()]
