"""What a clock means: one implementation, fed online by the runtime and offline by reports.

A clock is a stopping time over the stream of probe rows `{"step": int, metric: float, ...}`.

- `first M op X [for N steps] [after C]`: the first probe step s (at or after C's step) where
  `M op X` holds at every probe from s up to and including the first probe at or past
  s + N (the evidence that it held for N steps must be recorded). The clock's
  step is s, the start of the streak; it becomes known once the streak is long enough.
- `settle M within D[%] [for N steps] [after C]`: with F the final recorded value and
  tol = D (or D * |F| when relative), the first probe step s (at or after C's step) after
  which every recorded value lies within tol of F. It is censored unless that stretch holds
  at least two probes and spans at least N steps: a metric still moving at the end has
  not settled. Online (for stopping) a settle clock fires provisionally at probe t when the
  values over the trailing window [t - W, t] all lie within tol of the value at t, with
  W = N if given (once the run, or C, is N steps old), else a fifth of the steps so far,
  and at least 3 probes in the window;
  the final answer is always the offline one.

- `last M op X [for N steps] [after C]`: the start of the final stretch of probes (at or
  after C's step) at which `M op X` holds, up to and including the last probe; censored
  unless it holds at the last probe over a stretch spanning at least N steps. Only the end of
  the run tells: it never fires online.
- `enter M op X [times K] [for N steps] [after C]`: entering is holding at a probe after not
  holding at the one before (or at the first probe considered), counted once the stretch has
  held N steps (as `first` counts its streak); the clock's step is the start of the K-th
  entry, known online once it is counted; the result's `entries` counts them over the run.
  `enter ... times 1` is `first`.
- `transition M [r2 R] [after C]`: a sigmoid lo + (hi - lo) / (1 + exp(-k (t - t*))) fitted by
  least squares to M's probes (at or after C's step): for each (t*, 1/k) on a grid, refined
  twice around the best, lo and hi are the linear least squares (numpy alone, no scipy: the
  runtime has no stats extra). The step is the first probe at or past t*; the result gives
  `midpoint` t*, `sharpness` k, `r2`, `low` and `high`. Censored when t* is at the edge of
  the recorded steps or R² < R (0.9 unless given). Known only at the end: never fires online.

A missing or non-finite value never satisfies a condition. A clock that never fires is
censored: `step` None, `reached` False, `value` the metric's last recorded value.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clockspec.core.registry import Registry
from clockspec.ir.clocks import CLOCKS, EnterClock, FirstClock, LastClock, SettleClock, TransitionClock

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}


EXTRA_KEYS = ("entries", "midpoint", "sharpness", "r2", "low", "high")  # what some kinds add to a result


@dataclass(frozen=True)
class ClockResult:
    step: int | None
    reached: bool
    value: float | None
    metric: str
    extra: Mapping[str, float] = field(default_factory=dict)  # enter: entries; transition: the fit

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "reached": self.reached, "value": self.value, "metric": self.metric, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClockResult:
        return cls(data["step"], bool(data["reached"]), data.get("value"), data.get("metric", ""),
                   {k: data[k] for k in EXTRA_KEYS if k in data})


def _number(row: Mapping[str, Any], metric: str) -> float | None:
    value = row.get(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


class _First:
    """Incremental scan of one `first` clock; waits (without consuming rows) for its `after`."""

    def __init__(self, clock: FirstClock):
        self.clock = clock
        self.test = _OPS[clock.op]
        self.pos = 0
        self.start: tuple[int, float] | None = None
        self.fired: tuple[int, float] | None = None

    def advance(self, rows: list[Mapping[str, Any]], not_before: int) -> bool:
        clock = self.clock
        while self.fired is None and self.pos < len(rows):
            row = rows[self.pos]
            self.pos += 1
            step = int(row["step"])
            if step < not_before:
                continue
            value = _number(row, clock.metric)
            if value is not None and self.test(value, clock.value):
                if self.start is None:
                    self.start = (step, value)
                if step - self.start[0] >= clock.for_steps:
                    self.fired = self.start
            else:
                self.start = None
        return self.fired is not None


class _Enter:
    """Incremental count of the entries into one `enter` clock's condition."""

    def __init__(self, clock: EnterClock):
        self.clock = clock
        self.test = _OPS[clock.op]
        self.pos = 0
        self.start: tuple[int, float] | None = None  # the current stretch's first probe
        self.counted = False  # the current stretch has held long enough to count
        self.entries = 0
        self.fired: tuple[int, float] | None = None

    def advance(self, rows: list[Mapping[str, Any]], not_before: int) -> bool:
        clock = self.clock
        for row in rows[self.pos:]:
            self.pos += 1
            step = int(row["step"])
            if step < not_before:
                continue
            value = _number(row, clock.metric)
            if value is None or not self.test(value, clock.value):
                self.start = None
                continue
            if self.start is None:
                self.start, self.counted = (step, value), False
            if not self.counted and step - self.start[0] >= clock.for_steps:
                self.counted, self.entries = True, self.entries + 1
                if self.entries == clock.times:
                    self.fired = self.start
        return self.fired is not None


