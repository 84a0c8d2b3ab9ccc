"""Long fuzzing campaign over the four front ends (YAML, .clk, clock expressions, family
exclude predicates): `python bench/fuzz.py [-n N_PER_FRONT_END] [--front yaml,clk,...]`.

Each input must give a valid IR / parsed object or a clean positioned error
(tests/fuzz/checks.py) in under `--limit` seconds of CPU time (wall time on a shared machine
measures the neighbours). Prints per front end the inputs, valid,
clean errors, failures, inputs/s and the slowest input; writes every failing or slow input
(a few per distinct failure), and the slowest input, to `--out` with a note beside it. Minimize one with
`--minimize FILE --front F` and add it to tests/corpus/fuzz/<front>/ (docs/fuzzing.md).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fuzz.harness import FRONT_ENDS, FrontEnd
from tests.fuzz.minimize import minimize

KEEP_PER_SIGNATURE = 3


def signature(exc: BaseException) -> str:
    """Exception type and the innermost frame: one bug, however many inputs hit it."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


def run_front(front: FrontEnd, n: int, seed: int, limit: float, out: Path) -> dict:
    rng = random.Random(f"{front.name}-{seed}")
    counts: Counter = Counter()
    found: Counter = Counter()
    slowest, slowest_input = 0.0, b""
    start = time.perf_counter()
    for i in range(n):
        data = front.make(rng)
        t0 = time.process_time()  # CPU time: what the input costs, whatever else the machine runs
        try:
            counts[front.check(data)] += 1
            problem = None
        except Exception as exc:
            counts["failure"] += 1
            problem, trace = signature(exc), traceback.format_exc()
        took = time.process_time() - t0
        if took > slowest:
            slowest, slowest_input = took, data
        if problem is None and took > limit:
            counts["slow"] += 1
            problem, trace = "slow", f"took {took:.2f} s (limit {limit} s)\n"
        if problem is not None:
            found[problem] += 1
            if found[problem] <= KEEP_PER_SIGNATURE:
                _save(out, f"{front.name}-{seed}-{i}{front.suffix}", data, f"{problem}\n{trace}")
    total = time.perf_counter() - start
    _save(out, f"{front.name}-{seed}-slowest{front.suffix}", slowest_input, f"took {slowest * 1000:.1f} ms\n")
    return {"front": front.name, "inputs": n, "valid": counts["ok"], "clean_errors": counts["error"],
            "failures": counts["failure"], "slow": counts["slow"], "inputs_per_s": round(n / total),
            "seconds": round(total, 1), "slowest_ms": round(slowest * 1000, 1),
            "slowest_input": _preview(slowest_input), "distinct_failures": dict(found)}


def _save(out: Path, name: str, data: str | bytes, note: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    (out / name).write_bytes(raw)
    (out / (name + ".txt")).write_text(note + ("" if isinstance(data, bytes) else "(input was text)\n"))


def _preview(data: str | bytes) -> str:
    text = repr(data)
    return text if len(text) <= 120 else text[:117] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="inputs per front end (default 100000)")
    parser.add_argument("--front", default=",".join(FRONT_ENDS), help="comma-separated front ends")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=1.0, help="seconds an input may take (default 1)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"), help="where findings go")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--minimize", type=Path, help="shrink this finding (with --front F) and print it")
    args = parser.parse_args(argv)
    fronts = args.front.split(",")
    if args.minimize:
        (front,) = fronts
        small = minimize(FRONT_ENDS[front], args.minimize.read_bytes(), args.limit)
        sys.stdout.write(repr(small) + "\n")
        return 0
    results = []
    for name in fronts:
        result = run_front(FRONT_ENDS[name], args.n, args.seed, args.limit, args.out)
        results.append(result)
        print(f"{name:9s}: {result['inputs']} inputs, {result['valid']} valid, {result['clean_errors']} clean errors, "
              f"{result['failures']} failures, {result['slow']} over {args.limit} s, {result['inputs_per_s']} inputs/s, "
              f"slowest {result['slowest_ms']} ms", flush=True)
        for problem, count in result["distinct_failures"].items():
            print(f"    {count} x {problem}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["failures"] or r["slow"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
