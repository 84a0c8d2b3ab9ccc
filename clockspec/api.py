"""The Python API equal to the CLI: `clockspec.run(...)` for experiments and families alike,
`clockspec.runs(...)` for the run index, results as pandas DataFrames.

Works in a notebook, in a script (with or without an `if __name__ == "__main__":` guard) and
from `python -`: a family's spawned workers never run `__main__` again
(`clockspec.orchestrate.local_pool`). A family with a failed member raises RunError, and an
interrupted one KeyboardInterrupt, after its summary is written: never a silent success. torch is imported when something trains, pandas when a DataFrame is asked
for: `import clockspec` needs neither.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from clockspec.ir.spec import Experiment, Family

SpecLike = Union[str, os.PathLike, Experiment, Family]


@dataclass
class Result:
    """What `clockspec.run` made: one run directory (an experiment) or a family folder and its
    members' run directories. `status` per run directory name."""

    spec: Experiment | Family
    run_dirs: list[Path]
    status: dict[str, str]
    folder: Path | None = None  # the family folder (None for an experiment)
    labels: dict[str, str] = field(default_factory=dict)  # run directory name -> member label

    @property
    def run_dir(self) -> Path:
        """The run directory of an experiment (a family has many: `run_dirs`)."""
        if len(self.run_dirs) != 1:
            raise ValueError(f"a family result has {len(self.run_dirs)} run directories; see .run_dirs")
        return self.run_dirs[0]

    def metrics(self) -> Any:
        """Every probe row as a DataFrame: `step` and one column per metric (plus `run`, and
        `member` for a family). Needs pandas."""
        from clockspec.store.rundir import RunDir

        pd = _pandas()
        frames = [pd.DataFrame(RunDir(d).read_rows()).assign(run=d.name, member=self.labels.get(d.name, ""))
                  for d in self.run_dirs]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def clocks(self) -> Any:
        """One row per run and clock: run, member, clock, step (None when censored),
        censored, value, metric, expr. Needs pandas."""
        from clockspec.core.fileio import read_json

        rows = []
        for d in self.run_dirs:
            doc = read_json(d / "clocks.json") or {}
            for name, c in doc.get("clocks", {}).items():
                rows.append({"run": d.name, "member": self.labels.get(d.name, ""), "clock": name,
                             "step": c.get("step"), "censored": not c.get("reached"), "value": c.get("value"),
                             "metric": c.get("metric"), "expr": c.get("expr")})
        frame = _pandas().DataFrame(rows, columns=["run", "member", "clock", "step", "censored", "value", "metric",
                                                   "expr"])
        return frame.astype({"step": "Int64"})  # a censored clock has no step: <NA>, and steps stay whole


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("DataFrames need pandas: pip install 'clockspec[pandas]' (or pandas)") from None
    return pandas


def _spec(source: SpecLike, overrides: dict[str, Any] | None, grid: dict[str, list] | None) -> Experiment | Family:
    """A spec from a path, text or IR object, with `--set` / `--grid` given as mappings."""
    from clockspec.families.adhoc import grid_family, with_overrides
    from clockspec.syntax.loading import load
    from clockspec.syntax.overrides import from_python

    spec = source if isinstance(source, (Experiment, Family)) else load(source)
    spec = with_overrides(spec, [from_python("set", p, v) for p, v in (overrides or {}).items()])
    if grid:
        spec = grid_family(spec, [from_python("grid", p, list(v)) for p, v in grid.items()])
    return spec


