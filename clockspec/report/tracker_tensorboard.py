"""`--log tensorboard`: one event-file folder per run under `<store>/tensorboard/` (a family's
members under `<store>/tensorboard/<family>/`, named by their label).

Each export writes a run's folder afresh (its old event file removed), so a run exported
twice still has one point per probe. Points are classic scalar summaries (what torch's
SummaryWriter writes, so every reader sees them) at the time their probe was recorded;
clocks are `clock/NAME` at the step they fired, or `clock/NAME/censored_at`. A family's
members carry their varied values as hparams, and the family folder declares them with the
clocks as the HParams dashboard's metrics.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from clockspec.core.safepaths import component
from clockspec.report.tracking import Family, Timed, clock_values, finite_metrics, time_at, timed_rows
from clockspec.store.index import RunRecord

EVENTS = "events.out.tfevents.*"


def clock_tag(key: str) -> str:
    """`clock.grok` -> `clock/grok`, `clock.grok.censored_at` -> `clock/grok/censored_at`."""
    return key.replace(".", "/")


class TensorboardTracker:
    def __init__(self, store: Path, family: Family | None):
        self.store, self.family = store, family
        self.root = store / "tensorboard" / (component(family.name) if family else "")

    def open(self, record: RunRecord) -> TensorboardRun:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        name = component(record.label.replace("=", "-").replace(",", "_")) if self.family and record.label \
            else component(record.path.name)  # a label is text from a spec: one safe folder name, never a path
        return TensorboardRun(EventFileWriter(str(_fresh(self.root / name, self.store))), self.family, record)

    def close(self, records: list[RunRecord]) -> str:
        runs = len(records)
        if self.family is not None and self.family.varied:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter

            from clockspec.report.tracker_hparams import experiment

            writer = EventFileWriter(str(_fresh(self.root, self.store)))
            writer.add_event(_event(0, time.time(), experiment(self.family, sorted({c for r in records for c in r.clocks}))))
            writer.close()
        runs = f"{runs} run{'s' if runs != 1 else ''}"
        return f"tensorboard: {runs} in {self.root} (tensorboard --logdir {self.root})"


def _fresh(folder: Path, store: Path) -> Path:
    """`folder` (below `store`), made if need be, without the event files of an earlier export;
    a symbolic link below the store is not written through."""
    if any(p.is_symlink() for p in (folder, *folder.parents) if store in p.parents):
        raise OSError(f"{folder}: a symbolic link on the way; not written through")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(EVENTS):
        if old.is_file() and not old.is_symlink():
            old.unlink()
    return folder


def _event(step: int, wall: float, summary: Any) -> Any:
    from tensorboard.compat.proto.event_pb2 import Event

    return Event(wall_time=wall, step=step, summary=summary)


def _scalars(values: dict[str, float]) -> Any:
    from tensorboard.compat.proto.summary_pb2 import Summary

    return Summary(value=[Summary.Value(tag=k, simple_value=v) for k, v in values.items()])


class TensorboardRun:
    def __init__(self, writer: Any, family: Family | None, record: RunRecord):
        self.writer, self.clocks = writer, set()  # clocks written as they fired
        if family is not None and record.label in family.assignments:
            from clockspec.report.tracker_hparams import session_start

            self.writer.add_event(_event(0, time.time(), session_start(family.assignments[record.label])))

    def rows(self, timed: list[Timed]) -> None:
        for row, t in timed:
            self.writer.add_event(_event(row["step"], t, _scalars(finite_metrics(row))))
        self.writer.flush()

    def clock(self, name: str, step: int, when: float) -> None:
        self.writer.add_event(_event(step, when, _scalars({f"clock/{name}": float(step)})))
        self.writer.flush()
        self.clocks.add(f"clock.{name}")

    def finish(self, record: RunRecord) -> None:
        timed = timed_rows(record)
        for key, value in clock_values(record).items():
            if key in self.clocks:
                continue
            self.writer.add_event(_event(int(value), time_at(timed, int(value)), _scalars({clock_tag(key): value})))
        self.writer.close()

