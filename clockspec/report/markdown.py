"""`report.md` for one run: verdicts first, then the numbers behind them."""
from __future__ import annotations

from clockspec.report.analyze import RunAnalysis
from clockspec.report.curves import ClockCurve
from clockspec.report.fits import ScalingFit


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}g}"


def _extra(extra) -> str:
    """What an `enter` or `transition` clock adds to its step: the count, or the fitted sigmoid."""
    if "entries" in extra:
        return f" (entered {extra['entries']}x)"
    if "midpoint" in extra:
        return (f" (sigmoid midpoint {extra['midpoint']:,.0f}, sharpness {extra['sharpness']:.3g}/step, "
                f"R² {extra['r2']:.3f})")
    return ""


def run_markdown(a: RunAnalysis, images: list[str]) -> str:
    out = [f"# Clock report: {a.name}", "",
           f"Run status `{a.status}`, last probe at step {a.last_step}.", ""]
    out += ["## Verdicts", "", "| prediction | verdict | numbers |", "| --- | --- | --- |"]
    out += [f"| {v.claim} | **{v.status}** | {v.detail} |" for v in a.verdicts] or ["| (none) | | |"]
    out += ["", "## Clocks", ""]
    if a.clocks:
        fit = a.clocks.get(a.roles.get("fit", ""))
        per_fit = fit.step if fit is not None and fit.reached and fit.step else None
        out += ["| clock | expression | step | value | step / tau_fit |", "| --- | --- | --- | --- | --- |"]
        for name, res in a.clocks.items():
            step = str(res.step) if res.reached else f"not reached by {a.last_step} (censored)"
            rel = "-" if per_fit is None else (f"{res.step / per_fit:.3g}" if res.reached else f">{a.last_step / per_fit:.3g}")
            out.append(f"| {name} | `{a.clock_texts.get(name, '')}` | {step}{_extra(res.extra)} | {_num(res.value, 4)} "
                       f"| {rel} |")
    else:
        out.append("No clocks (no spec and no clocks.json).")
    names = {"separation": "tau_simp / tau_fit", "grokking_delay": "tau_gen / tau_fit", "freeze_vs_fit": "tau_freeze / tau_fit"}
    if a.ratios:
        out += [""] + [f"- {names[k]} ({r.numerator} / {r.denominator}): {r.text()}" for k, r in a.ratios.items()]
    if a.early_grad_ratio is not None:
        out.append(f"- early head/embedding gradient ratio (median up to the fit clock): {a.early_grad_ratio:.3g}")
    out += ["", "## Fitting clock", "", f"Form: {a.fit_form_reason}."]
    out += _curve_section(a.fit_curve, a.fit_scaling, a.fit_scaling_all, "eps")
    out += ["", "## Simplification clock", "", f"Energy: `{a.energy}`, {a.energy_reason}."]
    out += _curve_section(a.simplify_curve, a.simplify_scaling, a.simplify_scaling_all, "delta")
    out += ["", "## Late tails", "",
            f"Gap to the final value, from step {a.tail_start} (the fit clock, else a tenth of the run) "
            "to half the run: its final shrinking stretch, above the noise level (the largest gap in "
            "the last half); the power fit measures the gap to the limit it estimates.", ""]
    if a.tails:
        out += ["| metric | steps | probes | beta (power R²) | rate/step (exp R²) | better |", "| --- | --- | --- | --- | --- | --- |"]
        for m, t in a.tails.items():
            if not t.fitted:
                out.append(f"| {m} | - | {t.n} | n/a | n/a | {t.note} |")
            else:
                out.append(f"| {m} | {t.start}-{t.end} | {t.n} | {t.beta:.3g} ({t.r2_power:.3f}) | "
                           f"{t.rate:.3g} ({t.r2_exp:.3f}) | {t.shape or 'neither clearly'} |")
    if a.rates:
        out += ["", "Rates from theory (per step):", ""]
        for r in a.rates:
            what = "prediction" if r.judged else "reference, not judged"
            out.append(f"- `{r.metric}`: {r.rate:.3g} = {r.formula} ({what}{'; ' + r.note if r.note else ''})")
    out += [""] + [f"![{img}]({img})" for img in images]
    return "\n".join(out) + "\n"


def _curve_section(curve: ClockCurve | None, fit: ScalingFit | None, every: ScalingFit | None, sym: str) -> list[str]:
    if curve is None:
        return ["", "Not measured: metric not recorded."]
    out = [f"Grid: {curve.grid_note}.", ""]
    windows = [(fit, _window(fit))]
    if every is not None and fit is not None and (fit.from_step or fit.until_step is not None):
        windows.append((every, "all reached points"))
    if any(f is not None and f.log is not None for f, _ in windows):
        out += ["| points | model | fit | R² | n |", "| --- | --- | --- | --- | --- |"]
        for f, label in windows:
            if f is not None and f.log is not None:
                out += [f"| {label} | logarithmic | tau = {f.log.intercept:.4g} + {f.log.slope:.4g} log(1/{sym}) | {f.log.r2:.4f} | {f.log.n} |",
                        f"| {label} | power law | log tau = {f.power.intercept:.4g} + {f.power.slope:.4g} log(1/{sym}) | {f.power.r2:.4f} | {f.power.n} |"]
        out.append("")
    if fit is not None:
        out += [f"- {n}" for n in fit.notes]
    if curve.points:
        cells = [f"{p.threshold:.3g}: " + (str(p.step) if p.reached else f">{curve.last_step}") for p in curve.points]
        out += ["", f"tau({sym}): " + ", ".join(cells)]
    return out


def _window(fit: ScalingFit | None) -> str:
    if fit is None or not (fit.from_step or fit.until_step is not None):
        return "all reached points"
    parts = [f"from step {fit.from_step}"] if fit.from_step else []
    parts += [f"to step {fit.until_step}"] if fit.until_step is not None else []
    return " ".join(parts) + " (the theory's regime)"