def run(source: SpecLike, *, set: dict[str, Any] | None = None, grid: dict[str, list] | None = None,
        out: str | os.PathLike | None = None, device: str | None = None, force: bool = False,
        resume: bool = False, progress: bool | None = None, jobs: int | None = None, executor: str = "local",
        batch: bool = True, threads: int | None = None, accept_changes: bool = False) -> Result:
    """Run an experiment or a family (a path, spec text, or a loaded spec) as `clockspec run`
    does: reuse what is finished, write family.csv and clocks.png for a family.

    set: {path: value}, as --set; grid: {path: [values]}, as --grid (an ad-hoc family).
    out: the run store (default as the CLI: $CLOCKSPEC_RUNS, [tool.clockspec], runs/).
    Raises SpecError for bad input, RunError when the environment fails or a family member
    failed (exit_status 1), KeyboardInterrupt when a family was stopped (run it again to resume)."""
    from clockspec.store.location import store_location

    spec = _spec(source, set, grid)
    where = store_location(out, Path(source).parent if isinstance(source, (str, os.PathLike))
                           and Path(source).exists() else None)
    if isinstance(spec, Experiment):
        from clockspec.runtime import run as run_plan

        r = run_plan(spec.compile(), out=where, device=device, force=force, resume=resume, progress=progress,
                     threads=threads or 1)
        return Result(spec, [r.view], {r.view.name: r.status})
    return _run_family(spec, where, device=device, force=force, jobs=jobs, executor=executor, batch=batch,
                       threads=threads, accept_changes=accept_changes, quiet=not progress)


def _run_family(spec: Family, out: Path, **options: Any) -> Result:
    import sys

    from clockspec.families.expand import expand_family
    from clockspec.orchestrate.execute import run_family
    from clockspec.report.family_summary import family_report
    from clockspec.store.family import entry

    exp = expand_family(spec)
    outcome = run_family(exp, out=out, source=f"<python: family {exp.family.family}>", stream=sys.stderr, **options)
    folder = out / exp.family.family
    family_report(folder)
    _refuse_unfinished(outcome, folder)
    from clockspec.compiler.plan import compile as compile_plan

    entries = [entry(m, compile_plan(m.spec)) for m in exp.members]
    dirs = [folder / e.run_dir for e in entries]
    from clockspec.core.fileio import read_json
    from clockspec.store.objects import data_dir

    status = {d.name: (read_json(data_dir(d) / "status.json") or {}).get("status", "missing") for d in dirs}
    return Result(spec, dirs, status, folder, {folder.joinpath(e.run_dir).name: e.label for e in entries})


def _refuse_unfinished(outcome: Any, folder: Path) -> None:
    """RunError (exit 1) naming the failed members; KeyboardInterrupt for a stopped family."""
    from clockspec.core.errors import RunError

    failed = sorted(name for name, status in outcome.status.items() if status == "failed")
    if failed:
        shown = "; ".join(f"{name}: {outcome.notes.get(name) or 'failed'}" for name in failed[:5])
        more = f"; and {len(failed) - 5} more" if len(failed) > 5 else ""
        raise RunError(f"{len(failed)} of {len(outcome.status)} members failed ({shown}{more}); see "
                       f"{folder / 'family.csv'}", str(folder), exit_status=1)
    if outcome.interrupted:
        raise KeyboardInterrupt(f"the family in {folder} was stopped; run it again to resume")


def runs(*dirs: str | os.PathLike, where: str | None = None, sort: str | None = None) -> Any:
    """The run index as a DataFrame (one row per run, as `clockspec runs --format json`): the
    run's facts, `clock.NAME` (the step; NaN when censored) and `censored.NAME`, and every
    spec value as a `spec.PATH` column. Needs pandas."""
    from clockspec.report.runs_table import json_row, select
    from clockspec.store.index import find_runs
    from clockspec.store.location import store_location

    records = select(find_runs(list(dirs) or [store_location(None)]), where, sort)
    flat = []
    for record in records:
        row = json_row(record)
        clocks, censored, spec = row.pop("clocks"), row.pop("censored"), row.pop("spec")
        row.update({f"clock.{k}": v for k, v in clocks.items()})
        row.update({f"censored.{k}": v for k, v in censored.items()})
        row.update({f"spec.{k}": v for k, v in spec.items()})
        flat.append(row)
    frame = _pandas().DataFrame(flat)
    return frame.astype({c: "Int64" for c in frame.columns if c.startswith("clock.")})
