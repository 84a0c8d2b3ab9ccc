"""`clockspec report RUN_DIR|FAMILY_DIR`: clock curves, scaling fits and verdicts, written
into the directory as `report.md`, `report.json` and `clock_curves.png`."""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("report", help="analyse a run or family directory: clock scaling, verdicts, figures")
    p.add_argument("path", metavar="RUN_DIR|FAMILY_DIR")
    p.add_argument("--no-plots", action="store_true", help="write report.md and report.json only")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.extras import require

    require("report", "numpy", *(() if args.no_plots else ("matplotlib",)))  # before the report layer imports numpy
    from clockspec.core.errors import Diagnostic, SpecError
    from clockspec.report.family_analysis import write_family_report
    from clockspec.report.family_folder import is_run_dir, read_family_folder
    from clockspec.report.family_summary import family_report
    from clockspec.report.phase_summary import add_phase_section, phase_report
    from clockspec.report.run_report import write_run_report

    path = Path(args.path)
    if is_run_dir(path):
        analyses = [(path.name, write_run_report(path, plots=not args.no_plots))]
    else:
        folder = read_family_folder(path)  # once, for the analysis and the table
        if not folder.with_rows:
            raise SpecError([Diagnostic("not a run directory (no metrics.jsonl) nor a family folder of runs",
                                        str(path))])
        analyses = write_family_report(folder, plots=not args.no_plots)
        if folder.lock is not None:  # a folder `clockspec run FAMILY` made
            family_report(folder, plots=not args.no_plots)  # family.csv, family.json, clocks.png
            phases = phase_report(folder, plots=not args.no_plots)  # where the run wrote phases.json
            if phases is not None:
                add_phase_section(path, phases, plots=not args.no_plots)
    if not args.quiet:
        for label, a in analyses:
            print(f"{label} ({a.status}, last step {a.last_step})")
            for v in a.verdicts:
                print(f"  {v.line()}")
        print(f"wrote {path / 'report.md'}")
    return 0
