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

    python bench/family.py [--steps-small N] [--steps-quickstart N] [--seeds K] [--device cpu]
        [--skip small quickstart grokfast transformer expansion]
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
    """What the executor's cost model picks for these members on one slot, and its time
    (the measured time of that strategy plus the calibration's) over the better strategy."""
    from clockspec.orchestrate import cost
    from clockspec.runtime.batched import step_seconds

    began = time.perf_counter()
    times = step_seconds(plans[0], [1, len(plans)], device)
    calibration_s = time.perf_counter() - began
    size = cost.stack_size(len(plans), 1, times)
    picked = (batched_s if size > 1 else alone_s) + calibration_s
    print(f"  cost model (1 slot): {times[1] * 1e3:.2f} ms per step alone, {times[len(plans)] * 1e3:.2f} ms for "
          f"{len(plans)} stacked -> {'stacked' if size > 1 else 'one by one'} (calibration {calibration_s:.1f} s); "
          f"its time / the better strategy's: {picked / min(alone_s, batched_s):.3f} (goal <= 1.05)")


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
                        choices=["small", "quickstart", "grokfast", "transformer", "expansion"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, device {args.device}, 1 torch thread")
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
