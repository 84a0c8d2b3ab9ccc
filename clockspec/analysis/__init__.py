"""Clock analysis from recorded probe rows (`metrics.jsonl`): torch-free.

Clock curves tau(eps), tau(delta) evaluated by `clockspec.clocks`, fits deciding between
logarithmic and power-law scaling, late-tail exponents, theory rates, and plain verdicts.
"""
from __future__ import annotations

from .analyze import ClockRatio, RunAnalysis, analyze, analyze_run
from .curves import ClockCurve, CurvePoint, clock_curve
from .fits import LineFit, ScalingFit, TailFit, fit_line, fit_scaling, fit_tail
from .report import write_run_report
from .rows import read_rows, series
from .theory import Rate, predicted_rates
from .verdicts import Verdict

__all__ = [
    "ClockCurve", "ClockRatio", "CurvePoint", "LineFit", "Rate", "RunAnalysis", "ScalingFit", "TailFit",
    "Verdict", "analyze", "analyze_run", "clock_curve", "fit_line", "fit_scaling", "fit_tail",
    "predicted_rates", "read_rows", "series", "write_run_report",
]
