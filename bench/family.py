"""Family benchmarks, each a ratio against a baseline run in the same process:

1. batched vs sequential: an 8-seed family of a small modular model (p=23) and of the
   quickstart model, trained one member after another with `clockspec.runtime.run` and then
   as one batch with `clockspec.runtime.batched.run_batch` (same plans, same run-directory
   outputs, figures included; the batch draws its figures on the spare cores, as the
   executor's jobs do, `drawing.FigurePool`). Goals: >= 4x for the small model, >= 1.5x for the quickstart.
   Then the executor's cost model (clockspec/orchestrate/cost.py) is given its calibration
   for one slot, and the time of the strategy it picks (plus the calibration's) is printed
   over the better of the two (goal <= 1.05). Every member's metrics.jsonl is checked to be
   the same bytes in both modes.
   The same for the specs that trained on the torch module's step before issue 24 and now
   batch: a Grokfast MLP family (goal >= 2x) and a parametrized transformer family (Nanda's
   shape at CPU size, output scale alpha and a per-layer rate).
2. expansion: a 1,000-member family expanded (and every member validated and checked by
   the compiler passes); goal: under 1 s.
3. strategy (issue 32): every shipped family (specs/**/*.yaml with `family:`), sized down
   (its first --max-members members, train.steps cut so that the plan's cost model gives
   its members about --target-s seconds of steps one by one on the slots), run by the
   executor (`run_family`, the code `clockspec run FAMILY` runs, worker start included) three
   ways in a fresh store each: the default strategy (its calibration included), one by one
   (`--no-batch`) and forced stacks (the largest useful, as the executor took before any
   cost model). Each row prints default / best of the three (goal <= 1.05), quiet and again
   with two `yes > /dev/null` processes the bench starts itself. The load average is printed
   with each condition. The three ways run interleaved, --repeats times, and a row's
   seconds are each way's median.

    python bench/family.py [--steps-small N] [--steps-quickstart N] [--seeds K] [--device cpu]
        [--skip small quickstart grokfast transformer expansion strategy]
        [--families SUBSTRING ...] [--target-s S] [--max-members N] [--repeats R] [--conditions quiet busy]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import clockspec

ROOT = Path(__file__).resolve().parent.parent
SMALL = """\
name: small-{seed}
seed: {seed}
task: {{kind: modular, op: add, modulus: 23, train_fraction: 0.5}}
model: {{kind: embed_mlp, embed_dim: 16, hidden: [32]}}
regularizers: {{weight_decay: {{strength: 1.0}}}}
optimizer: {{kind: adamw, lr: 0.01}}
train: {{steps: {steps}}}
probes: {{every: 50}}
clocks:
  fit: first train_acc >= 0.99
  generalize: first test_acc >= 0.99
"""
GROKFAST = """\
name: grokfast-{seed}
seed: {seed}
task: {{kind: modular, op: add, modulus: 23, train_fraction: 0.5}}
model: {{kind: mlp, hidden: [64]}}
regularizers: {{weight_decay: {{strength: 1.0}}}}
optimizer: {{kind: adamw, lr: 0.003, grokfast: {{alpha: 0.98, lamb: 2.0}}}}
train: {{steps: {steps}}}
probes: {{every: 50}}
clocks:
  fit: first train_acc >= 0.99
"""
TRANSFORMER = """\
name: transformer-{seed}
seed: {seed}
task: {{kind: modular, op: add, modulus: 23, train_fraction: 0.3}}
model: {{kind: transformer, d_model: 32, heads: 4, d_head: 8, d_mlp: 128,
         parametrization: {{output_scale: 2.0, layers: {{unembed: {{lr: 0.5}}}}}}}}
regularizers: {{weight_decay: {{strength: 1.0}}}}
optimizer: {{kind: adamw, lr: 0.001}}
train: {{steps: {steps}}}
probes: {{every: 50}}
clocks:
  fit: first train_acc >= 0.99
"""
BIG = """\
clockspec: 1
family: bench-expand
base: {base}
vary:
  grid:
    regularizers.weight_decay.strength: [0.01, 0.03, 0.1, 0.3, 1.0]
    optimizer.lr: [0.001, 0.003, 0.01, 0.03, 0.1]
    task.train_fraction: [0.3, 0.4, 0.5, 0.6]
    seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