def last_step(clock: LastClock, rows: list[Mapping[str, Any]], not_before: int) -> tuple[int, float] | None:
    """(step, value) of the final stretch's start in which the condition holds to the last probe."""
    test = _OPS[clock.op]
    values = [(int(r["step"]), _number(r, clock.metric)) for r in rows if int(r["step"]) >= not_before]
    start: tuple[int, float] | None = None
    for step, value in reversed(values):
        if value is None or not test(value, clock.value):
            break
        start = (step, value)
    if start is None or values[-1][0] - start[0] < clock.for_steps:
        return None
    return start


def settle_step(clock: SettleClock, rows: list[Mapping[str, Any]], not_before: int) -> tuple[int, float] | None:
    """Offline settle: (step, value) of the settled stretch's start, or None if censored."""
    values = [(int(r["step"]), _number(r, clock.metric)) for r in rows if int(r["step"]) >= not_before]
    finals = [v for _, v in values if v is not None]
    if not finals:
        return None
    final = finals[-1]
    tol = clock.within * abs(final) if clock.relative else clock.within
    start: tuple[int, float] | None = None
    count = 0
    for step, value in reversed(values):
        if value is None or abs(value - final) > tol:
            break
        start, count = (step, value), count + 1
    if start is None or count < 2 or values[-1][0] - start[0] < clock.for_steps:
        return None
    return start


def _settled_online(clock: SettleClock, rows: list[Mapping[str, Any]], not_before: int) -> int | None:
    last = rows[-1]
    now, current = int(last["step"]), _number(last, clock.metric)
    if current is None or now < not_before:
        return None
    origin = max(not_before, int(rows[0]["step"]))
    window = clock.for_steps or (now - origin) // 5
    if now - origin < window:
        return None  # the run has not yet lasted the N steps the settle must hold for
    tol = clock.within * abs(current) if clock.relative else clock.within
    inside = 0
    start = now
    for row in reversed(rows):
        step = int(row["step"])
        if step < now - window or step < not_before:
            break
        value = _number(row, clock.metric)
        if value is None or abs(value - current) > tol:
            return None
        inside, start = inside + 1, step
    return start if inside >= 3 else None


