"""Clock analysis from recorded probe rows (`metrics.jsonl`): torch-free.

Clock curves tau(eps), tau(delta) evaluated by `clockspec.clocks`, fits deciding between
logarithmic and power-law scaling, late-tail exponents, theory rates, and plain verdicts.
"""
from __future__ import annotations

from clockspec.report.analyze import ClockRatio, RunAnalysis, analyze, analyze_run
from clockspec.report.curves import ClockCurve, CurvePoint, clock_curve
from clockspec.report.fits import LineFit, ScalingFit, TailFit, fit_line, fit_scaling, fit_tail
from clockspec.report.rows import read_rows, series
from clockspec.report.run_report import write_run_report
from clockspec.report.theory import Rate, predicted_rates
from clockspec.report.verdicts import Verdict

__all__ = [
    "ClockCurve", "ClockRatio", "CurvePoint", "LineFit", "Rate", "RunAnalysis", "ScalingFit", "TailFit",
    "Verdict", "analyze", "analyze_run", "clock_curve", "fit_line", "fit_scaling", "fit_tail",
    "predicted_rates", "read_rows", "series", "write_run_report",
]
