"""Fits that decide which scaling a clock follows, and the late-time tail of a metric.

Scaling of a clock curve, both models fitted on the same points, x = log(1/threshold):
- logarithmic: tau = a + b x            (R^2 of tau)
- power law:   log tau = c + alpha x    (R^2 of log tau)
Each R^2 is taken in its model's own coordinates (a straight line on a semi-log plot, resp.
a log-log plot), the way a reader checks a scaling by eye.

Points are never dropped silently: a censored point (not reached by the end of the run)
is a lower bound tau > T and is kept out of the least squares but checked against each fit
(a fit that predicts it below T is contradicted); a point reached at step 0 cannot be on a
log axis and is counted as excluded. Both appear in `notes`.

Tail of a metric m approaching its final value: gap(t) = |m(t) - m(T)| over a window from
`start` to half the run, keeping gaps above the noise level (the largest gap in the last half
of the run) and only the final stretch over which the gap shrinks (an overshoot or a hump
comes before the tail). Power tail gap ~ t^-beta (the KL-tail exponent) and exponential tail
gap ~ exp(-r t) (rate r per step) are both fitted; R^2 of log gap for each.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from clockspec.report.curves import ClockCurve

MIN_POINTS = 4
TAIL_END = 0.5
GROWTH = 1e-3  # a gap rising by more than this (relative) between probes is not yet a tail
R2_MARGIN = 0.005  # a model is clearly better when its R^2 is ahead by this much
RESIDUAL_RATIO = 2.0  # ... and it leaves at most half the other's unexplained variance


def clearly_better(r2: dict[str, float]) -> str | None:
    """The name of the model that clearly fits better, or None when they are about equal."""
    (best, r_best), (_, r_other) = sorted(r2.items(), key=lambda kv: -kv[1])
    if r_best - r_other < R2_MARGIN or (1 - r_other) < RESIDUAL_RATIO * (1 - r_best):
        return None
    return best


@dataclass(frozen=True)
class LineFit:
    slope: float
    intercept: float
    r2: float
    n: int

    def predict(self, x: float) -> float:
        return self.intercept + self.slope * x


def fit_line(x: np.ndarray, y: np.ndarray) -> LineFit | None:
    """Least squares y = intercept + slope x; None without enough spread in x or y."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    return LineFit(float(slope), float(intercept), r2, len(x))


@dataclass(frozen=True)
class ScalingFit:
    """tau ~ a + b log(1/thr) (`log`) and log tau ~ c + alpha log(1/thr) (`power`) on one curve."""

    log: LineFit | None
    power: LineFit | None
    n_used: int
    notes: tuple[str, ...]
    from_step: int = 0  # only points reached from this step on were fitted
    regime: str = ""  # why from that step
    until_step: int | None = None  # ... and up to this step
    until: str = ""  # why up to it

    @property
    def b(self) -> float | None:
        return self.log.slope if self.log else None

    @property
    def alpha(self) -> float | None:
        return self.power.slope if self.power else None

    def better(self) -> str | None:
        """'log' or 'power' when one fits clearly better (see `clearly_better`), else None."""
        if not (self.log and self.power):
            return None
        return clearly_better({"log": self.log.r2, "power": self.power.r2})

    def to_json(self) -> dict[str, Any]:
        return {"log": asdict(self.log) if self.log else None, "power": asdict(self.power) if self.power else None,
                "n_used": self.n_used, "notes": list(self.notes), "from_step": self.from_step, "regime": self.regime,
                "until_step": self.until_step, "until": self.until}


def fit_scaling(curve: ClockCurve, from_step: int = 0, regime: str = "",
                until_step: int | None = None, until: str = "") -> ScalingFit:
    """Both models on the reached points; with `from_step` / `until_step`, only those reached in
    that window (the regime the theory speaks of, `regime` and `until` saying why)."""
    reached = [p for p in curve.points if p.reached and p.step > 0]
    early = [p for p in reached if p.step < from_step]
    late = [p for p in reached if until_step is not None and p.step > until_step]
    used = [p for p in reached if p not in early and p not in late]
    at_zero = [p for p in curve.points if p.reached and p.step == 0]
    notes = []
    if at_zero:
        notes.append(f"{len(at_zero)} threshold(s) already met at step 0 (log 0): not fitted")
    if early:
        notes.append(f"{len(early)} threshold(s) reached before step {from_step} ({regime}): outside the regime, not fitted")
    if late:
        notes.append(f"{len(late)} threshold(s) reached after step {until_step} ({until}): outside the regime, not fitted")
    x = np.array([math.log(1 / p.threshold) for p in used])
    tau = np.array([float(p.step) for p in used])
    log_fit = fit_line(x, tau) if len(used) >= MIN_POINTS else None
    power_fit = fit_line(x, np.log(tau)) if len(used) >= MIN_POINTS else None
    if len(used) < MIN_POINTS or not (log_fit and power_fit):
        notes.append(f"{len(used)} usable point(s) with distinct steps: too few to fit (need {MIN_POINTS})")
        log_fit = power_fit = None
    if curve.censored:
        notes.append(_censored_note(curve, log_fit, power_fit))
    return ScalingFit(log_fit, power_fit, len(used), tuple(notes), from_step, regime, until_step, until)


