"""`clockspec run FAMILY`: the family half of the run command (commands/run.py dispatches
here when the spec is a family)."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from clockspec.commands.argtypes import positive


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("families (when PATH is a family)")
    g.add_argument("--jobs", type=positive, metavar="N", help="members run at once (default: one per core)")
    g.add_argument("--executor", choices=("local", "ray", "slurm"), default="local",
                   help="local process pool (default), Ray, or SLURM through submitit (docs/families.md)")
    g.add_argument("--address", metavar="ADDR", help="Ray cluster to join: HOST:PORT, ray://..., or auto "
                                                     "(default: RAY_ADDRESS if set, else a private local instance)")
    s = p.add_argument_group("SLURM (--executor slurm; defaults from [tool.clockspec.slurm] in pyproject.toml)")
    s.add_argument("--slurm-partition", metavar="NAME", help="partition to submit to")
    s.add_argument("--slurm-time", type=positive, metavar="MIN", help="time limit of each job, in minutes")
    s.add_argument("--slurm-cpus", type=positive, metavar="N", help="CPUs per job (default: --threads)")
    s.add_argument("--slurm-gpus", type=positive, metavar="N", help="GPUs per job")
    s.add_argument("--slurm-mem", type=positive, metavar="GB", help="memory per job, in GB")
    g.add_argument("--no-batch", action="store_true",
                   help="run every member alone (default: members that differ only in seed, split seed, "
                        "init scale, lr or regularizer strengths train together)")
    g.add_argument("--accept-changes", action="store_true",
                   help="run a family that changed since its folder was started")
    g.add_argument("--retry-failed", action="store_true", help="try again members that failed 3 times")


def run(spec, args) -> int:
    """Expand, run, aggregate; exit 0 when every member finished, 1 when some failed, 130
    when interrupted."""
    from clockspec.commands.phase_run import run_refined, write_phases
    from clockspec.core.errors import RunError, SpecError
    from clockspec.families.expand import expand_family
    from clockspec.orchestrate.execute import run_family
    from clockspec.report.family_summary import family_report

    exp = expand_family(spec)
    options = dict(out=args.out, jobs=args.jobs, executor=args.executor, address=args.address,
                   batch=not args.no_batch, accept_changes=args.accept_changes,
                   retry_failed=args.retry_failed, device=args.device, force=args.force,
                   # --threads defaults to 1 for one run; a family divides the cores instead
                   threads=args.threads if args.threads != 1 else None, source=args.path,
                   quiet=args.quiet, wait=args.wait, checkpoint_every=args.checkpoint_every)
    if args.executor == "slurm":
        from clockspec.orchestrate.slurm import settings

        options["slurm"] = settings({"partition": args.slurm_partition, "time": args.slurm_time,
                                     "cpus_per_task": args.slurm_cpus, "gpus_per_node": args.slurm_gpus,
                                     "mem_gb": args.slurm_mem}, Path(args.path).resolve().parent)
    try:
        if spec.vary.refine is not None:  # rounds, each a run of the points so far (accepted changes)
            options.pop("accept_changes")
            outcome, exp = run_refined(spec, options)
        else:
            outcome = run_family(exp, **options)
    except RunError:  # the executor gave up (a pool or cluster lost): the table says where each member stands
        with contextlib.suppress(SpecError, RunError):  # a damaged lock: the error raised says so
            family_report(Path(args.out) / exp.family.family)
        raise
    folder = Path(args.out) / exp.family.family
    report = family_report(folder)
    phase_files = write_phases(spec, exp, folder, plots=True) if spec.phases or spec.vary.refine else []
    counts = ", ".join(f"{outcome.count(s)} {s}" for s in ("complete", "diverged", "failed", "skipped", "interrupted")
                       if outcome.count(s))
    print(f"family {exp.family.family}: {len(exp.members)} members ({counts}) in {outcome.wall_s:.1f} s")
    for name in ("family.csv", "clocks.png"):
        if (folder / name).exists():
            print(f"  {folder / name}")
    for path in phase_files:
        print(f"  {path}")
    if report.table:
        print()
        print(report.table)
    from clockspec.commands.log_export import log_runs

    log_runs(args, [], folder)
    if outcome.interrupted:
        print(f"interrupted; resume with: clockspec run {args.path}", file=sys.stderr)
        return 130
    return 1 if outcome.count("failed") else 0
