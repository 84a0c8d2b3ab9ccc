"""The survival statistics as files: `arms.csv` and the family `report.md`'s section.

arms.csv is a second CSV beside family.csv, not rows mixed into it: family.csv keeps one
shape (one row per member, what a spreadsheet filters and pivots) and arms.csv another (one
row per arm and clock): arm, clock, n, fired, censored, censored_fraction, median,
median_low, median_high. An empty median: more than half the arm never fired (the curve
never falls to one half); an empty interval end: the data do not bound it.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from clockspec.core.fileio import write_atomic
from clockspec.core.markdown_escape import text as escape
from clockspec.report.survival import LEVEL, ArmClock, LogRank, Survival

ARMS_CSV = "arms.csv"


def write_arms_csv(survival: Survival, folder: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["arm", "clock", "n", "fired", "censored", "censored_fraction", "median", "median_low",
                     "median_high"])
    for clock in survival.clocks:
        for e in survival.estimates[clock]:
            writer.writerow([e.arm, clock, e.n, e.n - e.censored, e.censored,
                             "" if not e.n else f"{e.censored_fraction:.4g}", _num(e.median), _num(e.low),
                             _num(e.high)])
    write_atomic(folder / ARMS_CSV, buf.getvalue())


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def survival_markdown(survival: Survival, images: list[str]) -> list[str]:
    """Per clock: the arms' medians, intervals and censored fractions, then the log-rank tests."""
    pct = f"{LEVEL:.0%}"
    out = ["## Clock times across arms (censoring respected)", "",
           "Each run that has not fired a clock is censored at its last step; medians are Kaplan-Meier "
           f"medians with {pct} intervals, never means. An arm is the members that differ only in seed. "
           f"Per arm and clock: `{ARMS_CSV}`.", ""]
    for clock in survival.clocks:
        out += [f"### {escape(clock)}", "", f"| arm | n | censored | median step | {pct} interval |",
                "| --- | --- | --- | --- | --- |"]
        out += [_arm_line(e) for e in survival.estimates[clock]]
        out += [""] + _tests(survival.overall.get(clock), survival.pairwise.get(clock, []))
    return out + [f"![{img}]({img})" for img in images] + [""]


def _arm_line(e: ArmClock) -> str:
    if not e.n:
        return f"| {escape(e.arm)} | 0 | - | - | - |"
    median = f"{e.median:,.0f}" if e.median is not None else f"not reached (> {max(e.times):,})"
    low = f"{e.low:,.0f}" if e.low is not None else "-"
    high = f"{e.high:,.0f}" if e.high is not None else "∞"
    return f"| {escape(e.arm)} | {e.n} | {e.censored}/{e.n} ({e.censored_fraction:.0%}) | {median} | [{low}, {high}] |"


def _tests(overall: LogRank | None, pairs: list[LogRank]) -> list[str]:
    if overall is None:
        return ["(one arm: no log-rank test)", ""]
    out = [f"Log-rank test across {len(overall.arms)} arms: {_result(overall)}.", ""]
    if pairs:
        out += ["| arm | arm | chi² (1 dof) | p (unadjusted) |", "| --- | --- | --- | --- |"]
        out += [f"| {escape(t.arms[0])} | {escape(t.arms[1])} | {_stat(t)} | {_p(t)} |" for t in pairs] + [""]
    return out


def _result(t: LogRank) -> str:
    if t.statistic is None:
        return "no clock fired in any arm, nothing to compare"
    return f"chi² = {t.statistic:.3g} on {t.dof} dof, p = {_p(t)}"


def _stat(t: LogRank) -> str:
    return "-" if t.statistic is None else f"{t.statistic:.3g}"


def _p(t: LogRank) -> str:
    return "-" if t.p is None else f"{t.p:.3g}"
