"""Plain verdicts: one line per prediction of the theory, with the numbers behind it."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clockspec.report.fits import ScalingFit, TailFit

R2_GOOD = 0.9  # a fit this good or better counts as describing the data
RATE_TOLERANCE = 0.25  # a measured rate within this relative distance agrees with the theory

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, CENSORED, NOT_MEASURED = (
    "supported", "not supported", "inconclusive", "censored", "not measured")
MODEL_NAMES = {"log": "logarithmic", "power": "power law"}


@dataclass(frozen=True)
class Verdict:
    claim: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.claim}: {self.status}, {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def scaling(claim: str, fit: ScalingFit | None, predicted: str) -> Verdict:
    """Does the clock curve follow the predicted scaling ('log' or 'power') better than the other?"""
    if fit is None or fit.log is None or fit.power is None:
        return Verdict(claim, NOT_MEASURED, "; ".join(fit.notes) if fit else "no clock curve")
    other = "power" if predicted == "log" else "log"
    mine, theirs = getattr(fit, predicted), getattr(fit, other)
    slope = f"b = {fit.log.slope:.3g} steps per unit log(1/thr)" if predicted == "log" else f"alpha = {fit.power.slope:.3g}"
    versus = f"R² {mine.r2:.3f} vs {theirs.r2:.3f} ({MODEL_NAMES[other]}); {slope}"
    better = fit.better()
    if better is None:
        status = INCONCLUSIVE
        versus = ("neither model clearly better: " if max(mine.r2, theirs.r2) >= R2_GOOD else "neither model fits: ") + versus
    elif better == predicted:
        status = SUPPORTED if mine.r2 >= R2_GOOD else INCONCLUSIVE
        if status == INCONCLUSIVE:
            versus = f"the better model but a weak fit: {versus}"
    else:
        status = NOT_SUPPORTED
        versus = f"{MODEL_NAMES[other]} fits better: R² {theirs.r2:.3f} vs {mine.r2:.3f}; " + (
            f"alpha = {fit.power.slope:.3g}" if other == "power" else f"b = {fit.log.slope:.3g}")
    return Verdict(claim, status, versus)


def tail(claim: str, fit: TailFit | None, alpha: float | None) -> Verdict:
    """Is the energy's late tail a power law t^-beta (a KL tail), and is alpha ~ 1/beta?"""
    if fit is None or not fit.fitted:
        return Verdict(claim, NOT_MEASURED, fit.note if fit else "no structural energy recorded")
    numbers = (f"beta = {fit.beta:.3g} (R² {fit.r2_power:.3f}) vs exponential rate {fit.rate:.3g}/step "
               f"(R² {fit.r2_exp:.3f}) over steps {fit.start}-{fit.end}")
    if alpha is not None and fit.beta and fit.shape == "power":
        numbers += f"; alpha*beta = {alpha * fit.beta:.2f} (a KL tail gives 1)"
    if fit.shape is None:
        return Verdict(claim, INCONCLUSIVE, "neither shape clearly better: " + numbers)
    if fit.shape == "power":
        return Verdict(claim, SUPPORTED if fit.r2_power >= R2_GOOD else INCONCLUSIVE, numbers)
    return Verdict(claim, NOT_SUPPORTED, "the tail is exponential: " + numbers)


def rate(claim: str, measured: TailFit | None, predicted: float) -> Verdict:
    if measured is None or measured.rate is None:
        return Verdict(claim, NOT_MEASURED, measured.note if measured else "metric not recorded")
    ratio = measured.rate / predicted
    detail = (f"measured {measured.rate:.3g}/step (exponential R² {measured.r2_exp:.3f}) vs predicted "
              f"{predicted:.3g}/step, ratio {ratio:.2f}")
    if measured.r2_exp < R2_GOOD:
        return Verdict(claim, INCONCLUSIVE, "the tail is not cleanly exponential: " + detail)
    return Verdict(claim, SUPPORTED if abs(ratio - 1) <= RATE_TOLERANCE else NOT_SUPPORTED, detail)
