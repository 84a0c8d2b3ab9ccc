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

A missing or non-finite value never satisfies a condition. A clock that never fires is
censored: `step` None, `reached` False, `value` the metric's last recorded value.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clockspec.ir.clocks import FirstClock, SettleClock

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}


@dataclass(frozen=True)
class ClockResult:
    step: int | None
    reached: bool
    value: float | None
    metric: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "reached": self.reached, "value": self.value, "metric": self.metric}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClockResult:
        return cls(data["step"], bool(data["reached"]), data.get("value"), data.get("metric", ""))


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
    """Evaluates a spec's clocks as probe rows arrive; `results()` gives the final answer."""

    def __init__(self, clocks: Mapping[str, Any], stop: Any = None):
        self.clocks = dict(clocks)
        self.rows: list[Mapping[str, Any]] = []
        self._first = {n: _First(c) for n, c in self.clocks.items() if isinstance(c, FirstClock)}
        self._settled: dict[str, int] = {}  # provisional online settle steps
        self._known: dict[str, int] = {}  # clock -> probe step at which it became known
        self._stop_after = list(getattr(stop, "after", []) or [])
        self._patience = int(getattr(stop, "patience", 0) or 0)

    def fired_step(self, name: str) -> int | None:
        if name in self._first:
            fired = self._first[name].fired
            return fired[0] if fired else None
        return self._settled.get(name)

    def _not_before(self, clock: Any) -> int | None:
        if clock.after is None:
            return 0
        return self.fired_step(clock.after)

    def update(self, row: Mapping[str, Any]) -> list[str]:
        """Feed one probe row; return the clocks that fired (or provisionally settled) now."""
        self.rows.append(row)
        now = int(row["step"])
        fired: list[str] = []
        progress = True
        while progress:  # a clock firing can release clocks that run after it
            progress = False
            for name, clock in self.clocks.items():
                if name in self._known:
                    continue
                not_before = self._not_before(clock)
                if not_before is None:
                    continue
                if isinstance(clock, FirstClock):
                    done = self._first[name].advance(self.rows, not_before)
                else:
                    step = _settled_online(clock, self.rows, not_before)
                    done = step is not None
                    if done:
                        self._settled[name] = step
                if done:
                    self._known[name] = now
                    fired.append(name)
                    progress = True
        return fired

    @property
    def should_stop(self) -> bool:
        """All `stop.after` clocks have fired and `patience` more steps have run."""
        if not self._stop_after or not self.rows:
            return False
        if any(name not in self._known for name in self._stop_after):
            return False
        return int(self.rows[-1]["step"]) >= max(self._known[n] for n in self._stop_after) + self._patience

    def results(self) -> dict[str, ClockResult]:
        """Final clocks: `first` as tracked, `settle` judged against the final values."""
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
                out[name] = self._final(name, clock, out)
            if not progressed:  # an `after` cycle (refused by validation): censor the rest
                for name in pending:
                    out[name] = self._censored(self.clocks[name])
                pending = []
        return {name: out[name] for name in self.clocks}

    def _final(self, name: str, clock: Any, done: Mapping[str, ClockResult]) -> ClockResult:
        if clock.after is not None:
            parent = done.get(clock.after)
            if parent is None or not parent.reached:
                return self._censored(clock)
            not_before = int(parent.step)
        else:
            not_before = 0
        if isinstance(clock, FirstClock):
            fired = self._first[name].fired
            if clock.after is not None:
                # Online, `after` may have used a provisional settle: rescan against the final one.
                scan = _First(clock)
                scan.advance(self.rows, not_before)
                fired = scan.fired
        else:
            fired = settle_step(clock, self.rows, not_before)
        if fired is None:
            return self._censored(clock)
        return ClockResult(fired[0], True, fired[1], clock.metric)

    def _censored(self, clock: Any) -> ClockResult:
        last = next((v for v in (_number(r, clock.metric) for r in reversed(self.rows)) if v is not None), None)
        return ClockResult(None, False, last, clock.metric)


def evaluate_clocks(clocks: Mapping[str, Any], rows: Iterable[Mapping[str, Any]], stop: Any = None) -> dict[str, ClockResult]:
    """Offline evaluation over recorded rows (e.g. metrics.jsonl): the same code as online."""
    tracker = ClockTracker(clocks, stop)
    for row in rows:
        tracker.update(row)
    return tracker.results()
