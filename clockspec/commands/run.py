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
    p.add_argument("--out", metavar="DIR", default="runs", help="where run directories go (default: runs/)")
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

    add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.extras import require
    from clockspec.ir.spec import Experiment
    from clockspec.syntax.loading import load

    spec = load(Path(args.path))  # a bad spec is reported as such, with or without torch
    require("run", "torch", "matplotlib", "tqdm", "numpy")
    if not isinstance(spec, Experiment):
        from clockspec.commands.family_run import run as run_family

        return run_family(spec, args)
    plan = spec.compile()
    from clockspec.runtime import run as run_plan

    result = run_plan(plan, out=args.out, device=args.device, force=args.force, resume=args.resume,
                      progress=False if args.quiet else None, threads=args.threads, wait=args.wait,
                      checkpoint_every=args.checkpoint_every)
    if args.quiet:
        print(result.run_dir)
    else:
        print(summary(plan, result, args.path))
    return EXIT.get(result.status, 1)


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
    lines.append(f"figure: {result.run_dir / 'curves.png'}")
    if result.status == "interrupted":
        lines.append(f"continue with: clockspec run {path} --resume")
    return "\n".join(lines)
