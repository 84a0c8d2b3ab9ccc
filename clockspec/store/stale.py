"""`clockspec runs --stale SPEC ...`: which experiments, or family members, have no complete
run in the store (as `dvc status` says which stages are out of date)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clockspec.compiler.plan import compile as compile_plan
from clockspec.families.expand import expand_family
from clockspec.ir.spec import Experiment, Family
from clockspec.store.family import Entry, entry, state

SAYS = {"done": "up to date", "clocks": "finished; this name or its clocks to show (from a clock record, or "
        "re-evaluated from its metrics in ms; no retraining)", "unfinished": "unfinished (resume it)", "new": "no run"}


@dataclass(frozen=True)
class Staleness:
    spec: str  # the spec file
    name: str  # the experiment, or family/member
    state: str  # done | clocks | unfinished | new
    run_dir: Path

    @property
    def stale(self) -> bool:
        return self.state != "done"

    def line(self) -> str:
        return f"{self.spec}: {self.name}: {SAYS[self.state]} ({self.run_dir})"


def staleness(path: str, spec: Experiment | Family, out: Path) -> list[Staleness]:
    if isinstance(spec, Experiment):
        plan = compile_plan(spec)
        e = Entry(spec.name, "", {}, {}, plan.train_hash)
        return [Staleness(path, spec.name, state(out, out / e.run_dir, plan), out / e.run_dir)]
    exp = expand_family(spec)
    folder = out / exp.family.family
    found = []
    for member in exp.members:
        plan = compile_plan(member.spec)
        e = entry(member, plan)
        found.append(Staleness(path, f"{exp.family.family}/{member.name}", state(out, folder / e.run_dir, plan),
                                 folder / e.run_dir))
    return found
