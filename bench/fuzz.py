"""Long fuzzing campaign over the front ends: `python bench/fuzz.py [N_PER_FRONT_END]`.

Mutates every example spec and corpus file (YAML and .clk) and random clock expressions;
prints counts, the slowest input's time, and writes any crashing input to
tests/corpus/fuzz_crashes/ (add them to the regression corpus).
"""
from __future__ import annotations

import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fuzz.harness import ROOT, check_clock, check_spec, mutate, seeds  # noqa: E402


def campaign(n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    pool = seeds()
    crashes = 0
    out = ROOT / "tests/corpus/fuzz_crashes"
    for front in ("yaml", "clk", "clock"):
        sources = [t for s, t in pool if s == front] or [t for _, t in pool]
        counts = {"ok": 0, "error": 0, "crash": 0}
        slowest = 0.0
        start = time.perf_counter()
        for i in range(n):
            text = mutate(rng.choice(sources), rng)
            if front == "clock":
                text = text[rng.randrange(max(1, len(text))):][:60]
            t0 = time.perf_counter()
            try:
                counts[check_clock(text) if front == "clock" else check_spec(text, front)] += 1
            except Exception:  # a crash: keep the input
                crashes += 1
                counts["crash"] += 1
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{front}-{seed}-{i}.txt").write_text(text + "\n# " + traceback.format_exc().replace("\n", "\n# "))
            slowest = max(slowest, time.perf_counter() - t0)
        total = time.perf_counter() - start
        print(f"{front:5s}: {n} inputs, {counts['ok']} valid, {counts['error']} clean errors, "
              f"{counts['crash']} crashes, {n / total:.0f} inputs/s, slowest {slowest * 1000:.1f} ms")
    return crashes


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    sys.exit(1 if campaign(n) else 0)
