"""`clockspec run PATH`: train an experiment (or reuse its finished run) and print its clocks.

The runtime (and so torch) is imported inside `run`, never when the command registers.
Exit status: 0 complete, 1 diverged (a result, not an error), 2 bad input, 3 the environment
failed (status.json says `failed`), 75 another process holds the run, 130 interrupted.
"""
from __future__ import annotations

from pathlib import Path

from clockspec.commands.argtypes import positive, seconds

EXIT = {"complete": 0, "diverged": 1, "interrupted": 130}


def register(sub) -> None:
    p = sub.add_parser("run", help="train an experiment or a family and measure its clocks (finished runs are reused)")
    p.add_argument("path", metavar="PATH", help="an experiment or family spec (.yaml or .clk)")
    p.add_argument("--device", metavar="DEVICE", help="auto|cpu|cuda[:N]|mps (default: the spec's device)")
    p.add_argument("--out", metavar="DIR", help="where run directories go (default: $CLOCKSPEC_RUNS, else "
                   "[tool.clockspec] runs in the nearest pyproject.toml, else runs/)")
    p.add_argument("--force", action="store_true", help="retrain even if a finished run exists")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    p.add_argument("--wait", action="store_true",
                   help="if another process is running this experiment, wait for it instead of exiting 75")
    p.add_argument("--checkpoint-every", type=seconds, default=60.0, metavar="SECONDS",
                   help="seconds between checkpoints while training (default 60)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar; print only the run directory")
    p.add_argument("--threads", type=positive, default=1, metavar="N",
                   help="torch CPU threads (default 1: small models run fastest on one pinned thread)")
    from clockspec.commands.family_run import add_arguments
    from clockspec.commands.log_export import add_log
    from clockspec.commands.overrides import add_grid, add_set

    add_set(p, "the experiment (or a family's base)")
    add_grid(p)
    add_log(p)

    add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.extras import require as require_extras
    from clockspec.commands.overrides import load_overridden
    from clockspec.store.location import store_location
    from clockspec.store.provenance import declared

    spec = load_overridden(args.path, args)  # a bad spec is reported as such, with or without torch
    require_extras("run", "torch", "matplotlib", "tqdm", "numpy")
    from clockspec.report.tracking import require

    require(args.log)  # before anything trains
    args.out = str(store_location(args.out, Path(args.path).parent))
    from clockspec.commands.log_export import following
    from clockspec.ir.spec import Experiment

    name, family = (spec.name, False) if isinstance(spec, Experiment) else (spec.family, True)
    with declared(args.path, args.argv, [*(args.overrides or []), *(f"grid {g}" for g in args.grids or [])]), \
            following(args, name, family):
        return run_spec(spec, args)


def run_spec(spec, args) -> int:
    from clockspec.ir.spec import Experiment

    if not isinstance(spec, Experiment):
        from clockspec.commands.family_run import run as run_family

        return run_family(spec, args)
    plan = spec.compile()
    from clockspec.runtime import run as run_plan

    result = run_plan(plan, out=args.out, device=args.device, force=args.force, resume=args.resume,
                      progress=False if args.quiet else None, threads=args.threads, wait=args.wait,
                      checkpoint_every=args.checkpoint_every)
    if args.quiet:
        print(result.view)
    else:
        print(summary(plan, result, again(args)))
    from clockspec.commands.log_export import log_runs

    log_runs(args, [result.view], spec=spec)
    return EXIT.get(result.status, 1)


def again(args) -> str:
    """The command that continues this run: its path and its overrides."""
    return " ".join([args.path, *(f"--set {o}" for o in args.overrides or [])])


def summary(plan, result, path: str) -> str:
    spec = plan.spec
    lines = [f"{spec.name}: {result.note}", f"status: {result.status} at step {result.step}"]
    width = max((len(n) for n in result.clocks), default=0)
    if result.clocks:
        lines.append("clocks:")
    for name, clock in result.clocks.items():
        if clock.reached:
            when = f"step {clock.step:>7,}"
        else:
            when = "not reached" + (f" (last {clock.value:.3g})" if clock.value is not None else "")
        lines.append(f"  {name:<{width}}  {when:<24}  {spec.clocks[name].text()}")
    if "pattern_flips" in plan.metrics:
        band = spec.probes.flip_band
        lines.append(f"pattern_flips ignored sign changes within {band:g} of zero (probes.flip_band)" if band
                     else "pattern_flips counted every sign change (probes.flip_band 0)")
    lines.append(f"figure: {result.view / 'curves.png'}")
    if result.status == "interrupted":
        lines.append(f"continue with: clockspec run {path} --resume")
    return "\n".join(lines)
