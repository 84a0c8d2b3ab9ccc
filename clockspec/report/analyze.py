"""One run's clock analysis from its probe rows (and its spec when there is one).

Choices, so that the report can state them:
- Structural energy (the simplification clock's metric): the metric of the spec's simplify
  clock when it is a structural metric; else `schatten` (deep linear: the Schatten-2/L
  energy of the end-to-end map) when recorded; else `weight_norm`.
- Fitting clock form: `first train_loss <= eps` when nothing holds the loss up; relative to
  the floor (`settle train_loss within eps`) when the spec's fit clock is a settle clock, when
  a regularizer is on (the loss then has a floor above zero), or, without a spec, when the
  loss is flat over the last quarter of the run.
- Fits are judged in the regime the theory speaks of: the fitting clock from the step where
  the training margin turns positive (when `margin` is recorded) and, in the floor form, up
  to the simplify clock (after it the loss floor itself drifts with the structure); the
  simplification clock from the fit clock on. Earlier points are shown and counted, and fitted separately too.
- The late-time window for tails starts at the fit clock (else, if it never fired, at a tenth of the run).
- Clocks the spec lacks get defaults, named "<role> (default)": fit `first train_loss <= 1e-2`
  (`settle train_loss within 1%` at a floor); pattern freeze `first pattern_flips <= 1e-3
  for (a twentieth of the run) steps`.
- Early gradient ratio: the median of `grad_ratio` over the probes up to the fit clock (else
  the first tenth of the run).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clockspec.clocks import ClockResult, evaluate_clocks
from clockspec.core.records import read_record
from clockspec.ir.clocks import FirstClock, SettleClock
from clockspec.ir.metrics import METRICS
from clockspec.report import verdicts as V
from clockspec.report.curves import ClockCurve, clock_curve
from clockspec.report.fits import ScalingFit, TailFit, fit_scaling, fit_tail
from clockspec.report.rows import Rows, read_rows, recorded, series
from clockspec.report.theory import Rate, predicted_rates
from clockspec.store.objects import data_dir
from clockspec.store.rundir import CLOCKS, CLOCKS_FIELDS, STATUS, STATUS_FIELDS

FREEZE_THRESHOLD = 1e-3
DEFAULT_FIT_LOSS = 1e-2  # the fit clock when the spec has none: first train_loss <= 1e-2 ...
DEFAULT_FIT_SETTLE = 0.01  # ... or, at a floor, settle train_loss within 1%
FLAT = 0.01  # relative change over the last quarter below which a loss counts as at its floor


@dataclass(frozen=True)
class ClockRatio:
    """numerator clock / denominator clock, exact or a lower bound (numerator censored)."""

    numerator: str
    denominator: str
    value: float | None
    lower_bound: bool = False
    note: str = ""

    def text(self) -> str:
        if self.value is None:
            return f"n/a ({self.note})"
        return (">" if self.lower_bound else "") + f"{self.value:.3g}" + (f" ({self.note})" if self.note else "")

    def to_json(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value,
                "lower_bound": self.lower_bound, "note": self.note}


@dataclass
class RunAnalysis:
    name: str
    last_step: int
    status: str
    clocks: dict[str, ClockResult]
    clock_texts: dict[str, str]
    thresholds: dict[str, tuple[str, float]]  # spec clock -> (form, absolute threshold)
    roles: dict[str, str]  # fit / simplify / generalize / freeze -> clock name
    energy: str | None
    energy_reason: str
    fit_form: str
    fit_form_reason: str
    fit_curve: ClockCurve | None
    fit_scaling: ScalingFit | None  # in the theory's regime (after the margin turns positive)
    fit_scaling_all: ScalingFit | None  # every reached point
    simplify_curve: ClockCurve | None
    simplify_scaling: ScalingFit | None  # in the theory's regime (after the fit clock)
    simplify_scaling_all: ScalingFit | None
    tail_start: int
    tails: dict[str, TailFit]
    rates: list[Rate]
    ratios: dict[str, ClockRatio]
    early_grad_ratio: float | None
    verdicts: list[V.Verdict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "last_step": self.last_step, "status": self.status,
            "clocks": {k: {**v.to_json(), "expression": self.clock_texts.get(k)} for k, v in self.clocks.items()},
            "thresholds": {k: list(v) for k, v in self.thresholds.items()},
            "roles": self.roles, "energy": self.energy, "energy_reason": self.energy_reason,
            "fit_form": self.fit_form, "fit_form_reason": self.fit_form_reason,
            "fit_curve": self.fit_curve.to_json() if self.fit_curve else None,
            "fit_scaling": self.fit_scaling.to_json() if self.fit_scaling else None,
            "fit_scaling_all": self.fit_scaling_all.to_json() if self.fit_scaling_all else None,
            "simplify_curve": self.simplify_curve.to_json() if self.simplify_curve else None,
            "simplify_scaling": self.simplify_scaling.to_json() if self.simplify_scaling else None,
            "simplify_scaling_all": self.simplify_scaling_all.to_json() if self.simplify_scaling_all else None,
            "tail_start": self.tail_start, "tails": {k: v.to_json() for k, v in self.tails.items()},
            "rates": [r.to_json() for r in self.rates], "ratios": {k: v.to_json() for k, v in self.ratios.items()},
            "early_grad_ratio": self.early_grad_ratio, "verdicts": [v.to_json() for v in self.verdicts],
        }


def analyze_run(run_dir: str | Path, rows: Rows | None = None, status: Mapping[str, Any] | None = None,
                clocks: Mapping[str, Any] | None = None) -> RunAnalysis:
    """Analyse a run directory: `metrics.jsonl`, plus `spec.lock.yaml` / `clocks.json` / `status.json` if there.

    A caller that has read some of them already passes them: the rows, and the contents of
    `status.json` and `clocks.json` ({} for a file that is not there).
    """
    run_dir = Path(run_dir)
    rows = read_rows(run_dir) if rows is None else rows
    spec = None
    if (run_dir / "spec.lock.yaml").exists():
        from clockspec.syntax.loading import load

        spec = load(run_dir / "spec.lock.yaml")
    recorded_clocks = read_record(run_dir / CLOCKS, CLOCKS_FIELDS) or {} if clocks is None else clocks
    recorded_status = read_record(data_dir(run_dir) / STATUS, STATUS_FIELDS) or {} if status is None else status
    status_text = recorded_status.get("status") or recorded_clocks.get("status") or "unknown"
    results = None
    if spec is None and recorded_clocks.get("clocks"):
        results = {k: ClockResult.from_json(v) for k, v in recorded_clocks["clocks"].items()}
    return analyze(rows, spec=spec, clocks=results, name=getattr(spec, "name", run_dir.name), status=status_text)


def analyze(rows: Rows, spec: Any = None, clocks: Mapping[str, ClockResult] | None = None,
            name: str = "run", status: str = "unknown") -> RunAnalysis:
    """The analysis of probe rows; `spec` (an Experiment) supplies clocks, thresholds and theory."""
    if not rows:
        raise ValueError("no probe rows to analyse")
    rows = list(rows)
    have = recorded(rows)
    spec_clocks = dict(spec.clocks) if spec is not None else {}
    if spec is not None:
        clocks = evaluate_clocks(spec_clocks, rows, spec.stop)
    clocks = dict(clocks or {})
    texts = {k: c.text() for k, c in spec_clocks.items()}
    thresholds = {k: t for k, c in spec_clocks.items() if (t := _threshold(c, rows)) is not None}
    roles = _roles(spec_clocks, clocks)
    last = int(rows[-1]["step"])

    energy, energy_reason = _energy(spec_clocks, roles, have)
    form, form_reason = _fit_form(spec, spec_clocks, roles, rows)
    fit_curve = clock_curve(rows, "train_loss", form) if "train_loss" in have else None

    if "fit" not in roles and "train_loss" in have:
        default = (FirstClock(kind="first", metric="train_loss", op="<=", value=DEFAULT_FIT_LOSS) if form == "first"
                   else SettleClock(kind="settle", metric="train_loss", within=DEFAULT_FIT_SETTLE, relative=True))
        _add_default(clocks, texts, thresholds, roles, "fit", default, rows)
    fit_res = clocks.get(roles.get("fit", ""))
    fitted = fit_res is not None and fit_res.reached
    tail_start = fit_res.step if fitted else last // 10
    tails = {m: fit_tail(*series(rows, m), m, start=tail_start)
             for m in dict.fromkeys((energy, "weight_norm", "balance")) if m and m in have}
    floor = 10 * tails[energy].limit_shift if energy in tails and tails[energy].shape == "power" else 0.0
    simp_curve = clock_curve(rows, energy, "settle", floor=floor) if energy else None
    fit_all = fit_scaling(fit_curve) if fit_curve else None
    simp_res = clocks.get(roles.get("simplify", ""))
    until = (simp_res.step, f"after the simplify clock '{roles['simplify']}': the floor itself moves with the slow clock") \
        if form == "settle" and simp_res is not None and simp_res.reached else (None, "")
    fit_sc = fit_scaling(fit_curve, *_margin_regime(rows), *until) if fit_curve else None
    simp_all = fit_scaling(simp_curve) if simp_curve else None
    simp_sc = (fit_scaling(simp_curve, fit_res.step, f"after the fit clock '{roles['fit']}'") if fitted
               else simp_all) if simp_curve else None
    rates = predicted_rates(spec) if spec is not None else []

    if "pattern_flips" in have and "freeze" not in roles:
        default = FirstClock(kind="first", metric="pattern_flips", op="<=", value=FREEZE_THRESHOLD,
                             for_steps=max(1, last // 20))
        _add_default(clocks, texts, thresholds, roles, "freeze", default, rows)
    ratios = _ratios(clocks, roles, last)
    early = _early_grad_ratio(rows, fit_res, last) if "grad_ratio" in have else None

    out = RunAnalysis(name, last, status, clocks, texts, thresholds, roles, energy, energy_reason, form, form_reason,
                      fit_curve, fit_sc, fit_all, simp_curve, simp_sc, simp_all, tail_start, tails, rates, ratios, early)
    out.verdicts = _verdicts(out)
    return out


def _margin_regime(rows: Rows) -> tuple[int, str]:
    """The fitting clock's regime: from the first step with a positive training margin."""
    if "margin" not in recorded(rows):
        return 0, ""
    res = evaluate_clocks({"m": FirstClock(kind="first", metric="margin", op=">", value=0.0)}, rows)["m"]
    if not res.reached:
        return 0, ""
    return res.step, "the training margin turns positive there"


