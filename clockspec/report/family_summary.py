"""`family_report(folder)`: write a family folder's `family.csv`, `family.json` and
`clocks.png` (what each holds: `family_table`)."""
from __future__ import annotations

from pathlib import Path

from clockspec.core.fileio import write_atomic
from clockspec.report.family_folder import FamilyFolder, read_family_folder
from clockspec.report.family_plot import plot_clocks
from clockspec.report.family_table import CSV, JSON, PNG, FamilyReport, tabulate, text_table, write_csv
from clockspec.store import family as store

__all__ = ["CSV", "family_report"]


def family_report(folder: str | Path | FamilyFolder, plots: bool = True) -> FamilyReport:
    """Write family.csv, family.json and (with plots) clocks.png into a family folder (its
    path, or the folder as already read)."""
    report = tabulate(folder if isinstance(folder, FamilyFolder) else read_family_folder(folder))
    write_csv(report)
    store.write_json(report.folder / JSON, {
        "family": report.family,
        "varied": [{"path": p, "key": report.keys[p]} for p in report.varied],
        "clocks": report.clock_names,
        "members": [{"name": r.name, "label": r.label, "values": {report.keys[p]: r.values[p] for p in report.varied},
                     "status": r.status, "step": r.step, "clocks": r.clocks, "separations": r.separations}
                    for r in report.rows],
    })
    if plots and report.rows and report.varied and report.clock_names:
        write_atomic(report.folder / PNG, plot_clocks(report))
    report.table = text_table(report)
    return report