exclude: ["seed == 100"]
"""


def plans_of(text: str, seeds: int, steps: int) -> list:
    return [clockspec.compile(clockspec.loads(text.format(seed=s, steps=steps))) for s in range(seeds)]


def quickstart_plans(seeds: int, steps: int) -> list:
    base = clockspec.load(ROOT / "specs" / "quickstart.yaml")
    # Full runs of `steps` steps: no stop clocks (members would end at different steps), and
    # only the clocks that can fire in a short run.
    clocks = {name: c for name, c in base.clocks.items() if name in ("fit", "memorize", "generalize")}
    return [clockspec.compile(base.model_copy(update={
        "name": f"quickstart-{s}", "seed": s, "train": base.train.model_copy(update={"steps": steps}),
        "clocks": clocks, "stop": base.stop.model_copy(update={"after": []})})) for s in range(seeds)]


def batched_vs_sequential(label: str, plans: list, device: str) -> float:
    from clockspec.runtime import run
    from clockspec.runtime.batched import run_batch
    from clockspec.runtime.drawing import spare_cores

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        alone = [run(plan, out=Path(tmp) / "alone", device=device, progress=False, threads=1) for plan in plans]
        alone_s = time.perf_counter() - began
        began = time.perf_counter()
        results = run_batch(plans, out=Path(tmp) / "batched", device=device, threads=1,
                            figure_workers=spare_cores(1))
        batched_s = time.perf_counter() - began
        figure_s = figure_time(plans[0], results[0])
        figures = len(plans) * figure_s
        same = all((a.run_dir / "metrics.jsonl").read_bytes() == (b.run_dir / "metrics.jsonl").read_bytes()
                   for a, b in zip(alone, results))
    steps = plans[0].spec.train.steps
    print(f"{label}: {len(plans)} members x {steps} steps: sequential {alone_s:.1f} s, batched {batched_s:.1f} s, "
          f"speedup {alone_s / batched_s:.2f}x; metrics.jsonl the same bytes in both: {same}")
    print(f"  of which each mode draws {len(plans)} curves.png ({figure_s * 1e3:.0f} ms each, best of 3), "
          f"about {figures:.1f} s: without them, "
          f"{(alone_s - figures) / max(batched_s - figures, 1e-9):.2f}x")
    cost_model_pick(plans, device, alone_s, batched_s)
    return alone_s / batched_s


def cost_model_pick(plans: list, device: str, alone_s: float, batched_s: float) -> None:
    """What the executor's strategy picks for these members on one slot, from an in-process
    calibration, and its time (the measured time of that strategy plus the calibration's)
    over the better of the two."""
    from clockspec.orchestrate import cost
    from clockspec.runtime.batched import step_samples

    began = time.perf_counter()
    samples = step_samples(plans[0], [1, len(plans)], device, rounds=cost.CALIBRATION_ROUNDS,
                           block_s=cost.CALIBRATION_BLOCK_S, min_steps=cost.CALIBRATION_MIN_STEPS)
    calibration_s = time.perf_counter() - began
    choice = cost.choose(len(plans), 1, plans[0].spec.train.steps,
                         cost.calibrated([{"step_s": samples, "seconds": calibration_s}]))
    picked = (batched_s if choice.size > 1 else alone_s) + calibration_s
    print(f"  strategy (1 slot): {choice.reason}; its time / the better strategy's: "
          f"{picked / min(alone_s, batched_s):.3f} (goal <= 1.05)")


def figure_time(plan, result, repeats: int = 3) -> float:
    """Seconds to draw one member's curves.png (the runtime's figure), best of `repeats`."""
    import json

    from clockspec.report.run_figure import plot_curves

    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        plot_curves(rows, plan.spec, result.clocks, result.status)
        times.append(time.perf_counter() - began)
    return min(times)


def expansion(repeats: int = 5) -> float:
    from clockspec.families.expand import expand_family

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "base.yaml").write_text(SMALL.format(seed=0, steps=1000))
        (Path(tmp) / "fam.yaml").write_text(BIG.format(base="base.yaml"))
        family = clockspec.load(Path(tmp) / "fam.yaml")
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            members = expand_family(family).members
            times.append(time.perf_counter() - began)
    best = min(times)
    print(f"expansion: {len(members)} members in {best * 1e3:.0f} ms (best of {repeats}; "
          f"median {sorted(times)[len(times) // 2] * 1e3:.0f} ms); budget 1 s: {best:.2f}x of it")
    return best


def shipped_families(only: list[str]) -> list[Path]:
    """The shipped family specs whose path holds one of `only` (all when empty)."""
    import yaml

    found = []
    for path in sorted((ROOT / "specs").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict) and "family" in data and (not only or any(o in str(path) for o in only)):
            found.append(path)
    return found


def sized_down(path: Path, jobs: int, target_s: float, max_members: int):
    """The family's expansion, its first `max_members` members, each trained for the steps
    that the plan's cost model says take about `target_s` one by one on `jobs` slots."""
    import dataclasses

    from clockspec.families.expand import expand_family
    from clockspec.orchestrate import strategy

    exp = expand_family(path)
    members = exp.members[:max_members]
    step_s = max(strategy.prior([clockspec.compile(m.spec)], 1).step_s[1] for m in members)
    rounds = -(-len(members) // jobs)
    steps = max(5, min(members[0].spec.train.steps, round(target_s / (rounds * step_s))))
    return dataclasses.replace(exp, members=[dataclasses.replace(m, spec=shorter(m.spec, steps)) for m in members]), steps


def shorter(spec, steps: int):
    """`spec` trained for `steps` steps. Where the compiler refuses that (a clock needing
    more steps of evidence, probes further apart than the run), without its clocks and stop,
    and probed about ten times."""
    from clockspec.core.errors import SpecError

    spec = spec.model_copy(update={"train": spec.train.model_copy(update={"steps": steps})})
    try:
        clockspec.compile(spec)
    except SpecError:
        spec = spec.model_copy(update={"clocks": {}, "stop": spec.stop.model_copy(update={"after": []})})
        if spec.probes.schedule == "every" and spec.probes.every > steps // 10:
            spec = spec.model_copy(update={"probes": spec.probes.model_copy(update={"every": max(1, steps // 10)})})
    return spec


def timed_family(exp, mode: str, jobs: int, device: str) -> tuple[float, str]:
    """Seconds `run_family` takes for `exp` in a fresh store, and what its board said of the
    strategy. mode: default, alone (--no-batch) or stacks (the largest useful, forced)."""
    import io

    from clockspec.orchestrate import cost, execute, strategy

    decide = strategy.decide
    if mode == "stacks":  # the bench's own lever: the executor has no option to force stacks
        def forced(group, slots, *args, **kwargs):
            size = cost.largest_useful(len(group), slots)
            return cost.Choice(size, 0.0, 0.0, "forced by the bench"), None
        strategy.decide = forced
    board = io.StringIO()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            outcome = execute.run_family(exp, out=Path(tmp), jobs=jobs, batch=mode != "alone", device=device,
                                         stream=board)
            seconds = time.perf_counter() - began
    finally:
        strategy.decide = decide
    if outcome.count("complete") + outcome.count("diverged") != len(exp.members):
        raise SystemExit(f"{exp.family.family} ({mode}): {dict(outcome.status)}\n{board.getvalue()}")
    said = [line.split("; ")[-1] for line in board.getvalue().splitlines() if "can share a stack" in line]
    calibrated = sum("calibrated on" in line for line in board.getvalue().splitlines())
    return seconds, (", ".join(said) or "no group to stack") + (f" ({calibrated} calibrated)" if calibrated else "")


def strategy_rows(paths: list[Path], jobs: int, device: str, target_s: float, max_members: int,
                  repeats: int) -> None:
    """One row per family: the three ways' median seconds and default / best."""
    import statistics

    modes = ("default", "alone", "stacks")
    print(f"{'family':28} {'n':>3} {'steps':>6} {'default':>8} {'alone':>8} {'stacks':>8} {'def/best':>8}  default chose")
    from clockspec.compiler.batching import groups

    for path in paths:
        exp, steps = sized_down(path, jobs, target_s, max_members)
        if all(len(g) == 1 for g in groups(m.spec for m in exp.members)):
            print(f"{exp.family.family:28} {len(exp.members):>3}  no two members may share a stack: "
                  "the three ways are the same run", flush=True)
            continue
        times: dict[str, list[float]] = {m: [] for m in modes}
        said: dict[str, str] = {}
        for r in range(repeats):
            for mode in modes[r % 3:] + modes[:r % 3]:  # rotated, so no way always goes first
                seconds, said[mode] = timed_family(exp, mode, jobs, device)
                times[mode].append(seconds)
        med = {m: statistics.median(t) for m, t in times.items()}
        ratio = med["default"] / min(med.values())
        chose = said["default"]
        print(f"{exp.family.family:28} {len(exp.members):>3} {steps:>6} {med['default']:>8.1f} {med['alone']:>8.1f} "
              f"{med['stacks']:>8.1f} {ratio:>8.3f}  {chose}{_same_jobs(chose, said)}", flush=True)
        if repeats > 1:
            print(" " * 40 + "  ".join(f"{m} {min(t):.1f}-{max(t):.1f}" for m, t in times.items()), flush=True)


def _same_jobs(chose: str, said: dict[str, str]) -> str:
    """Where the default ran the very jobs of another way, its ratio is the machine's noise."""
    if all(c.startswith("one by one") for c in chose.split(", ")):
        return " (the jobs of `alone`: the ratio is the machine's noise)"
    if chose.split(" (")[0] == said["stacks"]:
        return " (the jobs of `stacks`: the ratio is the machine's noise)"
    return ""


def spinning(count: int):
    """`count` processes of `yes > /dev/null`, to be stopped by the caller (by their ids)."""
    import subprocess

    return [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(count)]


def strategy_bench(args) -> None:
    import os

    from clockspec.orchestrate.execute import default_jobs

    paths = shipped_families(args.families)
    jobs = default_jobs()
    for condition in args.conditions:
        spinners = spinning(2) if condition == "busy" else []
        try:
            began = time.perf_counter()
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"\nstrategy, {condition}{' (two yes > /dev/null)' if spinners else ''}: {jobs} slots, "
                  f"load average {load} at the start", flush=True)
            strategy_rows(paths, jobs, args.device, args.target_s, args.max_members, args.repeats)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"({condition}: {time.perf_counter() - began:.0f} s; load average {load} at the end)", flush=True)
        finally:
            for proc in spinners:
                proc.kill()
                proc.wait()


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps-small", type=int, default=1500)
    parser.add_argument("--steps-quickstart", type=int, default=400)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps-grokfast", type=int, default=1000)
    parser.add_argument("--steps-transformer", type=int, default=300)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["small", "quickstart", "grokfast", "transformer", "expansion", "strategy"])
    parser.add_argument("--families", nargs="*", default=[], help="only the family specs whose path holds one of these")
    parser.add_argument("--target-s", type=float, default=8.0,
                        help="seconds of steps one by one per family, by the plan's cost model")
    parser.add_argument("--max-members", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--conditions", nargs="*", default=["quiet", "busy"], choices=["quiet", "busy"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, device {args.device}, 1 torch thread")
    if "strategy" not in args.skip:
        strategy_bench(args)
    if "expansion" not in args.skip:
        expansion()
    if "small" not in args.skip:
        batched_vs_sequential("small modular (p=23)", plans_of(SMALL, args.seeds, args.steps_small), args.device)
    if "quickstart" not in args.skip:
        batched_vs_sequential("quickstart (p=53)", quickstart_plans(args.seeds, args.steps_quickstart), args.device)
    if "grokfast" not in args.skip:
        batched_vs_sequential("Grokfast MLP (p=23, goal >= 2x)", plans_of(GROKFAST, args.seeds, args.steps_grokfast),
                              args.device)
    if "transformer" not in args.skip:
        batched_vs_sequential("parametrized transformer (p=23)", plans_of(TRANSFORMER, args.seeds,
                                                                          args.steps_transformer), args.device)


if __name__ == "__main__":
    main()
