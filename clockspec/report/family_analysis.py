"""A family folder's clock analysis: each member's own report, then one table and one
overlay of all, and (for a folder `clockspec run FAMILY` made) the clock times across arms as
survival data (`survival`): `report.md`, `report.json`, `arms.csv` and a `survival_<clock>.png`
per clock (the folder as `family_folder` reads it)."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from clockspec.core.fileio import write_atomic
from clockspec.core.markdown_escape import text as escape
from clockspec.families.table import shown
from clockspec.report.analyze import RunAnalysis
from clockspec.report.family_folder import FamilyFolder
from clockspec.report.run_report import write_run_report
from clockspec.report.survival import MISSING, Survival
from clockspec.store import family as store


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
    text = family_markdown(folder.path.name, done, images)
    survival = _survival(folder, plots)
    if isinstance(survival, Survival):
        from clockspec.report.survival_plot import figure_name
        from clockspec.report.survival_table import survival_markdown

        text += "\n" + "\n".join(survival_markdown(survival, [figure_name(c) for c in survival.clocks] if plots else []))
    elif survival:
        text += f"\n{survival}\n"
    store.write_json(folder.path / "report.json", {
        "family": folder.path.name, "members": [{"label": label, "run_dir": d.name, "status": a.status}
                                                for label, _, d, a in done],
        "survival": survival.to_json() if isinstance(survival, Survival) else None})
    write_atomic(folder.path / "report.md", text)
    return [(label, a) for label, _, _, a in done]


def _survival(folder: FamilyFolder, plots: bool) -> Survival | str | None:
    """The survival statistics of a folder `clockspec run FAMILY` made, with arms.csv and the
    figures written; the line saying how to get them when lifelines is missing; None without a lock."""
    from clockspec.report import survival

    if folder.lock is None:
        return None
    if not survival.available():
        print(MISSING, file=sys.stderr)
        return MISSING
    from clockspec.report.family_table import tabulate
    from clockspec.report.survival_plot import figure_name, plot_survival
    from clockspec.report.survival_table import write_arms_csv

    result = survival.estimate(tabulate(folder))
    write_arms_csv(result, folder.path)
    if plots:
        for clock in result.clocks:
            write_atomic(folder.path / figure_name(clock), plot_survival(result, clock, folder.lock["family"]))
    return result


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
        setting = ", ".join(f"{k.split('.')[-1]}={shown(v)}" for k, v in assignment.items()) or "-"
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
