"""Barak et al. 2022's scaling: steps to learn an (n, 3) sparse parity against n.

Runs the family specs/paper/barak-2022.yaml (n = 20..50, three seeds each; online SGD,
the scalar hinge) with `clockspec run`, reads its family.csv, and prints each n's median
steps to `solve` (test accuracy >= 0.99) and the exponent b of the least-squares fit
steps ~ a n^b over the medians. `--fixed` trains every member on its fixed pool of
`train_size` strings instead (task.online: false), the setting that grew about linearly.
Finished members are reused; `--force` retrains.

    nice python bench/barak.py [--out DIR] [--fixed] [--force]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

SPEC = Path(__file__).resolve().parent.parent / "specs/paper/barak-2022.yaml"


def train(out: Path, fixed: bool, force: bool) -> Path:
    """Run the family; its family.csv."""
    command = ["clockspec", "run", str(SPEC), "--out", str(out), "--jobs", "1", "-q"]
    command += ["--set", "task.online=false"] if fixed else []
    command += ["--force"] if force else []
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out / "barak-2022" / "family.csv"


def medians(table: Path) -> dict[int, tuple[float | None, int, int]]:
    """{n: (median steps to solve over the seeds that solved, solved, seeds)}."""
    by_n: dict[int, list[int | None]] = {}
    with table.open(newline="") as f:
        for row in csv.DictReader(f):
            solved = row["solve_censored"] == "0" and row["solve"] not in ("", None)
            by_n.setdefault(int(row["bits"]), []).append(int(row["solve"]) if solved else None)
    return {n: (statistics.median(s) if (s := [v for v in steps if v is not None]) else None, len(s), len(steps))
            for n, steps in sorted(by_n.items())}


def exponent(points: dict[int, float]) -> float:
    """b of log steps = log a + b log n, least squares."""
    n, steps = zip(*points.items())
    return float(np.polyfit(np.log(n), np.log(steps), 1)[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/paper"))
    parser.add_argument("--fixed", action="store_true", help="train on the fixed pool (task.online: false)")
    parser.add_argument("--force", action="store_true", help="retrain finished members")
    args = parser.parse_args()
    rows = medians(train(args.out, args.fixed, args.force))
    print(f"{'fixed pool' if args.fixed else 'online'} (n, 3) sparse parity, steps to test accuracy >= 0.99")
    print("    n  median steps  solved")
    for n, (median, solved, seeds) in rows.items():
        print(f"{n:5d}  {'-' if median is None else f'{median:12,.0f}'}  {solved}/{seeds}")
    solved = {n: m for n, (m, _, _) in rows.items() if m is not None}
    if len(solved) < 2:
        print("fewer than two n solved: no exponent", file=sys.stderr)
        return 1
    print(f"fitted exponent b (steps ~ n^b): {exponent(solved):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
