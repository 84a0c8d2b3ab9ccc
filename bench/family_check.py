"""The cost of `clockspec check` on a large family (issue 30: a 90,000-member family took
75 s and 1.5 GB): a grid of N x M members (learning rate x seed on a small modular model),
written to a scratch folder and checked by a fresh `clockspec check` process, whose wall
time and peak memory (max RSS) are printed; with `--against DIR`, the same for the code in
DIR (a checkout of an older clockspec, put first on PYTHONPATH), and the ratios old/new.

    python bench/family_check.py [--grid 300x300] [--against /tmp/old-checkout] [--repeat 1]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAMILY = """\
family: big
base:
  name: b
  task: {{kind: modular, modulus: 23}}
  model: {{kind: embed_mlp, embed_dim: 16, hidden: [32]}}
  optimizer: {{kind: adamw, lr: 0.01}}
  train: {{steps: 1000}}
  probes: {{every: 10}}
  clocks:
    fit: first train_loss <= 0.1
    generalize: first test_acc >= 0.99
vary:
  grid:
    optimizer.lr: [{lrs}]
    seed: [{seeds}]
"""


def family_text(n: int, m: int) -> str:
    return FAMILY.format(lrs=", ".join(f"{0.001 + i * 1e-5:.5f}" for i in range(n)),
                         seeds=", ".join(str(i) for i in range(m)))


def check(spec: Path, code: Path | None) -> tuple[float, int]:
    """(wall seconds, peak RSS in KB) of one `clockspec check` process."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = f"{code}{os.pathsep}{env.get('PYTHONPATH', '')}"
    script = ("import resource, sys\nfrom clockspec.commands.main import main\ncode = main(['check', sys.argv[1]])\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)\n")
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, str(spec)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"check failed ({done.returncode}): {done.stdout}{done.stderr}")
    return wall, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", default="300x300", help="N x M members (default 300x300 = 90,000)")
    ap.add_argument("--against", type=Path, help="a checkout of older code to compare with")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, alternated; the best is kept")
    args = ap.parse_args()
    n, m = (int(x) for x in args.grid.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "big.yaml"
        spec.write_text(family_text(n, m))
        sides = [("old", args.against)] if args.against else []
        sides.append(("new", None))
        best: dict[str, tuple[float, int]] = {}
        for _ in range(args.repeat):
            for name, code in sides:
                wall, rss = check(spec, code)
                print(f"{name}: {n * m:,} members checked in {wall:.1f} s, peak RSS {rss / 1024:.0f} MB", flush=True)
                best[name] = min(best.get(name, (wall, rss)), (wall, rss))
        if args.against:
            (ow, orss), (nw, nrss) = best["old"], best["new"]
            print(f"ratio old/new: time {ow / nw:.2f}x, memory {orss / nrss:.2f}x")


if __name__ == "__main__":
    main()