def _add_default(clocks: dict, texts: dict, thresholds: dict, roles: dict, role: str, clock: Any, rows: Rows) -> None:
    """A clock the spec lacks, evaluated with the same code, named '<role> (default)'."""
    name = f"{role} (default)"
    clocks[name] = evaluate_clocks({"c": clock}, rows)["c"]
    texts[name], thresholds[name], roles[role] = clock.text(), _threshold(clock, rows), name


def _threshold(clock: Any, rows: Rows) -> tuple[str, float] | None:
    """A spec clock's threshold on its metric's own scale (a relative settle tolerance made
    absolute); None for the kinds no clock curve is made of (last, enter, transition)."""
    if isinstance(clock, FirstClock):
        return "first", clock.value
    if not isinstance(clock, SettleClock):
        return None
    values = series(rows, clock.metric)[1]
    scale = abs(values[-1]) if clock.relative and len(values) else 1.0
    return "settle", clock.within * scale


def _roles(spec_clocks: Mapping[str, Any], clocks: Mapping[str, ClockResult]) -> dict[str, str]:
    """Which clock plays which part: by name first, else by what it watches."""
    def watches(name: str) -> str:
        c = spec_clocks.get(name)
        return c.metric if c is not None else clocks[name].metric

    def is_simplify(name: str) -> bool:
        c = spec_clocks.get(name)
        m = METRICS.get(watches(name))
        return (c is None or isinstance(c, SettleClock)) and m is not None and m.structural and m.name != "pattern_flips"

    matchers = {
        "fit": lambda n: watches(n) == "train_loss",
        "simplify": is_simplify,
        "generalize": lambda n: watches(n) == "test_acc",
        "freeze": lambda n: watches(n) == "pattern_flips",
    }
    roles = {}
    for role, matches in matchers.items():
        if role in clocks:
            roles[role] = role
        else:
            found = next((n for n in clocks if matches(n)), None)
            if found:
                roles[role] = found
    return roles


