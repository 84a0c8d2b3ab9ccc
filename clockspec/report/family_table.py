"""Aggregation of a family folder: `family.csv`, `family.json` and `clocks.png`.

Made of the folder as `family_folder` reads it (`family.lock.json` and each member's
`status.json` and `clocks.json`), never the runtime, so it runs where there is no torch.

- family.csv: one row per member: name, label, each varied value (its short key as the
  column), status, last step, then per clock `<clock>` (the step, empty when censored) and
  `<clock>_censored` (1 when it never fired: the step is then only a lower bound), then the
  separations `<clock>/<first clock>`: each clock's step over the first clock's (the spec's
  first clock is, by convention, the fitting clock; empty when either is censored).
- clocks.png: each clock (rows) against each varied axis (columns), seeds aggregated: the
  median step and its min-max spread over seeds; a hollow triangle marks a censored median
  (a lower bound). In a one_at_a_time family an axis shows the base and that factor only.
"""
from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.core.escape import csv_cell
from clockspec.core.fileio import write_atomic
from clockspec.families.table import part_or_value
from clockspec.ir import paths
from clockspec.report.family_folder import FamilyFolder
from clockspec.store import family as store
from clockspec.syntax import naming

SEED_PATHS = ("seed", "task.split_seed")
CSV, JSON, PNG = "family.csv", "family.json", "clocks.png"


@dataclass
class Row:
    name: str
    label: str
    values: dict[str, Any]  # varied path -> effective value
    status: str
    step: int | None
    clocks: dict[str, dict[str, Any]]  # name -> {step, reached, value}
    separations: dict[str, float | None] = field(default_factory=dict)


@dataclass
class FamilyReport:
    folder: Path
    family: str
    varied: list[str]
    keys: dict[str, str]
    clock_names: list[str]
    rows: list[Row]
    table: str = ""


def tabulate(folder: FamilyFolder) -> FamilyReport:
    """One row per member of a folder `clockspec run FAMILY` made; a member whose recorded
    run is not the one the lock asks for is `pending`."""
    lock = folder.lock
    if lock is None:
        raise SpecError([Diagnostic(f"no {store.LOCK}: not a family folder (run the family first)", str(folder.path))])
    varied, keys = lock["varied"], lock["keys"]
    clock_names = list(dict.fromkeys(name for m in folder.members for name in m.spec.get("clocks", {})))
    rows = []
    for m in folder.members:
        status = m.status if m.current else {}
        recorded = m.clocks if status else {}
        rows.append(Row(m.name, m.label, {p: _effective(m.spec, p) for p in varied}, status.get("status", "pending"),
                        status.get("step"), recorded.get("clocks", {})))
    first = clock_names[0] if clock_names else None
    for row in rows:
        base = row.clocks.get(first, {}) if first else {}
        for name in clock_names[1:]:
            c = row.clocks.get(name, {})
            ok = base.get("reached") and c.get("reached") and base.get("step")
            row.separations[f"{name}/{first}"] = c["step"] / base["step"] if ok else None
    return FamilyReport(folder.path, lock["family"], varied, keys, clock_names, rows)


def _effective(spec: dict[str, Any], path: str) -> Any:
    return part_or_value(paths.get(spec, tuple(path.split("."))))


def write_csv(report: FamilyReport) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    seps = [f"{n}/{report.clock_names[0]}" for n in report.clock_names[1:]]
    writer.writerow(["member", "label"] + [report.keys[p] for p in report.varied] + ["status", "step"]
                    + [c for n in report.clock_names for c in (n, f"{n}_censored")] + seps)
    for r in report.rows:
        clocks = []
        for n in report.clock_names:
            c = r.clocks.get(n)
            if c is None:
                clocks += ["", ""]
            else:
                clocks += [c["step"] if c.get("reached") else "", 0 if c.get("reached") else 1]
        writer.writerow([r.name, r.label] + [_cell(r.values[p]) for p in report.varied]
                        + [r.status, "" if r.step is None else r.step] + clocks
                        + ["" if r.separations.get(s) is None else f"{r.separations[s]:.4g}" for s in seps])
    write_atomic(report.folder / CSV, buf.getvalue())


