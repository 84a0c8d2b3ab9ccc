"""`clockspec runs [DIR ...]`: the run index (one row per run, families grouped), filtered by
`--where`, sorted by `--sort`, as a table, CSV, JSON or Markdown; `clockspec runs --stale
SPEC ...`: the experiments and members with no complete run (exit 1 when there are some);
with --tag/--untag/--note/--rm: annotate or remove the runs selected (runs_annotate)."""
from __future__ import annotations

import sys

from clockspec.store.index import FORMATS


def register(sub) -> None:
    p = sub.add_parser("runs", help="list, filter and sort past runs; --stale: which specs have no complete run")
    p.add_argument("dirs", nargs="*", metavar="DIR",
                   help="run stores, family folders or run directories (default: the run store)")
    p.add_argument("--where", metavar="PRED",
                   help="keep the runs that meet a condition in the family `exclude` grammar over spec paths, "
                        "clocks.NAME (a step; null when censored), status, step, wall, tags, ...: "
                        "\"status == complete and clocks.generalize < 2000\"")
    p.add_argument("--sort", metavar="KEY", help="sort by a spec path, clocks.NAME or a run field; -KEY descends")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--stale", nargs="+", metavar="SPEC", help="say which of these specs (or family members) "
                   "have no complete run, instead of listing runs")
    p.add_argument("--out", metavar="DIR", help="the run store (default: $CLOCKSPEC_RUNS, else [tool.clockspec] "
                   "runs in the nearest pyproject.toml, else runs/)")
    from clockspec.commands.overrides import add_set
    from clockspec.commands.runs_annotate import add_arguments

    add_set(p, "every --stale spec")
    add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.report.runs_table import render, select
    from clockspec.store.index import find_runs
    from clockspec.store.location import store_location

    if args.stale:
        return stale(args)
    records = select(find_runs(args.dirs or [store_location(args.out)]), args.where, args.sort)
    if not records:
        print("no runs" + (" meet the condition" if args.where else " found"), file=sys.stderr)
        return 1
    from clockspec.commands.runs_annotate import apply, wanted

    if wanted(args):
        return apply(args, records)
    sys.stdout.write(render(records, args.format))
    return 0


def stale(args) -> int:
    from pathlib import Path

    from clockspec.commands.overrides import load_overridden
    from clockspec.store.location import store_location
    from clockspec.store.stale import staleness

    found = []
    for path in args.stale:
        found += staleness(path, load_overridden(path, args), store_location(args.out, Path(path).parent))
    for s in found:
        print(s.line())
    behind = sum(s.stale for s in found)
    print(f"{behind} of {len(found)} without a complete, current run" if behind else
          f"all {len(found)} up to date", file=sys.stderr)
    return 1 if behind else 0
