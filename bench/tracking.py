"""What streaming to the trackers costs the training: the same `clockspec run` (fresh store,
a small modular model probed every `--every` steps), without `--log` and with
`--log` of each of `--trackers` (default all three), alternated `--repeat` times.

Printed: the median training wall time (status.json `wall_s`: the loop, as the run itself
measures it) and the median process wall time of each, and their ratios (goal: training
ratio <= 1.05; the process ratio adds the trackers' start-up and final export).

    python bench/tracking.py [--steps N] [--every K] [--repeat R]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
name: bench-tracking
task: {{kind: modular, op: add, modulus: 23, train_fraction: 0.5}}
model: {{kind: embed_mlp, embed_dim: 16, hidden: [32]}}
optimizer: {{kind: adamw, lr: 0.01}}
train: {{steps: {steps}}}
probes: {{every: {every}}}
clocks:
  fit: first train_acc >= 0.99
  generalize: first test_acc >= 0.99
"""


def once(folder: Path, spec: Path, log: list[str]) -> tuple[float, float]:
    out = folder / f"runs-{time.monotonic_ns()}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "WANDB_MODE": "offline"}
    began = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("clockspec")), "run", str(spec), "--out", str(out), "-q", *log],
                   check=True, cwd=folder, env=env, stdout=subprocess.DEVNULL)
    process = time.perf_counter() - began
    (status,) = out.glob("bench-tracking-*/status.json")
    return json.loads(status.read_text())["wall_s"], process


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--trackers", default="mlflow,tensorboard,wandb", help="comma-separated --log values")
    args = ap.parse_args()
    trackers = [a for name in args.trackers.split(",") for a in ("--log", name)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = folder / "bench.yaml"
        spec.write_text(SPEC.format(steps=args.steps, every=args.every))
        plain, logged = [], []
        for _ in range(args.repeat):
            plain.append(once(folder, spec, []))
            logged.append(once(folder, spec, trackers))
    for i, what in enumerate(("training (status wall_s)", "process")):
        a, b = statistics.median(r[i] for r in plain), statistics.median(r[i] for r in logged)
        print(f"{what}: no tracker {a:.2f} s, streaming to {args.trackers} {b:.2f} s, ratio {b / a:.3f}")
    print(f"({args.steps} steps, a probe every {args.every}: {args.steps // args.every + 1} points per metric; "
          f"median of {args.repeat})")


if __name__ == "__main__":
    main()
