"""`clockspec compare RUN RUN ...`: one figure with the runs' curves overlaid, and what differs
between them: the spec values that are not the same in all, then each clock of each run."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("compare", help="overlay the curves of some runs in one figure and say what differs")
    p.add_argument("runs", nargs="+", metavar="RUN",
                   help="run directories, two or more in all; a family folder stands for its members")
    p.add_argument("-o", "--output", metavar="FILE", default="compare.png",
                   help="where the figure goes (default compare.png)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from clockspec.core.errors import SpecError, argument_error
    from clockspec.core.fileio import write_atomic
    from clockspec.report.compare_figure import compare_figure
    from clockspec.store.family import LOCK
    from clockspec.store.index import find_runs, read_run
    from clockspec.store.rundir import RunDir

    records = []
    for path in args.runs:
        if (Path(path) / LOCK).is_file():  # `runs/quickstart-*` catches the family folders too
            members = find_runs([path])
            print(f"{path}: a family folder; comparing its {len(members)} members", file=sys.stderr)
            records += members
            continue
        record = read_run(Path(path))
        if record is None:
            raise SpecError([argument_error(path, "not a run directory (it has no readable view.json or status.json)")])
        records.append(record)
    records = _once(records)
    if len(records) < 2:  # counted after a family folder became its members
        raise SpecError([argument_error("compare", "give two or more runs to compare (run directories, or a "
                                        "family folder of two or more members)")])
    text, labels = differences(records)
    figure = compare_figure([(label, RunDir(r.path).read_rows(), {n: r.clock_step(n) for n in r.clocks})
                             for label, r in zip(labels, records)])
    write_atomic(args.output, figure)
    sys.stdout.write(text + f"figure: {args.output}\n")
    return 0


def _once(records):
    """Each stored run once: a name that shows the same run, with the same clocks, as one
    listed before it is said and left out (its curves would hide the first's)."""
    from clockspec.report.runs_table import seen_as

    kept: dict[tuple, object] = {}
    for r in records:
        key = (r.data or r.path, tuple(sorted((n, r.clock_step(n)) for n in r.clocks)))
        if key in kept:
            print(f"{seen_as(r)}: the same stored run as {seen_as(kept[key])}; shown once", file=sys.stderr)
        else:
            kept[key] = r
    return list(kept.values())


def differences(records) -> tuple[str, list[str]]:
    """The text compare prints, and each run's legend label (its name and differing values)."""
    from clockspec.report.runs_table import clock_cell, show
    from clockspec.store.index import differing, value_at

    varied = differing(records)
    labels = [f"{r.name} ({r.train_hash[:8]})" + "".join(f", {p.split('.')[-1]}={show(value_at(r, p))}"
                                                         for p in varied[:3]) for r in records]
    width = max(len(label) for label in labels)
    lines = [f"{len(records)} runs; " + (f"{len(varied)} spec values differ:" if varied else "their specs are the same")]
    for p in varied:
        lines.append(f"  {p}: " + " | ".join(show(value_at(r, p)) for r in records))
    clocks = list(dict.fromkeys(n for r in records for n in r.clocks))
    if clocks:
        lines.append("clocks (>N: not reached by step N):")
        lines.append("  " + " " * width + "  " + "  ".join(f"{c:>10}" for c in clocks))
        for label, r in zip(labels, records):
            lines.append(f"  {label:<{width}}  " + "  ".join(f"{clock_cell(r, c) or '-':>10}" for c in clocks))
    return "\n".join(lines) + "\n", labels