def _cell(value: Any) -> Any:
    """A varied value as a CSV cell; text that a spreadsheet would run as a formula
    (`=HYPERLINK(...)` in a varied description) is kept as text by a leading quote."""
    if value is None:
        return "off"
    if isinstance(value, (list, dict)):
        value = naming.readable(value)
    return csv_cell(value)


def text_table(report: FamilyReport, limit: int = 40) -> str:
    """Members and their clocks for the terminal (the first `limit` rows)."""
    headers = ["member", "status"] + report.clock_names
    rows = []
    for r in report.rows[:limit]:
        cells = [r.name, r.status]
        for n in report.clock_names:
            c = r.clocks.get(n)
            cells.append("" if c is None else (f"{c['step']:,}" if c.get("reached") else f">{r.step or 0:,}"))
        rows.append(cells)
    widths = [max(len(str(x[i])) for x in rows + [headers]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [headers] + rows]
    if len(report.rows) > limit:
        lines.append(f"... {len(report.rows) - limit} more in {report.folder / CSV}")
    return "\n".join(lines)


# ---- seeds aggregated, for the plot -----------------------------------------------------


@dataclass
class Point:
    x: Any
    median: float
    low: float
    high: float
    censored: bool  # the median is a lower bound
    n: int
    n_censored: int


def series(report: FamilyReport, axis: str, clock: str) -> dict[tuple, list[Point]]:
    """Points of `clock` against `axis`, one series per setting of the other (non-seed)
    axes, seeds aggregated. Series where the axis takes a single value are dropped (in a
    one_at_a_time family they belong to another factor), unless nothing else is left."""
    # A varied part above the axis (weight decay on/off above its strength) is not another
    # setting: its null shows on this axis as `off`.
    others = [p for p in report.varied if p != axis and p not in SEED_PATHS and not axis.startswith(p + ".")]
    groups: dict[tuple, dict[Any, list[tuple[float, bool]]]] = {}
    for r in report.rows:
        c = r.clocks.get(clock)
        if c is None or r.status not in store.FINISHED:
            continue
        step = c["step"] if c.get("reached") else r.step
        if step is None:
            continue
        key = tuple(_hashable(r.values[p]) for p in others)
        groups.setdefault(key, {}).setdefault(_hashable(r.values[axis]), []).append((float(step), not c.get("reached")))
    out = {}
    for key, by_x in groups.items():
        pts = []
        for x, samples in by_x.items():
            steps = [s for s, _ in samples]
            # A censored sample is "later than its last step": as +inf it orders right; if
            # the median lands on one, the median is only bounded below, by the upper middle
            # of the samples' lower bounds (a censored run's last step), taken, never
            # averaged: the lower middle can be a step another seed observed, where a
            # "never fired" mark would be wrong.
            med = statistics.median([math.inf if cen else s for s, cen in samples])
            censored = math.isinf(med)
            if censored:
                med = statistics.median_high(steps)
            pts.append(Point(x, med, min(steps), max(steps), censored, len(samples),
                             sum(1 for _, cen in samples if cen)))
        out[key] = pts
    varied = {k: v for k, v in out.items() if len(v) > 1}
    return varied or out


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return naming.readable(value)
    return value


def axes_to_plot(report: FamilyReport) -> list[str]:
    """Varied axes other than seeds (seeds are what is aggregated; seeds alone otherwise),
    less a part whose field is varied too (the field's axis shows the part off)."""
    axes = [p for p in report.varied if p not in SEED_PATHS
            and not any(q.startswith(p + ".") for q in report.varied)]
    return axes or list(report.varied)


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
