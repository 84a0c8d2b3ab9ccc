"""`clockspec runs`: the run index as rows (filtered, sorted, grouped by family) and as a
table, CSV, JSON or Markdown.

One row per stored program (`clockspec.store.objects`), whatever number of names point at
it. Columns: family, name, status, hash, the spec values that differ among the rows (by
short key), each clock (its step; `>N` when censored: it had not fired by step N, the last
step the run reached; in CSV the number N and a `CLOCK_censored` column), the names that
point at the program, steps, wall, size (its training files: rows, the state kept to extend
it, snapshots), date, git commit (`*`: the tree was dirty), tags, snapshots.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from clockspec.core import markdown_escape
from clockspec.core.errors import Diagnostic, SourceError, SpecError, did_you_mean
from clockspec.core.escape import csv_cell, terminal
from clockspec.core.numbers import format_float
from clockspec.ir import paths
from clockspec.store.index import RunRecord, differing, value_at
from clockspec.syntax import naming
from clockspec.syntax.predicate import Predicate, parse_predicate

RUN_FIELDS = ("name", "status", "step", "steps", "hash", "wall", "date", "git", "family", "label", "tags",
              "snapshots")


def _field_problem(path: str) -> tuple[str, str | None] | None:
    """Paths a --where or --sort may name: a run fact, `clocks.NAME`, or a spec path."""
    if path in RUN_FIELDS or (path.startswith("clocks.") and path.count(".") == 1):
        return None
    first = path.split(".")[0]
    if first in RUN_FIELDS:  # `name.__class__`: a run field has no parts (not a spec path to vary)
        return f"'{first}' is a run field, a single value with no parts", f"compare {first} itself, e.g. {first} == ..."
    problem = paths.path_problem(path)
    if problem and "." not in path:
        return problem[0], f"or a run field: {', '.join(RUN_FIELDS)}, clocks.NAME"
    return problem


def where(text: str) -> Predicate:
    """A --where condition (the family `exclude` grammar); errors point into the argument."""
    try:
        return parse_predicate(text, _field_problem, "--where condition")
    except SourceError as exc:
        raise SpecError([Diagnostic(exc.message, "--where", 1, exc.offset + 1, exc.hint)]) from None


def select(records: list[RunRecord], condition: str | None = None, sort: str | None = None) -> list[RunRecord]:
    """The records that meet the condition, families together (in first-seen order), each
    group sorted by `sort` (`-KEY`: descending; a missing value last)."""
    if condition:
        test = where(condition)
        _known_clocks(test, records)
        records = [r for r in records if test(r.fields())]
    if sort:
        key = sort.lstrip("-")
        problem = _field_problem(key)
        if problem:
            raise SpecError([Diagnostic(problem[0], "--sort", 1, 1 + len(sort) - len(key), problem[1])])
        parts = tuple(key.split("."))
        present = [r for r in records if paths.get(r.fields(), parts) is not None]
        missing = [r for r in records if paths.get(r.fields(), parts) is None]
        present.sort(key=lambda r: _order(paths.get(r.fields(), parts)), reverse=sort.startswith("-"))
        records = present + missing
    groups: dict[str, list[RunRecord]] = {}
    for r in records:
        groups.setdefault(r.family, []).append(r)
    return [r for group in groups.values() for r in group]


def _known_clocks(test: Predicate, records: list[RunRecord]) -> None:
    """A condition on a clock none of the runs has is a typo, not an empty answer."""
    known = {name for r in records for name in r.clocks}
    for path in test.paths:
        parts = path.split(".")
        if parts[0] == "clocks" and len(parts) == 2 and parts[1] not in known and records:
            col = test.text.find(path) + 1
            raise SpecError([Diagnostic(f"no run has a clock '{parts[1]}'", "--where", 1, col,
                                        did_you_mean(parts[1], known) or f"clocks: {', '.join(sorted(known))}")])


def _order(value: Any) -> tuple:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return (1, json.dumps(value, sort_keys=True))
    return (0, value)


def programs(records: list[RunRecord]) -> list[tuple[RunRecord, list[str]]]:
    """One entry per stored program (the first record that shows it, and every name that
    points at it), in the records' order."""
    groups: dict[Path, list[RunRecord]] = {}
    for r in records:
        groups.setdefault(r.data or r.path, []).append(r)
    return [(group[0], [seen_as(r) for r in group]) for group in groups.values()]


def seen_as(r: RunRecord) -> str:
    """The name a record shows a program under: `family/member`, or the experiment's name."""
    return f"{r.family}/{r.name}" if r.family else r.name