def _censored_note(curve: ClockCurve, log_fit: LineFit | None, power_fit: LineFit | None) -> str:
    """Censored points are lower bounds tau > T: say so, and whether a fit contradicts them."""
    cens = curve.censored
    text = (f"{len(cens)} threshold(s) not reached by step {curve.last_step} (down to "
            f"{min(p.threshold for p in cens):.3g}): lower bounds, kept out of the least squares")
    for name, fit, inverse in (("logarithmic", log_fit, lambda y: y), ("power-law", power_fit, math.exp)):
        if fit is None:
            continue
        low = [p for p in cens if inverse(fit.predict(math.log(1 / p.threshold))) < curve.last_step]
        if low:
            text += f"; the {name} fit predicts {len(low)} of them before step {curve.last_step} (contradicted)"
    return text


@dataclass(frozen=True)
class TailFit:
    metric: str
    start: int
    end: int
    n: int
    beta: float | None  # gap ~ t^-beta
    r2_power: float | None
    rate: float | None  # gap ~ exp(-rate t), per step
    r2_exp: float | None
    note: str = ""
    limit_shift: float = 0.0  # the power fit's estimate of |final value - limit|

    @property
    def shape(self) -> str | None:
        """'power' or 'exponential' when one clearly fits the tail better; None otherwise."""
        if self.r2_power is None or self.r2_exp is None:
            return None
        return clearly_better({"power": self.r2_power, "exponential": self.r2_exp})

    @property
    def fitted(self) -> bool:
        return self.r2_power is not None and self.r2_exp is not None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "shape": self.shape}


def fit_tail(steps: np.ndarray, values: np.ndarray, metric: str, start: int = 0,
             end_fraction: float = TAIL_END) -> TailFit:
    """Power and exponential fits of the gap to the final value over [start, end_fraction * T]."""
    steps, values = np.asarray(steps), np.asarray(values, float)
    if len(values) < 2:
        return TailFit(metric, start, start, 0, None, None, None, None, "fewer than two recorded values")
    first, last = int(steps[0]), int(steps[-1])
    end = int(first + end_fraction * (last - first))
    gaps = np.abs(values - values[-1])
    noise = float(gaps[steps >= first + (last - first) / 2].max())
    keep = (steps >= max(start, 1)) & (steps <= end) & (gaps > noise)
    idx = np.flatnonzero(keep)
    grows = [i for i, j in zip(idx[:-1], idx[1:]) if gaps[j] > gaps[i] * (1 + GROWTH)]
    note = ""
    if grows:
        again = int(steps[idx[idx > grows[-1]][0]])
        keep &= steps >= again
        note = f"; starts where the gap last stopped growing (step {again})"
    t, g = steps[keep].astype(float), gaps[keep]
    if len(t) < MIN_POINTS:
        return TailFit(metric, start, end, len(t), None, None, None, None,
                       f"{len(t)} probe(s) between step {start} and {end} above the noise level {noise:.2g}{note}")
    power, shift, how = _power_tail(t, g, float(last))
    expo = fit_line(t, np.log(g))
    return TailFit(metric, int(t[0]), int(t[-1]), len(t),
                   -power.slope if power else None, power.r2 if power else None,
                   -expo.slope if expo else None, expo.r2 if expo else None,
                   f"gap to the final value above the noise level {noise:.2g}{note}; power fit {how}", shift)


def _power_tail(t: np.ndarray, g: np.ndarray, last: float) -> tuple[LineFit | None, float, str]:
    """gap ~ A t^-beta, the gap taken to the limit rather than to the final value.

    With a power tail the final value still lies A T^-beta short of the limit, which bends
    log gap down near the end and inflates beta; the shift is solved as a fixed point.
    """
    plain = fit_line(np.log(t), np.log(g))
    fit, shift = plain, 0.0
    for _ in range(200):
        if fit is None or fit.slope >= 0:
            break
        new = math.exp(fit.intercept) * last ** fit.slope
        if not math.isfinite(new) or new > 10 * g.max():
            break
        if abs(new - shift) <= 1e-10 * new:
            return fit, new, f"with the limit {new:.3g} beyond the final value"
        shift = new
        fit = fit_line(np.log(t), np.log(g + shift))
    return plain, 0.0, "against the final value (the limit correction did not converge)"
