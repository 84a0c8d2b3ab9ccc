"""Clock curves: a clock's step as a function of its threshold, tau(eps) or tau(delta).

The clock at each threshold is evaluated by `clockspec.clocks` (the one implementation of
what a clock means); this module only chooses the thresholds.

- form `first`: tau(eps) = first step with `metric <= eps`. Default grid: log-spaced from the
  first recorded value down to the smallest value reached.
- form `settle`: tau(delta) = first step after which the metric stays within delta of its
  final value. Default grid: log-spaced from the largest gap |v - v_final| down to the largest
  gap in the last tenth of the run (`last`), or to `floor` if higher. Below that the settle
  step would fall in the last tenth, with too little run left to show that the metric stays.
  The caller passes as `floor` ten times the distance from the final value to the limit when
  a power tail puts it visibly short (see `fits.fit_tail`): below it "final value" is a poor
  stand-in for the limit and the curve bends down for want of time, not from the dynamics.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clockspec.clocks import evaluate_clocks, settle_step
from clockspec.ir.clocks import FirstClock, SettleClock
from clockspec.report.rows import Rows, series

LAST = 0.1


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    step: int | None  # None: censored (not reached by the last probe)
    value: float | None  # the metric at that step (its last value when censored)

    @property
    def reached(self) -> bool:
        return self.step is not None


@dataclass(frozen=True)
class ClockCurve:
    metric: str
    form: str  # "first" or "settle"
    points: tuple[CurvePoint, ...]
    last_step: int
    grid_note: str

    @property
    def censored(self) -> tuple[CurvePoint, ...]:
        return tuple(p for p in self.points if not p.reached)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "form": self.form, "last_step": self.last_step, "grid": self.grid_note,
            "points": [{"threshold": p.threshold, "step": p.step, "value": p.value} for p in self.points],
        }


def clock_curve(rows: Rows, metric: str, form: str, thresholds: Sequence[float] | None = None,
                n: int = 40, last: float = LAST, floor: float = 0.0) -> ClockCurve:
    """The clock `form` on `metric` evaluated at each threshold (a default grid when None)."""
    steps, values = series(rows, metric)
    final_step = int(rows[-1]["step"]) if rows else 0
    if thresholds is None:
        thresholds, note = _grid(steps, values, form, n, last, floor)
    else:
        thresholds, note = sorted({float(t) for t in thresholds}, reverse=True), "given thresholds"
    if form == "first":
        clocks = {f"t{i}": FirstClock(kind="first", metric=metric, op="<=", value=t) for i, t in enumerate(thresholds)}
        results = evaluate_clocks(clocks, rows)
        found = [(results[f"t{i}"].step, results[f"t{i}"].value) for i in range(len(thresholds))]
    elif form == "settle":
        found = []
        for t in thresholds:
            hit = settle_step(SettleClock(kind="settle", metric=metric, within=t), list(rows), 0)
            found.append(hit if hit else (None, float(values[-1]) if len(values) else None))
    else:
        raise ValueError(f"unknown clock form {form!r}")
    points = tuple(CurvePoint(float(t), s, v) for t, (s, v) in zip(thresholds, found))
    return ClockCurve(metric, form, points, final_step, note)


def _grid(steps: np.ndarray, values: np.ndarray, form: str, n: int, last: float, floor: float) -> tuple[list[float], str]:
    if len(values) < 2:
        return [], "fewer than two recorded values"
    if form == "first":
        top, bottom = float(values[0]), float(values.min())
        if not (top > bottom > 0):
            return [], f"{'no decrease' if top <= bottom else 'values not positive'}: no thresholds"
        return list(np.geomspace(top, bottom, n)), f"log grid from the first value {top:.3g} to the smallest reached {bottom:.3g}"
    gaps = np.abs(values - values[-1])
    top = float(gaps.max())
    late = gaps[steps >= steps[-1] - last * (steps[-1] - steps[0])]
    bottom, why = float(late.max()), f"the largest gap in the last {last:.0%} of the run"
    if floor > bottom:
        bottom, why = floor, "ten times the power tail's distance from the final value to the limit"
    if bottom <= 0:
        positive = gaps[gaps > 0]
        bottom, why = (float(positive.min()) if len(positive) else 0.0), "the smallest gap"
    if not (top > bottom > 0):
        return [], "the metric does not move: no thresholds"
    return (list(np.geomspace(top, bottom, n)),
            f"log grid from the largest gap to the final value {top:.3g} down to {bottom:.3g}, {why}")
