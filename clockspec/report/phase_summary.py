"""`phases.csv`, `phases.png` and the phase section of `report.md`, from a family folder
whose run wrote `phases.json` (`phase_table`); nothing is trained, so a changed rule in
phases.json re-classifies the recorded members."""
from __future__ import annotations

from pathlib import Path

from clockspec.core.fileio import write_atomic
from clockspec.report.family_folder import FamilyFolder
from clockspec.report.phase_table import PNG, PhaseTable, markdown, read_setup, tabulate, write_csv


def phase_report(folder: FamilyFolder, plots: bool = True) -> PhaseTable | None:
    """Write phases.csv (and with plots phases.png); None for a folder without phases.json."""
    setup = read_setup(folder.path)
    if setup is None:
        return None
    table = tabulate(folder, setup)
    write_csv(table)
    if plots and table.points:
        from clockspec.report.phase_plot import plot_phases

        write_atomic(folder.path / PNG, plot_phases(table))
    return table


def add_phase_section(path: Path, table: PhaseTable, plots: bool) -> None:
    """Append the phase section to the folder's report.md."""
    report = path / "report.md"
    before = report.read_text(encoding="utf-8") if report.is_file() else ""
    image = PNG if plots and (path / PNG).is_file() else None
    write_atomic(report, before.rstrip("\n") + ("\n\n" if before else "") + markdown(table, image))
