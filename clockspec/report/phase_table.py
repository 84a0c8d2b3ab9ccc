"""A family folder's phases: each member classified from its recorded clocks, each point
(a pair of axis values) given its seeds' majority phase, written as `phases.csv`.

What to classify by is `phases.json`, which the run writes into the folder: the rules (as
text) and the two axes. It is read back as untrusted input: the rules are parsed again by
the phase grammar and the axes validated, so a hand-edited file can change the rules (and
so the classification, from the recorded clocks: nothing is trained) but nothing else.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from clockspec.core.errors import Diagnostic, SourceError, SpecError
from clockspec.core.escape import FORMULA_START
from clockspec.core.fileio import read_json, write_atomic
from clockspec.families.lattice import FAILED, point_phase
from clockspec.ir import paths
from clockspec.ir.base import Strict
from clockspec.ir.phases import PhaseError, Phases, from_results, parse_phases
from clockspec.ir.refine import RefineAxis
from clockspec.ir.spec import Name
from clockspec.report.family_folder import FamilyFolder
from clockspec.store import family as store

SETUP, CSV, PNG = "phases.json", "phases.csv", "phases.png"
FINISHED = ("complete", "diverged")


class PhaseSetup(Strict):
    """phases.json: what the folder's members are classified by and plotted against."""

    rules: dict[Name, str]
    x: RefineAxis
    y: RefineAxis
    stopped_by: Literal["", "resolution", "budget", "agreement"] = ""
    rounds: int = Field(0, ge=0, le=64)


@dataclass
class PointRow:
    x: float
    y: float
    phase: str
    seeds: list[str] = field(default_factory=list)  # each finished seed's phase
    censored: int = 0  # seeds with a censored clock that the rules read (its step a lower bound)
    members: list[str] = field(default_factory=list)


@dataclass
class PhaseTable:
    folder: Path
    setup: PhaseSetup
    phases: Phases
    points: list[PointRow]
    member_phase: dict[str, str]


def write_setup(folder: Path, setup: PhaseSetup) -> None:
    store.write_json(folder / SETUP, setup.model_dump(mode="json"))


def read_setup(folder: Path) -> PhaseSetup | None:
    """phases.json, validated; None where there is none (a family without phases)."""
    data = read_json(folder / SETUP)
    if data is None:
        return None
    try:
        return PhaseSetup.model_validate(data)
    except ValidationError as exc:
        raise SpecError([Diagnostic(f"{SETUP} is not what a run writes: {exc.errors()[0]['msg']}",
                                    str(folder / SETUP))]) from None


def rules_of(setup: PhaseSetup, folder: Path) -> Phases:
    try:
        return parse_phases(setup.rules)
    except SourceError as exc:
        raise SpecError([Diagnostic(f"{SETUP}: phase '{getattr(exc, 'phase', '')}': {exc.message}",
                                    str(folder / SETUP), hint=exc.hint)]) from None


def classify_members(folder: FamilyFolder, phases: Phases) -> dict[str, str]:
    """Member name -> phase (FAILED for one that did not finish); members still to run are left out."""
    out = {}
    for m in folder.members:
        status = m.status.get("status") if m.current else None
        if status not in FINISHED:
            if status == "failed":
                out[m.name] = FAILED
            continue
        step = m.status.get("step")
        clocks = from_results((m.clocks or {}).get("clocks", {}), step if isinstance(step, int) else 0, phases.clocks)
        try:
            out[m.name] = phases.classify(clocks)
        except PhaseError as exc:
            raise SpecError([Diagnostic(f"member {m.name}: {exc}", str(m.run_dir))]) from None
    return out


def tabulate(folder: FamilyFolder, setup: PhaseSetup) -> PhaseTable:
    phases = rules_of(setup, folder.path)
    member_phase = classify_members(folder, phases)
    rows: dict[tuple[float, float], PointRow] = {}
    for m in folder.members:
        x, y = (_value(m, a.path) for a in (setup.x, setup.y))
        if not (_number(x) and _number(y)) or m.name not in member_phase:
            continue
        row = rows.setdefault((x, y), PointRow(float(x), float(y), ""))
        row.members.append(m.name)
        if member_phase[m.name] != FAILED:
            row.seeds.append(member_phase[m.name])
            row.censored += any(not c.get("reached") for n, c in (m.clocks or {}).get("clocks", {}).items()
                                if n in phases.clocks and isinstance(c, dict))
    for row in rows.values():
        row.phase = point_phase(row.seeds)
    ordered = sorted(rows.values(), key=lambda r: (r.y, r.x))
    return PhaseTable(folder.path, setup, phases, ordered, member_phase)


def _value(member: Any, path: str) -> Any:
    """A member's value on an axis: as the lock records its setting, else as its spec has it
    (a clock's field is set by the family but recorded in the spec as the clock's text)."""
    if path in member.assignment:
        return member.assignment[path]
    return paths.get(member.spec, tuple(path.split(".")))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def write_csv(table: PhaseTable) -> None:
    """One row per point: its values (numbers), phase, seeds, how many agree, how many censored."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_safe(table.setup.x.path), _safe(table.setup.y.path), "phase", "seeds", "agree", "censored",
                "members"])
    for r in table.points:
        w.writerow([r.x, r.y, _safe(r.phase), len(r.seeds), sum(s == r.phase for s in r.seeds), r.censored,
                    _safe(" ".join(r.members))])
    write_atomic(table.folder / CSV, buf.getvalue())


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def normalised(table_or_setup: PhaseSetup, x: float, y: float) -> tuple[float, float]:
    """A point's place in the unit square of the region (log where the axis is)."""
    return tuple(_unit(a, v) for a, v in ((table_or_setup.x, x), (table_or_setup.y, y)))  # type: ignore[return-value]


def _unit(axis: RefineAxis, v: float) -> float:
    if axis.scale == "log":
        return (math.log(v) - math.log(axis.low)) / (math.log(axis.high) - math.log(axis.low))
    return (v - axis.low) / (axis.high - axis.low)


def nearest_phase(table: PhaseTable, x: float, y: float) -> str:
    """The diagram's phase at (x, y): the nearest sampled point's, in the region's unit square
    (ties: the first point in row order)."""
    u = normalised(table.setup, x, y)
    best = min(table.points, key=lambda r: math.dist(u, normalised(table.setup, r.x, r.y)))
    return best.phase


def markdown(table: PhaseTable, image: str | None) -> str:
    """The phase section of report.md."""
    counts: dict[str, int] = {}
    for r in table.points:
        counts[r.phase] = counts.get(r.phase, 0) + 1
    s = table.setup
    lines = ["## Phases", "",
             f"{len(table.points)} points over {s.x.path} ({s.x.scale}, {s.x.low:g}..{s.x.high:g}) x {s.y.path} "
             f"({s.y.scale}, {s.y.low:g}..{s.y.high:g}), {len(table.member_phase)} members"
             + (f", {s.rounds} rounds, stopped by {s.stopped_by}" if s.rounds else "")
             + f"; rules hash `{table.phases.hash()[:12]}`. A point's phase is the majority of its seeds' "
             "(`mixed` on a tie). Per point: `phases.csv`.", "",
             "| phase | rule | points |", "| --- | --- | --- |"]
    for name, rule in table.phases.texts().items():
        lines.append(f"| {name} | `{rule}` | {counts.pop(name, 0)} |")
    for name, n in counts.items():
        lines.append(f"| {name} | (no rule) | {n} |")
    if image:
        lines += ["", f"![phase diagram]({image})"]
    return "\n".join(lines) + "\n"
