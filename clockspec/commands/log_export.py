"""`run --log mlflow|tensorboard`: the option, and the export of the runs that ended
(clockspec.report.tracking does the exporting)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log", action="append", choices=("mlflow", "tensorboard"), default=[],
                   help="also export the finished run (a family: each member, under a parent) to MLflow or "
                        "TensorBoard; repeatable; needs the optional extra of that name")


def log_runs(args, run_dirs: list[Path], family: Path | None = None) -> None:
    """--log: export the runs that ended (a family's members under their parent)."""
    if not args.log:
        return
    import sys

    from clockspec.report.tracking import export
    from clockspec.store.index import find_runs, read_run

    records = find_runs([family]) if family is not None else [r for d in run_dirs if (r := read_run(d))]
    for line in export(args.log, records, Path(args.out), family):
        print(line, file=sys.stderr if args.quiet else sys.stdout)