class ClockTracker:
    """Evaluates a spec's clocks as probe rows arrive; `results()` gives the final answer.

    Online, `first` and `enter` fire when their evidence is in and `settle` fires provisionally;
    `last` and `transition` (not `online`) are decided by `results()` alone."""

    def __init__(self, clocks: Mapping[str, Any], stop: Any = None):
        self.clocks = dict(clocks)
        self.rows: list[Mapping[str, Any]] = []
        # Each clock reads the rows that hold its metric: one with its own cadence resolves at its probes.
        self._rows_of: dict[str, list[Mapping[str, Any]]] = {c.metric: [] for c in self.clocks.values()}
        for clock in self.clocks.values():
            judge_of(clock.kind)
            if clock.online and type(clock) not in _SCANNERS and not isinstance(clock, SettleClock):
                raise TypeError(f"clock kind {clock.kind!r} says it fires online but has no online scanner "
                                "(clockspec.clocks._SCANNERS)")
        self._scans = {n: _SCANNERS[type(c)](c) for n, c in self.clocks.items() if type(c) in _SCANNERS}
        self._settled: dict[str, int] = {}  # provisional online settle steps
        self._known: dict[str, int] = {}  # clock -> probe step at which it became known
        self._stop_after = list(getattr(stop, "after", []) or [])
        self._patience = int(getattr(stop, "patience", 0) or 0)

    def fired_step(self, name: str) -> int | None:
        if name in self._scans:
            fired = self._scans[name].fired
            return fired[0] if fired else None
        return self._settled.get(name)

    def _not_before(self, clock: Any) -> int | None:
        if clock.after is None:
            return 0
        return self.fired_step(clock.after)

    def update(self, row: Mapping[str, Any]) -> list[str]:
        """Feed one probe row; return the clocks that fired (or provisionally settled) now."""
        self.rows.append(row)
        for metric, rows in self._rows_of.items():
            if metric in row:
                rows.append(row)
        now = int(row["step"])
        fired: list[str] = []
        progress = True
        while progress:  # a clock firing can release clocks that run after it
            progress = False
            for name, clock in self.clocks.items():
                if name in self._known or not clock.online:
                    continue
                not_before = self._not_before(clock)
                if not_before is not None and self._fires_now(name, clock, not_before):
                    self._known[name] = now
                    fired.append(name)
                    progress = True
        return fired

    def _fires_now(self, name: str, clock: Any, not_before: int) -> bool:
        rows = self._rows_of[clock.metric]
        if name in self._scans:
            return self._scans[name].advance(rows, not_before)
        if not rows:
            return False
        step = _settled_online(clock, rows, not_before)
        if step is not None:
            self._settled[name] = step
        return step is not None

    @property
    def should_stop(self) -> bool:
        """All `stop.after` clocks have fired and `patience` more steps have run."""
        if not self._stop_after or not self.rows:
            return False
        if any(name not in self._known for name in self._stop_after):
            return False
        return int(self.rows[-1]["step"]) >= max(self._known[n] for n in self._stop_after) + self._patience

    def results(self) -> dict[str, ClockResult]:
        """Final clocks, each judged over the whole stream (settle against the final values)."""
        out: dict[str, ClockResult] = {}
        pending = list(self.clocks)
        while pending:
            progressed = False
            for name in list(pending):
                clock = self.clocks[name]
                if clock.after is not None and clock.after in pending:
                    continue  # its `after` clock is judged first
                pending.remove(name)
                progressed = True
                out[name] = self._final(clock, out)
            if not progressed:  # an `after` cycle (refused by validation): censor the rest
                for name in pending:
                    out[name] = self._censored(self.clocks[name])
                pending = []
        return {name: out[name] for name in self.clocks}

    def _final(self, clock: Any, done: Mapping[str, ClockResult]) -> ClockResult:
        if clock.after is not None:
            parent = done.get(clock.after)
            if parent is None or not parent.reached:
                return self._censored(clock)
            not_before = int(parent.step)
        else:
            not_before = 0
        # Online, `after` may have used a provisional settle: every clock is judged afresh.
        return judge(clock, self.rows, not_before)

    def _censored(self, clock: Any) -> ClockResult:
        """A clock whose `after` never fired: not even started."""
        extra = {"entries": 0} if isinstance(clock, EnterClock) else {}
        return ClockResult(None, False, _last_value(self.rows, clock.metric), clock.metric, extra)


_SCANNERS: dict[type, Any] = {FirstClock: _First, EnterClock: _Enter}  # the clocks scanned incrementally online
Judgement = tuple[tuple[int, float] | None, dict[str, float]]  # (step, value) or None (censored), and the extras

# Each clock kind's judge over a whole recorded stream: (clock, rows with its metric, not_before) -> Judgement.
JUDGES: Registry[Any] = Registry("clock judge")


def _scanned(clock: Any, rows: list[Mapping[str, Any]], not_before: int) -> Judgement:
    scan = _SCANNERS[type(clock)](clock)
    scan.advance(rows, not_before)
    return scan.fired, ({"entries": scan.entries} if isinstance(clock, EnterClock) else {})


JUDGES.add("first", _scanned)
JUDGES.add("enter", _scanned)
JUDGES.add("settle", lambda clock, rows, not_before: (settle_step(clock, rows, not_before), {}))
JUDGES.add("last", lambda clock, rows, not_before: (last_step(clock, rows, not_before), {}))
JUDGES.add("transition", lambda clock, rows, not_before: transition_step(clock, rows, not_before))


def judge_of(kind: str) -> Any:
    """The judge of a clock kind; a kind registered without one is refused, never judged as another."""
    if kind not in JUDGES:
        raise TypeError(f"clock kind {kind!r} has no judge: register one in clockspec.clocks.JUDGES "
                        "(see docs/extending.md)")
    return JUDGES[kind]


