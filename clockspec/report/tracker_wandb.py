"""`--log wandb`: Weights & Biases in offline mode, through the `wandb` package: each run is
written under `<store>/wandb/` as `offline-run-<time>-<id>/`, for the user's `wandb sync`.

The run id is the run key (train hash and clock set), so a synced run lands on one W&B run;
each export replaces the offline folder of that id (one point per probe). The project is
the spec's name (a family: the family's, with the members grouped under it and their varied
values in the config); the config is the flattened spec; tags and notes are the spec's;
points carry the time their probe was recorded (`_timestamp`); clocks are summary values
(`clock.NAME`, or `clock.NAME.censored_at`).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from clockspec.report.tracking import (
    Family,
    Timed,
    clock_values,
    description,
    finite_metrics,
    params,
    run_key,
    spec_tags,
)
from clockspec.store.index import RunRecord


class WandbTracker:
    def __init__(self, store: Path, family: Family | None):
        self.store, self.family = store, family
        os.environ.setdefault("WANDB_SILENT", "true")

    def open(self, record: RunRecord) -> WandbRun:
        import wandb

        key = run_key(record)
        folder = self.store / "wandb"
        if folder.is_symlink():
            raise OSError(f"{folder}: a symbolic link; not written through")
        for old in folder.glob(f"offline-run-*-{key}"):
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
        family = self.family
        config = {**params(record), **({"family": family.name, **family.assignments.get(record.label, {})}
                                        if family else {})}
        run = wandb.init(project=family.name if family else record.name, id=key, dir=str(self.store),
                         mode="offline", name=record.label or record.path.name, group=family.name if family else None,
                         config=config, tags=spec_tags(record)[:64], notes=description(record) or None,
                         reinit="create_new")
        return WandbRun(run)

    def close(self, records: list[RunRecord]) -> str:
        runs = len(records)
        runs = f"{runs} run{'s' if runs != 1 else ''}"
        return f"wandb: {runs} offline in {self.store / 'wandb'} (wandb sync {self.store / 'wandb'}/offline-run-*)"


class WandbRun:
    def __init__(self, run: Any):
        self.run = run

    def rows(self, timed: list[Timed]) -> None:
        for row, t in timed:
            self.run.log({**finite_metrics(row), "_timestamp": t}, step=row["step"])

    def clock(self, name: str, step: int, when: float) -> None:
        self.run.summary[f"clock.{name}"] = step

    def finish(self, record: RunRecord) -> None:
        self.run.summary.update({**clock_values(record), "clockspec.status": record.status,
                                 "clockspec.train_hash": record.train_hash})
        self.run.finish(exit_code=0 if record.status in ("complete", "diverged") else 1)
