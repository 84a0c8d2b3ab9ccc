"""Reading a run's recorded probe rows (`metrics.jsonl`) and pulling one metric out of them."""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.core.records import not_a_file
from clockspec.core.safepaths import UnsafePath, read_no_follow
from clockspec.store.objects import data_dir

Rows = Sequence[Mapping[str, Any]]


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The probe rows of `metrics.jsonl` (a run directory or the file itself), sorted by step.

    A torn last line (a run killed mid-write) is skipped; any other bad line is an error.
    """
    path = Path(path)
    if path.is_dir():
        path = data_dir(path) / "metrics.jsonl"
    try:
        lines = read_no_follow(path).decode().splitlines()
    except FileNotFoundError:
        raise SpecError([Diagnostic("no metrics.jsonl here: not a run directory", str(path))]) from None
    except UnsafePath:
        raise not_a_file(path) from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise SpecError([Diagnostic("not a JSON object", str(path), number)]) from None
        if not isinstance(row, dict) or not isinstance(row.get("step"), int):
            raise SpecError([Diagnostic("a probe row needs an integer 'step'", str(path), number)])
        rows.append(row)
    rows.sort(key=lambda r: r["step"])
    return rows


def series(rows: Rows, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the probes where `metric` was recorded as a finite number."""
    steps, values = [], []
    for row in rows:
        value = row.get(metric)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            steps.append(int(row["step"]))
            values.append(float(value))
    return np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=float)


def recorded(rows: Rows) -> set[str]:
    """Metric names with at least one finite value."""
    return {k for row in rows for k, v in row.items()
            if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
