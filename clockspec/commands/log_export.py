"""`run --log mlflow|tensorboard|wandb`: the option, the streaming of the runs while they
train, and the export of the runs that ended (clockspec.report.tracking does the exporting)."""
from __future__ import annotations

import argparse
import re
import sys
from contextlib import contextmanager
from pathlib import Path

# clockspec.report.tracking.TRACKERS, named here: registering a command imports no report
# module (clockspec.report loads numpy); a test holds the two equal.
CHOICES = ("mlflow", "tensorboard", "wandb")


def add_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log", action="append", choices=CHOICES, default=[],
                   help="also stream the run (a family: each member, under a parent) to MLflow, TensorBoard or "
                        "W&B (offline) while it trains, and export it when it ends; repeatable; needs the optional "
                        "extra of that name")


@contextmanager
def following(args, name: str, family: bool):
    """While the body trains: stream the runs of `name` (an experiment's runs in the store, or
    a family's folder) to the trackers of --log. `log_runs` ends the streaming."""
    args.follower = None
    if args.log:
        from clockspec.report.tracking_follow import Streaming

        store = Path(args.out)
        if family:
            args.follower = Streaming(args.log, store, store / name, family=store / name)
        else:
            args.follower = Streaming(args.log, store, store, names=re.escape(name) + r"-[0-9a-f]+")
    try:
        yield
    finally:
        if args.follower is not None:
            args.follower.stopping.set()  # log_runs stopped it, or the run ended in an error


def log_runs(args, run_dirs: list[Path], family: Path | None = None, spec=None) -> None:
    """--log: end the streaming, then export the runs that ended and were not streamed to
    their end (a family's members under their parent; `spec`: the experiment, whose tags and
    description may be newer than its reused run's)."""
    if not args.log:
        return
    from clockspec.report.tracking import read_family, with_metadata
    from clockspec.report.tracking_export import export
    from clockspec.store.index import find_runs, read_run

    follower = getattr(args, "follower", None)
    streamed = follower.stop() if follower is not None else frozenset()
    if family is not None:
        members = read_family(family, Path(args.path) if Path(args.path).is_file() else None)
        records = [with_metadata(r, members.specs.get(r.label)) for r in find_runs([family])]
    else:
        members, now = None, {"tags": spec.tags, "description": spec.description} if spec is not None else None
        records = [with_metadata(r, now) for d in run_dirs if (r := read_run(d))]
    for line in export(args.log, records, Path(args.out), members, skip=streamed):
        print(line, file=sys.stderr if args.quiet else sys.stdout)
