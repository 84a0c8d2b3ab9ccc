"""A family folder's report: each member's own report, then one table and one overlay of all.

A family folder is what `clockspec run FAMILY` writes (`family.lock.json` and one run
directory per member); without the lock file, every subfolder holding a `metrics.jsonl` is
taken as a member.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from clockspec.core.fileio import write_atomic
from clockspec.core.markdown_escape import text as escape
from clockspec.report.analyze import RunAnalysis
from clockspec.report.rows import read_rows
from clockspec.report.run_report import write_run_report

LOCK = "family.lock.json"


def is_run_dir(path: Path) -> bool:
    return (path / "metrics.jsonl").is_file()


def member_dirs(family_dir: Path) -> list[tuple[Path, str, dict[str, Any]]]:
    """(run dir, label, assignment) of each member that has recorded rows."""
    lock = family_dir / LOCK
    if lock.is_file():
        data = json.loads(lock.read_text())
        members = data.get("members", data) if isinstance(data, dict) else data
        out = [(family_dir / m["run_dir"], m.get("label", m["name"]), m.get("assignment", {})) for m in members]
        return [m for m in out if is_run_dir(m[0])]
    return [(d, d.name, {}) for d in sorted(family_dir.iterdir()) if d.is_dir() and is_run_dir(d)]


def write_family_report(family_dir: str | Path, plots: bool = True) -> list[tuple[str, RunAnalysis]]:
    family_dir = Path(family_dir)
    members = member_dirs(family_dir)
    done = [(label, assignment, d, write_run_report(d, plots=plots)) for d, label, assignment in members]
    images = []
    if plots and done:
        from clockspec.report.plots import plot_family_curves

        plot_family_curves([(label, a, read_rows(d)) for label, _, d, a in done], family_dir / "clock_curves.png")
        images.append("clock_curves.png")
    write_atomic(family_dir / "report.md", family_markdown(family_dir.name, done, images))
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
