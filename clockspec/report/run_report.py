"""Write a run's report into its directory: `report.md`, `report.json`, `clock_curves.png`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clockspec.core.fileio import write_atomic
from clockspec.report.analyze import RunAnalysis, analyze_run
from clockspec.report.markdown import run_markdown
from clockspec.report.plots import plot_clock_curves
from clockspec.report.rows import read_rows


def write_run_report(run_dir: str | Path, plots: bool = True, status: dict[str, Any] | None = None,
                     clocks: dict[str, Any] | None = None) -> RunAnalysis:
    """Analyse a run directory and write its report there; `status` and `clocks`: its
    `status.json` and `clocks.json` when the caller has read them already."""
    run_dir = Path(run_dir)
    rows = read_rows(run_dir)
    analysis = analyze_run(run_dir, rows=rows, status=status, clocks=clocks)
    images = []
    if plots:
        plot_clock_curves(analysis, rows, run_dir / "clock_curves.png")
        images.append("clock_curves.png")
    if (run_dir / "curves.png").exists():
        images.append("curves.png")
    write_atomic(run_dir / "report.md", run_markdown(analysis, images))
    write_atomic(run_dir / "report.json", json.dumps(analysis.to_json(), indent=2, allow_nan=False) + "\n")
    return analysis