def _energy(spec_clocks: Mapping[str, Any], roles: Mapping[str, str], have: set[str]) -> tuple[str | None, str]:
    simplify = spec_clocks.get(roles.get("simplify", ""))
    if simplify is not None and METRICS[simplify.metric].structural and simplify.metric in have:
        return simplify.metric, f"the metric of the spec's {roles['simplify']} clock"
    if "schatten" in have:
        return "schatten", "the Schatten-2/L energy of the end-to-end map (deep linear)"
    if "weight_norm" in have:
        return "weight_norm", "the weight norm (no Schatten energy recorded)"
    return None, "no structural energy recorded (schatten or weight_norm)"


def _fit_form(spec: Any, spec_clocks: Mapping[str, Any], roles: Mapping[str, str], rows: Rows) -> tuple[str, str]:
    fit = spec_clocks.get(roles.get("fit", ""))
    if isinstance(fit, SettleClock) and fit.metric == "train_loss":
        return "settle", "relative to the loss floor, as the spec's fit clock is"
    if spec is not None:
        regs = [k for k in type(spec.regularizers).model_fields
                if getattr(spec.regularizers, k) is not None and getattr(spec.regularizers, k).strength > 0]
        if regs:
            return "settle", f"relative to the loss floor: {', '.join(regs)} on, so the loss cannot reach 0"
        return "first", "absolute (loss <= eps): no regularizer holds the loss up"
    steps, loss = series(rows, "train_loss")
    tail = loss[steps >= steps[0] + 0.75 * (steps[-1] - steps[0])] if len(loss) else loss
    if len(tail) >= 2 and np.ptp(tail) <= FLAT * abs(tail.mean()):
        return "settle", f"relative to the loss floor: the loss is flat at {tail[-1]:.3g} over the last quarter"
    return "first", "absolute (loss <= eps): the loss still falls at the end"


