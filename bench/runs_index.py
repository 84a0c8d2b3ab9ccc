"""The run index at scale: a store of N copies of one real run directory (each with its own
train hash and seed), read by `clockspec runs` (find_runs + select + render).

Prints the time per run and the ratio to reading the one run alone, so a change that makes
the index quadratic shows up as a ratio far above N.

    python bench/runs_index.py RUN_DIR [-n 1000]
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from clockspec.report.runs_table import render, select
from clockspec.store.index import find_runs


def store_of(run_dir: Path, n: int, root: Path) -> Path:
    spec = (run_dir / "spec.lock.yaml").read_text()
    for i in range(n):
        copy = root / f"run-{i:05d}"
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("*.pt", "curves.png", "metrics.jsonl"))
        (copy / "spec.lock.yaml").write_text(spec.replace("\nseed: ", f"\nseed: {i}\n# was: ", 1))
        plan = json.loads((copy / "plan.json").read_text())
        (copy / "plan.json").write_text(json.dumps({**plan, "spec": {**plan["spec"], "seed": i}}))
        status = json.loads((copy / "status.json").read_text())
        (copy / "status.json").write_text(json.dumps({**status, "train_hash": f"{i:064x}"}))
    return root


def timed(folder: Path) -> float:
    began = time.perf_counter()
    render(select(find_runs([folder]), "status == complete", "-seed"))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        timed(store_of(args.run_dir, 1, Path(scratch) / "warm"))  # parsers and imports, once
        one = timed(store_of(args.run_dir, 1, Path(scratch) / "one"))
        many = timed(store_of(args.run_dir, args.n, Path(scratch) / "many"))
    print(f"1 run: {one * 1e3:.1f} ms; {args.n} runs: {many:.2f} s ({many / args.n * 1e3:.1f} ms per run); "
          f"ratio {many / one:.0f} for {args.n}x the runs")


if __name__ == "__main__":
    main()
