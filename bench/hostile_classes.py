"""Time to check the inputs of issue 20's classes against a small spec, in one invocation.

Run: python bench/hostile_classes.py [--sizes 500,1000,2000]
Each line: the class, its size, the median seconds of `check` (load + compile, expanding a
family) and the ratio to the baseline (specs/modadd.yaml). A check that is near-linear shows
a time ratio close to the size ratio between consecutive sizes; the last column prints it.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import clockspec
from clockspec.commands.main import main as cli

ROOT = Path(__file__).resolve().parent.parent
HEAD = "name: x\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"


def after_chain(n: int) -> str:
    lines = [f"  c{i}: first train_loss <= 0.1" + (f" after c{i - 1}" if i else "") for i in range(n)]
    return HEAD + "clocks:\n" + "\n".join(lines) + "\n"


def unknown_afters(n: int) -> str:
    lines = [f"  c{i}: first train_loss <= 0.1 after missing{i}" for i in range(n)]
    return HEAD + "clocks:\n" + "\n".join(lines) + "\nstop: {after: [" + ", ".join(f"gone{i}" for i in range(n)) + "]}\n"


def family_one_bad_value(n: int) -> str:
    side = max(2, int(n ** 0.5))
    good = ", ".join(str(0.01 * (i + 1)) for i in range(side - 1))
    return (f"family: f\nbase: {{{HEAD.replace(chr(10), ', ').rstrip(', ')}}}\nvary:\n  grid:\n"
            f"    seed: [{', '.join(str(i) for i in range(side))}]\n"
            f"    task.train_fraction: [{good}, 7.5]\n")


CLASSES = {"after chain": after_chain, "unknown after names": unknown_afters, "family, one bad value": family_one_bad_value}


def seconds(path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            cli(["check", "-q", str(path)])
        except SystemExit:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--out", default="/tmp/clockspec-bench-hostile")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    clockspec.load(ROOT / "specs" / "modadd.yaml")  # warm up: imports, grammars
    base = seconds(ROOT / "specs" / "modadd.yaml", 5)
    print(f"{'class':24} {'size':>7} {'bytes':>9} {'median s':>9} {'x baseline':>11} {'x prev size':>12}")
    print(f"{'baseline modadd.yaml':24} {'':>7} {'':>9} {base:>9.4f} {1.0:>11.1f}")
    for name, make in CLASSES.items():
        prev = None
        for size in (int(s) for s in args.sizes.split(",")):
            path = out / f"{name.replace(' ', '_').replace(',', '')}-{size}.yaml"
            path.write_text(make(size))
            t = seconds(path, 3)
            growth = f"{t / prev:12.1f}" if prev else ""
            print(f"{name:24} {size:>7} {path.stat().st_size:>9} {t:>9.4f} {t / base:>11.1f} {growth}")
            prev = t


if __name__ == "__main__":
    main()