def _every_clock_kind_is_judged() -> None:
    for kind in CLOCKS:
        judge_of(kind)


_every_clock_kind_is_judged()


def judge(clock: Any, rows: list[Mapping[str, Any]], not_before: int) -> ClockResult:
    """One clock over the whole recorded stream from `not_before` (censored when it never
    fired; an `enter` clock's entries and a transition's fit are given either way). Rows without
    the clock's metric (not due at that probe: its cadence) are not evidence either way."""
    rows = [r for r in rows if clock.metric in r]
    fired, extra = judge_of(clock.kind)(clock, rows, not_before)
    if fired is None:
        return ClockResult(None, False, _last_value(rows, clock.metric), clock.metric, extra)
    return ClockResult(fired[0], True, fired[1], clock.metric, extra)


def _last_value(rows: list[Mapping[str, Any]], metric: str) -> float | None:
    return next((v for v in (_number(r, metric) for r in reversed(rows)) if v is not None), None)


def transition_step(clock: TransitionClock, rows: list[Mapping[str, Any]],
                    not_before: int) -> tuple[tuple[int, float] | None, dict[str, float]]:
    """(step, value) of the first probe at or past the fitted midpoint (None: censored), and the fit."""
    points = [(int(r["step"]), v) for r in rows if int(r["step"]) >= not_before
              and (v := _number(r, clock.metric)) is not None]
    fit = fit_sigmoid(np.array([t for t, _ in points], float), np.array([v for _, v in points], float))
    if fit is None:
        return None, {}
    inside = points[0][0] < fit["midpoint"] < points[-1][0]
    if not inside or fit["r2"] < clock.min_r2:
        return None, fit
    return next(p for p in points if p[0] >= fit["midpoint"]), fit


def fit_sigmoid(t: np.ndarray, y: np.ndarray) -> dict[str, float] | None:
    """Least squares y ~ low + (high - low) * sigmoid(k (t - midpoint)); None when there is
    nothing to fit (fewer than four points, or a constant stream). A grid over the midpoint
    (within the steps) and the width 1/k (a thousandth of the span to the span), refined
    twice around the best; low and high in closed form for each."""
    if len(t) < 4 or np.ptp(t) == 0 or np.ptp(y) == 0:
        return None
    span = float(t[-1] - t[0])
    centres, widths = np.linspace(t[0], t[-1], 81), span * np.geomspace(1e-3, 1.0, 31)
    for _ in range(3):
        centre, width, low, rise, sse = _best_on_grid(t, y, centres, widths)
        dc = centres[1] - centres[0]
        centres = np.clip(np.linspace(centre - dc, centre + dc, 41), t[0], t[-1])
        widths = width * np.geomspace(1 / 1.5, 1.5, 21)
    total = float(((y - y.mean()) ** 2).sum())
    return {"midpoint": centre, "sharpness": 1.0 / width, "r2": 1.0 - sse / total, "low": low, "high": low + rise}


def _best_on_grid(t: np.ndarray, y: np.ndarray, centres: np.ndarray,
                  widths: np.ndarray) -> tuple[float, float, float, float, float]:
    """(midpoint, width, low, high - low, sse) of the best sigmoid on the grid."""
    best = (math.inf, 0.0, 0.0, 0.0, 0.0)
    yc = y - y.mean()
    for centre in centres:
        s = 0.5 * (1.0 + np.tanh((t[None, :] - centre) / (2.0 * widths[:, None])))  # a stable logistic
        sc = s - s.mean(axis=1, keepdims=True)
        var = (sc * sc).sum(axis=1)
        cov = (sc * yc).sum(axis=1)
        sse = np.where(var > 0, (yc * yc).sum() - cov**2 / np.where(var > 0, var, 1.0), math.inf)
        i = int(np.argmin(sse))
        if sse[i] < best[0]:
            rise = cov[i] / var[i]
            best = (float(sse[i]), float(centre), float(widths[i]), float(y.mean() - rise * s[i].mean()), float(rise))
    sse, centre, width, low, rise = best
    return centre, width, low, rise, sse


def evaluate_clocks(clocks: Mapping[str, Any], rows: Iterable[Mapping[str, Any]], stop: Any = None) -> dict[str, ClockResult]:
    """Offline evaluation over recorded rows (e.g. metrics.jsonl): the same code as online."""
    tracker = ClockTracker(clocks, stop)
    for row in rows:
        tracker.update(row)
    return tracker.results()
