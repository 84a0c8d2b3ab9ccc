"""Runs into the trackers researchers already look at: `--log mlflow|tensorboard|wandb`
(optional extras: `pip install 'clockspec[mlflow]'`, `'clockspec[tensorboard]'`, `'clockspec[wandb]'`).

What every tracker is told of a run comes from here, read from its run directory (untrusted):
- one tracker run per run, whose id (`run_key`) is derived from the train hash and the clock
  set, so exporting again (or after streaming it live, `tracking_follow`) updates that run
  instead of making a second one, with one point per probe; tags and description refreshed;
- each probe row at its step and at the wall time it was recorded (`times.jsonl`, written
  beside the bit-identical `metrics.jsonl`; a run from before it existed gets times spread
  over its recorded wall time);
- clocks as numbers: `clock.NAME` (its step) when it fired, else `clock.NAME.censored_at`
  (the last step trained), so numeric filters and sorts keep censored runs;
- a family member's varied values (hparams) and its family, under a parent for the family.
The trackers themselves: tracker_mlflow, tracker_tensorboard, tracker_wandb; exporting a run
whole: tracking_export; streaming it while it trains: tracking_follow.
"""
from __future__ import annotations

import calendar
import hashlib
import importlib.util
import json
import math
import os
import socket
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from clockspec.core.errors import RunError, SpecError, argument_error
from clockspec.core.fileio import read_json
from clockspec.core.safepaths import UnsafePath, read_no_follow
from clockspec.store.family import LOCK
from clockspec.store.index import RunRecord
from clockspec.store.rundir import TIMES, RunDir

TRACKERS = {"mlflow": "mlflow", "tensorboard": "tensorboard", "wandb": "wandb"}  # --log NAME -> its package
CONNECT_S = 5.0  # how long a tracking server may take to accept a connection before --log gives up
META = ("name", "description", "tags")  # spec fields that are tracker metadata (tags), not parameters


def require(trackers: list[str]) -> None:
    """Refuse, before anything trains, a tracker whose package is not installed or whose
    server does not answer."""
    for name in trackers:
        if importlib.util.find_spec(TRACKERS[name]) is None:
            raise SpecError([argument_error(f"--log {name}", f"needs the {name} package, which is not installed",
                                            f"pip install 'clockspec[{name}]'")])
    if "mlflow" in trackers:
        reachable(os.environ.get("MLFLOW_TRACKING_URI", ""), "--log mlflow (MLFLOW_TRACKING_URI)")


