"""A family folder's clock analysis: each member's own report, then one table and one
overlay of all (the folder as `family_folder` reads it)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from clockspec.core.fileio import write_atomic
from clockspec.core.markdown_escape import text as escape
from clockspec.report.analyze import RunAnalysis
from clockspec.report.family_folder import FamilyFolder
from clockspec.report.run_report import write_run_report


def write_family_report(folder: FamilyFolder, plots: bool = True) -> list[tuple[str, RunAnalysis]]:
    """Every member with recorded rows analysed into its run directory, and the family's
    `report.md` (with plots, `clock_curves.png`) into the folder; (label, analysis) of each."""
    done = [(m.label, m.assignment, m.run_dir, write_run_report(m.run_dir, plots=plots, status=m.status,
                                                                clocks=m.clocks))
            for m in folder.with_rows]
    images = []
    if plots and done:
        from clockspec.report.plots import plot_family_curves

        plot_family_curves([(label, a) for label, _, _, a in done], folder.path / "clock_curves.png")
        images.append("clock_curves.png")
    write_atomic(folder.path / "report.md", family_markdown(folder.path.name, done, images))
    return [(label, a) for label, _, _, a in done]


def family_markdown(name: str, done: list[tuple[str, dict[str, Any], Path, RunAnalysis]], images: list[str]) -> str:
    out = [f"# Family clock report: {name}", "", f"{len(done)} member(s) with recorded rows; each has its own "
           "`report.md` in its run directory.", ""]
    if not done:
        return "\n".join(out) + "\n"
    claims: dict[str, Counter] = {}
    for _, _, _, a in done:
        for v in a.verdicts:
            claims.setdefault(v.claim, Counter())[v.status] += 1
    out += ["## Verdicts across members", "", "| prediction | verdicts |", "| --- | --- |"]
    out += [f"| {c} | {', '.join(f'{s} {n}/{len(done)}' for s, n in counts.most_common())} |" for c, counts in claims.items()]
    out += ["", "## Members", "",
            "| member | setting | status | tau_fit | tau_simp | tau_simp/tau_fit | fit: log vs power R² (b) "
            "| simp: power vs log R² (alpha) | energy tail | grok delay |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, assignment, d, a in done:
        setting = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in assignment.items()) or "-"
        out.append(f"| [{escape(label)}]({d.name}/report.md) | {escape(setting)} | {a.status} | {_clock(a, 'fit')} | "
                   f"{_clock(a, 'simplify')} | {_ratio(a, 'separation')} | {_scaling(a.fit_scaling, 'log')} | "
                   f"{_scaling(a.simplify_scaling, 'power')} | {_tail(a)} | {_ratio(a, 'grokking_delay')} |")
    out += [""] + [f"![{img}]({img})" for img in images]
    return "\n".join(out) + "\n"


def _clock(a: RunAnalysis, role: str) -> str:
    name = a.roles.get(role)
    if name is None:
        return "-"
    res = a.clocks[name]
    return str(res.step) if res.reached else f">{a.last_step}"


def _ratio(a: RunAnalysis, key: str) -> str:
    r = a.ratios.get(key)
    if r is None or r.value is None:
        return "-"
    return (">" if r.lower_bound else "") + f"{r.value:.3g}"


def _scaling(fit, predicted: str) -> str:
    if fit is None or fit.log is None:
        return "-"
    mine, other = (fit.log, fit.power) if predicted == "log" else (fit.power, fit.log)
    return f"{mine.r2:.3f} vs {other.r2:.3f} ({mine.slope:.3g})"


def _tail(a: RunAnalysis) -> str:
    t = a.tails.get(a.energy or "")
    if t is None or not t.fitted:
        return "-"
    return f"{t.shape or 'unclear'}: beta {t.beta:.3g}, rate {t.rate:.3g}"
