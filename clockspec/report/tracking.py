"""Export finished runs to the trackers researchers already look at: `--log mlflow` and
`--log tensorboard` (optional extras: `pip install 'clockspec[mlflow]'`, `'clockspec[tensorboard]'`).

A run is exported from its directory once it has ended (trained or reused), so the export
sees exactly what the run directory holds, and an old run can be exported again:
- MLflow (the tracking URI as MLflow resolves it: MLFLOW_TRACKING_URI, else its default; a
  local store without a server is `sqlite:///mlflow.db`, MLflow 3 refuses a plain folder):
  the experiment is named after the spec (a family: after the family); params are the
  flattened spec; every probe row is logged as metrics at its step; each clock is a metric
  `clock.NAME` (its step, when it fired) and a tag (`step 1840` or `not reached by step N`);
  curves.png, spec.lock.yaml, clocks.json and status.json are artifacts. A family is a
  parent run (family.csv and clocks.png as artifacts) with one nested run per member.
- TensorBoard: one event-file folder per run under `<store>/tensorboard/` (a family's members
  under `<store>/tensorboard/<family>/`), a scalar per metric at each probe step and
  `clock/NAME` at the clock's step.
Each export makes new tracker runs; nothing is read back from the tracker.
"""
from __future__ import annotations

import importlib.util
import json
import math
import time
from pathlib import Path
from typing import Any

from clockspec.core.errors import RunError, SpecError, argument_error
from clockspec.core.safepaths import component
from clockspec.store.index import RunRecord
from clockspec.store.rundir import CLOCKS, CURVES, SPEC, STATUS, RunDir

TRACKERS = {"mlflow": "mlflow", "tensorboard": "tensorboard"}  # --log NAME -> the module it needs
MLFLOW_BATCH = 1000  # MLflow takes at most 1,000 metrics per log_batch call


def require(trackers: list[str]) -> None:
    """Refuse, before anything trains, a tracker whose package is not installed."""
    for name in trackers:
        if importlib.util.find_spec(TRACKERS[name]) is None:
            raise SpecError([argument_error(f"--log {name}", f"needs the {name} package, which is not installed",
                                            f"pip install 'clockspec[{name}]'")])


def export(trackers: list[str], runs: list[RunRecord], store: Path, family: Path | None = None) -> list[str]:
    """Log `runs` (a family's members when `family` is its folder) to each tracker; one line
    per tracker saying where they went."""
    said = []
    for name in trackers:
        try:
            said.append(_mlflow(runs, family) if name == "mlflow" else _tensorboard(runs, store, family))
        except Exception as exc:  # the tracker's own failure (a refused URI, a store it cannot write)
            if not _tracker_error(exc):
                raise
            raise RunError(f"{name}: {str(exc).splitlines()[0][:500]}", f"--log {name}",
                           hint="the runs themselves are complete; clockspec run ... --log again exports them "
                                "without retraining") from exc
    return said


def _tracker_error(exc: Exception) -> bool:
    if isinstance(exc, OSError):
        return True
    try:
        from mlflow.exceptions import MlflowException
    except ImportError:
        return False
    return isinstance(exc, MlflowException)


def clock_tag(record: RunRecord, name: str) -> str:
    step = record.clock_step(name)
    return f"step {step}" if step is not None else f"not reached by step {record.step}"


def _finite_metrics(row: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in row.items()
            if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def _mlflow(runs: list[RunRecord], family: Path | None) -> str:
    import mlflow

    name = family.name if family is not None else runs[0].name
    mlflow.set_experiment(name)
    if family is None:
        with mlflow.start_run(run_name=runs[0].path.name) as active:
            _mlflow_run(mlflow, runs[0])
        return f"mlflow: experiment {name}, run {active.info.run_id} ({mlflow.get_tracking_uri()})"
    with mlflow.start_run(run_name=family.name) as parent:
        mlflow.set_tag("clockspec.family", family.name)
        for artifact in ("family.csv", "clocks.png", "family.json"):
            if (family / artifact).exists():
                mlflow.log_artifact(str(family / artifact))
        for record in runs:
            with mlflow.start_run(run_name=record.label or record.name, nested=True):
                _mlflow_run(mlflow, record)
    return (f"mlflow: experiment {name}, parent run {parent.info.run_id} with {len(runs)} member runs "
            f"({mlflow.get_tracking_uri()})")


def _mlflow_run(mlflow: Any, record: RunRecord) -> None:
    from mlflow.entities import Metric

    params = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in record.spec.items()}
    items = list(params.items())
    for i in range(0, len(items), 100):  # MLflow takes at most 100 params per call
        mlflow.log_params(dict(items[i:i + 100]))
    mlflow.set_tags({"clockspec.status": record.status, "clockspec.train_hash": record.train_hash,
                     "clockspec.run_dir": str(record.path), "clockspec.git": record.git,
                     **{f"clock.{n}": clock_tag(record, n) for n in record.clocks}})
    metrics = [Metric(key, value, 0, row["step"]) for row in RunDir(record.path).read_rows()
               for key, value in _finite_metrics(row).items()]
    metrics += [Metric(f"clock.{n}", float(s), 0, s) for n in record.clocks if (s := record.clock_step(n)) is not None]
    client, run_id = mlflow.tracking.MlflowClient(), mlflow.active_run().info.run_id
    for i in range(0, len(metrics), MLFLOW_BATCH):
        client.log_batch(run_id, metrics=metrics[i:i + MLFLOW_BATCH])
    for artifact in (CURVES, SPEC, CLOCKS, STATUS):
        if (record.path / artifact).exists():
            mlflow.log_artifact(str(record.path / artifact))


def _tensorboard(runs: list[RunRecord], store: Path, family: Path | None) -> str:
    """Classic scalar summaries (what torch's SummaryWriter writes), so every reader sees them."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def scalars(step: int, values: dict[str, float]) -> Event:
        return Event(wall_time=time.time(), step=step,
                     summary=Summary(value=[Summary.Value(tag=k, simple_value=v) for k, v in values.items()]))

    root = store / "tensorboard" / (family.name if family is not None else "")
    for record in runs:
        folder = root / component(record.label.replace("=", "-").replace(",", "_") if family is not None and record.label
                                  else record.path.name)
        writer = EventFileWriter(str(folder))
        for row in RunDir(record.path).read_rows():
            writer.add_event(scalars(row["step"], _finite_metrics(row)))
        for name in record.clocks:
            step = record.clock_step(name)
            if step is not None:
                writer.add_event(scalars(step, {f"clock/{name}": float(step)}))
        writer.close()
    return f"tensorboard: {len(runs)} run{'s' if len(runs) != 1 else ''} in {root} (tensorboard --logdir {root})"