def reachable(uri: str, where: str) -> None:
    """An http(s) tracking URI must accept a connection within CONNECT_S seconds (a server
    that is down otherwise costs minutes of the client's retries)."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        socket.create_connection((parsed.hostname, port), timeout=CONNECT_S).close()
    except (OSError, ValueError) as exc:
        raise RunError(f"the tracking server {uri} does not answer within {CONNECT_S:g} s ({exc})", where,
                       hint="start the server, or point MLFLOW_TRACKING_URI at a local store "
                            "(sqlite:///mlflow.db)") from exc


@dataclass
class Family:
    """The family a run belongs to, as its folder records it."""

    folder: Path
    name: str
    spec_file: Path | None  # the family spec the user ran (an artifact of the parent)
    varied: dict[str, list[Any]] = field(default_factory=dict)  # varied path -> its values, in member order
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)  # member label -> its varied values
    labels: dict[str, str] = field(default_factory=dict)  # member run directory name -> its label
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)  # member label -> its spec as locked now


def read_family(folder: Path, spec_file: Path | None = None) -> Family:
    lock = read_json(folder / LOCK)
    lock = lock if isinstance(lock, dict) else {}
    members = [m for m in lock.get("members", []) if isinstance(m, dict) and isinstance(m.get("assignment"), dict)]
    paths = [p for p in lock.get("varied", []) if isinstance(p, str)]
    varied = {p: list(dict.fromkeys(json.dumps(m["assignment"].get(p)) for m in members)) for p in paths}
    return Family(folder, str(lock.get("family", folder.name)), spec_file,
                  {p: [json.loads(v) for v in values] for p, values in varied.items()},
                  {str(m.get("label", "")): m["assignment"] for m in members},
                  {str(m.get("run_dir", "")): str(m.get("label", "")) for m in members},
                  {str(m.get("label", "")): m["spec"] for m in members if isinstance(m.get("spec"), dict)})


def with_metadata(record: RunRecord, spec: dict[str, Any] | None) -> RunRecord:
    """`record` with the tags and description of its spec as it is now (`spec`: the spec's
    fields; None: as the run directory has them): a reused run keeps its locked spec,
    written when it trained, so an edited description would be exported stale."""
    if spec is None:
        return record
    tags = [str(t) for t in spec.get("tags") or [] if isinstance(t, (str, int, float))]
    locked = record.spec.get("tags") if isinstance(record.spec.get("tags"), list) else []
    added = [t for t in record.tags if t not in locked]  # by `runs --tag`, not by the spec
    description = spec.get("description") if isinstance(spec.get("description"), str) else ""
    return replace(record, tags=list(dict.fromkeys([*tags, *added])),
                   spec={**record.spec, "tags": tags, "description": description})


def run_key(record: RunRecord) -> str:
    """The tracker run id of `record`: its train hash and its clock set (32 hex digits)."""
    clocks = {k: v for k, v in record.spec.items() if k == "clocks" or k.startswith("clocks.")}
    text = json.dumps([record.train_hash, clocks], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def family_key(family: Family) -> str:
    return hashlib.sha256(f"family\n{family.name}".encode()).hexdigest()[:32]


def params(record: RunRecord) -> dict[str, str]:
    """The flattened spec, less the metadata (which trackers hold as tags), as text."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in record.spec.items()
            if k.split(".")[0] not in META}


def spec_tags(record: RunRecord) -> list[str]:
    return [str(t) for t in record.tags]


def description(record: RunRecord) -> str:
    value = record.spec.get("description", "")
    return value if isinstance(value, str) else ""


def finite_metrics(row: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in row.items()
            if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


Timed = tuple[dict[str, Any], float]  # a probe row and the unix time it was recorded


def timed_rows(record: RunRecord, rows: list[dict[str, Any]] | None = None) -> list[Timed]:
    """`rows` (default: all the run's rows) with the time each was recorded."""
    rows = RunDir(record.data or record.path).read_rows() if rows is None else rows
    times = read_times(record.data or record.path)  # a view's training files are its object's
    start, wall, last = _started(record), record.wall_s or 0.0, max((r["step"] for r in rows), default=0)
    return [(r, times.get(r["step"], start + wall * r["step"] / max(last, 1))) for r in rows]


def read_times(run_dir: Path) -> dict[int, float]:
    """step -> unix time from times.jsonl (the last line for a step wins: a resume re-records)."""
    out: dict[int, float] = {}
    try:
        lines = read_no_follow(run_dir / TIMES).decode().splitlines()
    except (OSError, UnicodeDecodeError, UnsafePath):
        return out
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), int) and isinstance(row.get("time"), (int, float)) \
                and math.isfinite(row["time"]):
            out[row["step"]] = float(row["time"])
    return out


def _started(record: RunRecord) -> float:
    try:
        return float(calendar.timegm(time.strptime(record.date, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return time.time()


def clock_values(record: RunRecord) -> dict[str, float]:
    """`clock.NAME`: the step it fired; `clock.NAME.censored_at`: the last step of a run it did not fire in."""
    out = {}
    for name in record.clocks:
        step = record.clock_step(name)
        out[f"clock.{name}" if step is not None else f"clock.{name}.censored_at"] = float(
            step if step is not None else record.step)
    return out


def clock_tag(record: RunRecord, name: str) -> str:
    step = record.clock_step(name)
    return f"step {step}" if step is not None else f"not reached by step {record.step}"


def time_at(timed: list[Timed], step: int) -> float:
    """When the probe at `step` (or the last before it) was recorded."""
    before = [t for row, t in timed if row["step"] <= step]
    return before[-1] if before else (timed[0][1] if timed else time.time())
