"""`--log mlflow`: one MLflow run per run directory, found again by its `clockspec.key` tag.

The tracking URI is MLflow's own (MLFLOW_TRACKING_URI, else its default; a local store
without a server is `sqlite:///mlflow.db`). The experiment is named after the spec (a family:
after the family, whose parent run holds the family spec, the varied paths as params, and
family.csv / clocks.png; each member is a nested run tagged with its family and label).
Metric points carry the time their probe was recorded; `clockspec.exported_step` says how
far a run's rows were logged, so exporting again, or after streaming live, adds only the
rows past it. MLflow params cannot change: a spec's name, description and tags are tags
(refreshed at each export, spec tags no longer present removed).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from clockspec.report.tracking import (
    Family,
    Timed,
    clock_tag,
    clock_values,
    description,
    family_key,
    finite_metrics,
    params,
    run_key,
    spec_tags,
    time_at,
    timed_rows,
)
from clockspec.store.index import RunRecord
from clockspec.store.rundir import CLOCKS, CURVES, SPEC, STATUS

BATCH = 1000  # MLflow takes at most 1,000 metrics (and 100 params) per log_batch call
KEY, DONE, TAG = "clockspec.key", "clockspec.exported_step", "clockspec.tag."
# A server that stops answering mid-export gives up in about a minute, not MLflow's default of many.
HTTP_LIMITS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
               "MLFLOW_HTTP_REQUEST_TIMEOUT": "20"}


class MlflowTracker:
    def __init__(self, family: Family | None):
        for name, value in HTTP_LIMITS.items():
            os.environ.setdefault(name, value)
        from mlflow.tracking import MlflowClient

        self.client, self.family = MlflowClient(), family
        self.experiment = self.parent = None
        if family is not None:
            self.experiment = self._experiment(family.name)
            self.parent = self._parent(family)

    def _experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        return found.experiment_id if found is not None else self.client.create_experiment(name)

    def _find(self, experiment: str, key: str) -> Any:
        found = self.client.search_runs([experiment], filter_string=f"tags.`{KEY}` = '{key}'", max_results=1)
        return found[0] if found else None

    def _parent(self, family: Family) -> str:
        key = family_key(family)
        run = self._find(self.experiment, key) or self.client.create_run(
            self.experiment, run_name=family.name, tags={KEY: key, "clockspec.family": family.name})
        run_id = run.info.run_id
        _set_params(self.client, run, {p: json.dumps(v) for p, v in family.varied.items()})
        for artifact in (family.spec_file, *(family.folder / n for n in ("family.csv", "family.json", "clocks.png"))):
            if artifact is not None and artifact.is_file():
                self.client.log_artifact(run_id, str(artifact))
        return run_id

    def open(self, record: RunRecord) -> MlflowRun:
        experiment = self.experiment or self._experiment(record.name)
        key = run_key(record)
        run = self._find(experiment, key)
        if run is None:
            tags = {KEY: key}
            if self.family is not None:
                tags.update({"mlflow.parentRunId": self.parent, "clockspec.family": self.family.name,
                             "clockspec.member": record.label})
            run = self.client.create_run(experiment, run_name=record.label or record.path.name, tags=tags)
        _set_params(self.client, run, params(record))
        return MlflowRun(self.client, run, self)

    def close(self, records: list[RunRecord]) -> str:
        runs = len(records)
        import mlflow

        where = mlflow.get_tracking_uri()
        if self.family is not None:
            self.client.set_terminated(self.parent, "FINISHED")
            return f"mlflow: experiment {self.family.name}, parent run {self.parent} with {runs} member runs ({where})"
        return f"mlflow: {runs} run{'s' if runs != 1 else ''} ({where})"


def _set_params(client: Any, run: Any, wanted: dict[str, str]) -> None:
    """Log the params the run lacks (MLflow refuses to change one; a changed one is a tag)."""
    have = run.data.params
    new = [(k, v) for k, v in wanted.items() if k not in have]
    from mlflow.entities import Param

    for i in range(0, len(new), 100):
        client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in new[i:i + 100]])
    changed = {f"clockspec.param.{k}": v for k, v in wanted.items() if k in have and have[k] != v}
    for k, v in changed.items():
        client.set_tag(run.info.run_id, k, v)


class MlflowRun:
    def __init__(self, client: Any, run: Any, tracker: MlflowTracker):
        self.client, self.id, self.tracker = client, run.info.run_id, tracker
        self.done = int(run.data.tags.get(DONE, "-1")) if run.data.tags.get(DONE, "").lstrip("-").isdigit() else -1
        self.metrics, self.tags = set(run.data.metrics), dict(run.data.tags)

    def rows(self, timed: list[Timed]) -> None:
        from mlflow.entities import Metric

        new = [(row, t) for row, t in timed if row["step"] > self.done]
        points = [Metric(k, v, int(t * 1000), row["step"]) for row, t in new for k, v in finite_metrics(row).items()]
        for i in range(0, len(points), BATCH):
            self.client.log_batch(self.id, metrics=points[i:i + BATCH])
        if new:
            self.done = new[-1][0]["step"]
            self.client.set_tag(self.id, DONE, str(self.done))

    def clock(self, name: str, step: int, when: float) -> None:
        """A clock fired while the run trains: its metric now, at the time of its probe."""
        if f"clock.{name}" not in self.metrics:
            self.client.log_metric(self.id, f"clock.{name}", float(step), int(when * 1000), step)
            self.metrics.add(f"clock.{name}")

    def finish(self, record: RunRecord) -> None:
        from mlflow.entities import Metric, RunTag

        timed = timed_rows(record)
        points = [Metric(k, v, int(time_at(timed, int(v)) * 1000), int(v)) for k, v in clock_values(record).items()
                  if k not in self.metrics]
        tags = {"clockspec.status": record.status, "clockspec.train_hash": record.train_hash,
                "clockspec.run_dir": str(record.path), "clockspec.git": record.git,
                "mlflow.note.content": description(record),
                **{f"clock.{n}": clock_tag(record, n) for n in record.clocks},
                **{f"{TAG}{t}": "true" for t in spec_tags(record)}}
        for stale in [k for k in self.tags if k.startswith(TAG) and k not in tags]:
            self.client.delete_tag(self.id, stale)
        self.client.log_batch(self.id, metrics=points, tags=[RunTag(k, v) for k, v in tags.items()])
        for artifact in (CURVES, SPEC, CLOCKS, STATUS):
            where = (record.data or record.path) if artifact == STATUS else record.path  # a view's status is its object's
            path: Path = where / artifact
            if path.is_file():
                self.client.log_artifact(self.id, str(path))
        self.client.set_terminated(self.id, "FINISHED" if record.status in ("complete", "diverged") else "FAILED")