def rows(records: list[RunRecord], raw: bool = False) -> tuple[list[str], list[dict[str, Any]]]:
    """(column names, one dict per program) with the values as they print, or with `raw`
    as numbers (for CSV: a clock's step, or the step it was censored at, beside a
    `CLOCK_censored` column)."""
    found = programs(records)
    records = [r for r, _ in found]
    varied = differing(records)
    clocks = list(dict.fromkeys(name for r in records for name in r.clocks))
    censored = [f"{c}_censored" for c in clocks] if raw else []
    steps = ["step", "steps", "wall_s", "bytes"] if raw else ["steps", "wall", "size"]
    fixed = ["family", "name", "status", "hash", "names", *steps, "date", "git", "tags", "snapshots"]
    taken = {*fixed, *clocks, *censored}
    keys = {p: k if k not in taken else p if p not in taken else f"spec.{p}"
            for p, k in naming.short_keys(varied).items()}
    columns = [*fixed[:4], *keys.values(), *clocks, *censored, *fixed[4:]]
    out = []
    for r, names in found:
        row: dict[str, Any] = {"family": r.family, "name": r.name, "status": r.status, "hash": r.train_hash[:12],
                               "names": " ".join(names), "date": r.date[:16].replace("T", " "), "git": r.git,
                               "tags": ",".join(r.tags), "snapshots": ",".join(map(str, r.snapshots))}
        if raw:
            row.update({keys[p]: value_at(r, p) for p in varied})
            row.update({c: r.clock_step(c) if r.clock_step(c) is not None else r.step for c in clocks if c in r.clocks})
            row.update({f"{c}_censored": int(r.clock_step(c) is None) for c in clocks if c in r.clocks})
            row.update(step=r.step, steps=r.steps, wall_s=r.wall_s, bytes=r.bytes)
        else:
            row.update({keys[p]: show(value_at(r, p)) for p in varied})
            row.update({c: clock_cell(r, c) for c in clocks})
            row.update(steps=f"{r.step:,}" + (f"/{r.steps:,}" if r.steps and r.steps != r.step else ""),
                       wall="" if r.wall_s is None else f"{r.wall_s:.1f}s", size=human_size(r.bytes))
        out.append(row)
    if not any(r.family for r in records):
        columns.remove("family")
    return columns, out


def human_size(n: float) -> str:
    """`812 B`, `1.2 MB`: bytes for people (powers of 1000)."""
    if n < 1000:
        return f"{n:.0f} B"
    for unit in ("kB", "MB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} GB"


def clock_cell(r: RunRecord, name: str) -> str:
    """A clock's step, `>N` when censored at the run's last step N, blank when the run has no such clock."""
    if name not in r.clocks:
        return ""
    step = r.clock_step(name)
    return f"{step:,}" if step is not None else f">{r.step:,}"


def show(value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, float):
        return format_float(value)
    return naming.readable(value)


ESCAPE = {"csv": csv_cell, "md": markdown_escape.text, "table": terminal}  # each cell, for where it goes


def render(records: list[RunRecord], fmt: str = "table") -> str:
    """The records as `fmt`, one row per stored program with its names; free text (tags, labels,
    varied descriptions) escaped for it: a terminal is sent no control character, a spreadsheet
    runs no formula, a `|` stays in its cell."""
    if fmt == "json":
        return json.dumps([{**json_row(r), "names": names} for r, names in programs(records)], indent=1) + "\n"
    columns, table = rows(records, raw=fmt == "csv")
    escape = ESCAPE[fmt if fmt in ESCAPE else "table"]
    cells = [[escape("" if row.get(c) is None else str(row[c])) for c in columns] for row in table]
    heads = [escape(c) for c in columns]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows([heads, *cells])
        return buf.getvalue()
    from tabulate import tabulate

    style = "github" if fmt == "md" else "simple"
    return tabulate(cells, headers=heads, tablefmt=style, disable_numparse=True) + "\n"


def json_row(r: RunRecord) -> dict[str, Any]:
    """Every fact of a run, unformatted, for tools (and the Python API's DataFrame)."""
    return {"path": str(r.path), "family": r.family, "label": r.label, "name": r.name, "status": r.status,
            "step": r.step, "steps": r.steps, "hash": r.train_hash[:12], "wall_s": r.wall_s, "date": r.date,
            "git": r.git, "tags": r.tags, "snapshots": r.snapshots, "bytes": r.bytes,
            "clocks": {n: r.clock_step(n) for n in r.clocks},
            "censored": {n: r.clock_step(n) is None for n in r.clocks}, "spec": r.spec}
