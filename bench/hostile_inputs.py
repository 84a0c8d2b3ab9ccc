"""Time to refuse each hostile input of tests/hardening/test_hostile_inputs.py, against a baseline.

Run: python bench/hostile_inputs.py
Baseline: loading specs/modadd.yaml (bytes -> IR) in the same process. Prints, per input,
the median time and its ratio to the baseline; also the largest input that is accepted
(a spec just under the size limit), since that bounds what any file can cost.
"""
from __future__ import annotations

import importlib.util
import statistics
import time
from pathlib import Path

import clockspec
from clockspec.syntax.loading import parse
from clockspec.syntax.validate import validate
from clockspec.syntax.yaml_front import MAX_BYTES

ROOT = Path(__file__).resolve().parent.parent


def load_hostile() -> dict:
    spec = importlib.util.spec_from_file_location("hostile", ROOT / "tests" / "hardening" / "test_hostile_inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HOSTILE


def seconds(data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            validate(parse(data, "bench.yaml", "yaml"))
        except clockspec.SpecError:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    base_bytes = (ROOT / "specs" / "modadd.yaml").read_bytes()
    seconds(base_bytes, 3)  # warm up: imports, grammar
    base = seconds(base_bytes, 20)
    print(f"{'input':28} {'bytes':>10} {'median ms':>10} {'x baseline':>11}")
    print(f"{'baseline (specs/modadd.yaml)':28} {len(base_bytes):>10} {base * 1e3:>10.2f} {1.0:>11.1f}")
    for name, make in sorted(load_hostile().items()):
        data = make()
        t = seconds(data, 5)
        print(f"{name:28} {len(data):>10} {t * 1e3:>10.2f} {t / base:>11.1f}")
    head = b"family: big\nbase: modadd.yaml\nvary:\n  grid:\n    seed:\n"
    largest = head + b"".join(b"      - %07d\n" % i for i in range((MAX_BYTES - len(head)) // 16))
    clockspec.loads(largest.decode())  # it is valid
    t = seconds(largest, 3)
    print(f"{'largest valid (family)':28} {len(largest):>10} {t * 1e3:>10.2f} {t / base:>11.1f}")


if __name__ == "__main__":
    main()
