"""Export runs whole to the trackers of `--log` (each tracker run found again by its key, so
exporting twice changes nothing), and a tracker's own failures as RunErrors."""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clockspec.core.errors import RunError
from clockspec.report.tracking import Family, timed_rows
from clockspec.store.index import RunRecord


def tracker(name: str, store: Path, family: Family | None) -> Any:
    """The exporter of tracker `name` (its package imported now, never before --log asks)."""
    if name == "mlflow":
        from clockspec.report.tracker_mlflow import MlflowTracker

        return MlflowTracker(family)
    if name == "tensorboard":
        from clockspec.report.tracker_tensorboard import TensorboardTracker

        return TensorboardTracker(store, family)
    from clockspec.report.tracker_wandb import WandbTracker

    return WandbTracker(store, family)


def export(trackers: list[str], runs: list[RunRecord], store: Path, family: Family | None = None,
           skip: frozenset[Path] = frozenset()) -> list[str]:
    """Log `runs` (a family's members when `family` is given) to each tracker, each run
    whole (`skip`: those already streamed to the end); one line per tracker saying where."""
    said, skip = [], frozenset(p.resolve() for p in skip)
    for name in trackers:
        with tracker_errors(name):
            sink = tracker(name, store, family)
            for record in runs:
                if record.path.resolve() not in skip:
                    run = sink.open(record)
                    run.rows(timed_rows(record))
                    run.finish(record)
            said.append(sink.close(runs))
    return said


@contextmanager
def tracker_errors(name: str) -> Iterator[None]:
    """A tracker's own failure (a refused URI, a store it cannot write) as a RunError."""
    try:
        yield
    except Exception as exc:
        if not _tracker_error(exc):
            raise
        raise RunError(f"{name}: {str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__}",
                       f"--log {name}", hint="the runs themselves are complete; clockspec run ... --log again "
                       "exports them without retraining") from exc


def _tracker_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    for module, name in (("mlflow.exceptions", "MlflowException"), ("wandb.errors", "Error")):
        try:
            kind = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        if isinstance(exc, kind):
            return True
    return False