def _ratio(clocks: Mapping[str, ClockResult], num: str, den: str, last: int) -> ClockRatio:
    a, b = clocks[num], clocks[den]
    if not b.reached:
        return ClockRatio(num, den, None, note=f"{den} not reached")
    if b.step == 0:
        return ClockRatio(num, den, None, note=f"{den} at step 0")
    if not a.reached:
        return ClockRatio(num, den, last / b.step, lower_bound=True, note=f"{num} not reached by step {last}")
    return ClockRatio(num, den, a.step / b.step)


def _ratios(clocks: Mapping[str, ClockResult], roles: Mapping[str, str], last: int) -> dict[str, ClockRatio]:
    out = {}
    for key, role in (("separation", "simplify"), ("grokking_delay", "generalize"), ("freeze_vs_fit", "freeze")):
        if role in roles and "fit" in roles:
            out[key] = _ratio(clocks, roles[role], roles["fit"], last)
    return out


def _early_grad_ratio(rows: Rows, fit: ClockResult | None, last: int) -> float | None:
    steps, values = series(rows, "grad_ratio")
    end = fit.step if fit and fit.reached and fit.step else last // 10
    early = values[steps <= end] if len(values) else values
    if len(early) == 0:
        early = values[:1]
    return float(np.median(early)) if len(early) else None


def _verdicts(a: RunAnalysis) -> list[V.Verdict]:
    out = []
    if a.fit_scaling is not None:
        out.append(V.scaling("fitting clock logarithmic in 1/eps", a.fit_scaling, "log"))
    if a.simplify_scaling is not None:
        out.append(V.scaling("simplification clock polynomial in 1/delta", a.simplify_scaling, "power"))
    sep = a.ratios.get("separation")
    if sep is not None:
        out.append(_later("simplification after fitting (tau_simp / tau_fit > 1)", sep, 1.0))
    if a.energy in a.tails:
        alpha = a.simplify_scaling.alpha if a.simplify_scaling else None
        out.append(V.tail(f"{a.energy} tail polynomial (KL tail t^-beta)", a.tails[a.energy], alpha))
    for r in a.rates:
        if r.judged:
            out.append(V.rate(f"{r.metric} shrinks at {r.formula.split(' (')[0]} per step", a.tails.get(r.metric), r.rate))
    if "grokking_delay" in a.ratios:
        out.append(_later("generalisation delayed after the fit (tau_gen / tau_fit > 2)", a.ratios["grokking_delay"], 2.0))
    if "freeze_vs_fit" in a.ratios:
        out.append(_later("activation pattern freezes after the fit (tau_freeze / tau_fit >= 1)", a.ratios["freeze_vs_fit"], 1.0, strict=False))
    if a.early_grad_ratio is not None:
        ok = a.early_grad_ratio > 1
        out.append(V.Verdict("head gradient above the embedding's early (grad_ratio > 1)",
                             V.SUPPORTED if ok else V.NOT_SUPPORTED, f"median early grad_ratio {a.early_grad_ratio:.3g}"))
    return out


def _later(claim: str, ratio: ClockRatio, above: float, strict: bool = True) -> V.Verdict:
    if ratio.value is None:
        return V.Verdict(claim, V.NOT_MEASURED, ratio.note)
    text = f"ratio {'>' if ratio.lower_bound else ''}{ratio.value:.3g}"
    holds = ratio.value > above if strict else ratio.value >= above
    if ratio.lower_bound:
        return V.Verdict(claim, V.CENSORED, f"{ratio.note}: the ratio is only a lower bound, {text}")
    return V.Verdict(claim, V.SUPPORTED if holds else V.NOT_SUPPORTED, text)
