"""Clock times over seeds and arms as survival data: a clock that never fired is right-censored
at the run's last step, never filled in with the budget nor averaged.

An arm is the members that differ only in their seeds (`seed`, `task.split_seed`). Per clock
and arm: the Kaplan-Meier curve, its median with a 95% interval (read off the curve's
exponential Greenwood band, as lifelines gives it) and the censored fraction; between arms the
log-rank test (with more than two arms: the overall test on k-1 degrees of freedom and the
pairwise table, p-values unadjusted). The estimators are lifelines', an optional extra
(`clockspec[stats]`): `MISSING` says how to install it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from clockspec.report.family_table import SEED_PATHS, FamilyReport, Row, axes_to_plot
from clockspec.store import family as store
from clockspec.syntax import naming

MISSING = "survival statistics need lifelines: pip install 'clockspec[stats]'"
LEVEL = 0.95


@dataclass(frozen=True)
class ArmClock:
    """One clock in one arm: each finished member's time (its step, or its last step if censored)."""

    arm: str
    clock: str
    times: list[int]
    fired: list[bool]
    median: float | None = None  # None: the curve never falls to one half (more than half censored)
    low: float | None = None  # None: the interval has no lower end
    high: float | None = None  # None: the interval is unbounded above
    curve: list[tuple[float, float, float, float]] = field(default_factory=list)  # step, S, S_low, S_high

    @property
    def n(self) -> int:
        return len(self.times)

    @property
    def censored(self) -> int:
        return self.fired.count(False)

    @property
    def censored_fraction(self) -> float:
        return self.censored / self.n if self.n else math.nan

    def to_json(self) -> dict[str, Any]:
        return {"arm": self.arm, "clock": self.clock, "n": self.n, "censored": self.censored,
                "censored_fraction": self.censored_fraction if self.n else None, "median": self.median, "median_low": self.low,
                "median_high": self.high, "level": LEVEL, "times": self.times, "fired": self.fired}


@dataclass(frozen=True)
class LogRank:
    clock: str
    arms: tuple[str, ...]  # the two arms compared, or every arm for the overall test
    statistic: float | None  # None: no clock fired in these arms, nothing to compare
    dof: int
    p: float | None

    def to_json(self) -> dict[str, Any]:
        return {"clock": self.clock, "arms": list(self.arms), "statistic": self.statistic, "dof": self.dof,
                "p": self.p}


@dataclass
class Survival:
    arms: list[str]
    clocks: list[str]
    estimates: dict[str, list[ArmClock]]  # clock -> one per arm
    overall: dict[str, LogRank]  # clock -> the test across all arms (two or more)
    pairwise: dict[str, list[LogRank]]  # clock -> one per pair of arms (more than two arms)

    def to_json(self) -> dict[str, Any]:
        return {"arms": self.arms, "level": LEVEL, "pairwise_p_adjusted": False,
                "clocks": {c: {"arms": [e.to_json() for e in self.estimates[c]],
                               "logrank": self.overall[c].to_json() if c in self.overall else None,
                               "pairwise": [t.to_json() for t in self.pairwise.get(c, [])]}
                           for c in self.clocks}}


def available() -> bool:
    try:
        import lifelines  # noqa: F401
    except ImportError:
        return False
    return True


def arm_paths(report: FamilyReport) -> list[str]:
    """The varied paths that name an arm: everything but seeds, less a part whose field varies."""
    return [p for p in axes_to_plot(report) if p not in SEED_PATHS]


def arms_of(report: FamilyReport) -> dict[str, list[Row]]:
    """Finished members grouped by arm, in the family's order; the arm's label is `key=value, ...`."""
    paths = arm_paths(report)
    out: dict[str, list[Row]] = {}
    for r in report.rows:
        if r.status in store.FINISHED and r.step is not None:
            label = ", ".join(f"{report.keys[p]}={_shown(r.values[p])}" for p in paths) or "all members"
            out.setdefault(label, []).append(r)
    return out


def _shown(value: Any) -> str:
    return "off" if value is None else value if isinstance(value, str) else naming.readable(value)


def estimate(report: FamilyReport) -> Survival:
    """Kaplan-Meier per clock and arm, and the log-rank tests between arms."""
    arms = arms_of(report)
    estimates = {c: [kaplan_meier(arm, c, rows) for arm, rows in arms.items()] for c in report.clock_names}
    overall, pairwise = {}, {}
    for clock, per_arm in estimates.items():
        tested = [e for e in per_arm if e.n]
        if len(tested) >= 2:
            overall[clock] = logrank(clock, tested)
        if len(tested) > 2:
            pairwise[clock] = [logrank(clock, [a, b]) for a, b in combinations(tested, 2)]
    return Survival(list(arms), list(report.clock_names), estimates, overall, pairwise)


def kaplan_meier(arm: str, clock: str, rows: list[Row]) -> ArmClock:
    """One arm's curve for one clock, each run censored at its own last step."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    samples = [_sample(r, clock) for r in rows]
    samples = [s for s in samples if s is not None]
    if not samples:
        return ArmClock(arm, clock, [], [])
    times, fired = [t for t, _ in samples], [f for _, f in samples]
    km = KaplanMeierFitter(alpha=1 - LEVEL).fit(times, fired)
    band = km.confidence_interval_
    ci = median_survival_times(band).iloc[0]
    curve = [(float(t), float(s), float(lo), float(hi)) for t, s, lo, hi in
             zip(km.survival_function_.index, km.survival_function_.iloc[:, 0], band.iloc[:, 0], band.iloc[:, 1])]
    return ArmClock(arm, clock, times, fired, _finite(km.median_survival_time_), _finite(ci.iloc[0]),
                    _finite(ci.iloc[1]), curve)


def _sample(row: Row, clock: str) -> tuple[int, bool] | None:
    c = row.clocks.get(clock)
    if c is None:
        return None
    return (int(c["step"]), True) if c.get("reached") else (int(row.step), False)


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def logrank(clock: str, arms: list[ArmClock]) -> LogRank:
    """The log-rank test of equal hazards across `arms` (two: the classic test; more: k-1 dof)."""
    from lifelines.statistics import multivariate_logrank_test

    names = tuple(a.arm for a in arms)
    if not any(f for a in arms for f in a.fired):
        return LogRank(clock, names, None, len(arms) - 1, None)
    times = [t for a in arms for t in a.times]
    groups = [a.arm for a in arms for _ in a.times]
    events = [f for a in arms for f in a.fired]
    result = multivariate_logrank_test(times, groups, events)
    return LogRank(clock, names, float(result.test_statistic), int(result.degrees_of_freedom), float(result.p_value))
