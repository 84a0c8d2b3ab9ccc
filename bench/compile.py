"""Compile speed: median in-process load+compile per example, and `clockspec check` as a process.

Goals (issue 3): under 5 ms per spec in process, under 0.3 s for the command. Each figure is
printed with a baseline measured in the same run (load alone; a bare interpreter start), so
the ratios stay meaningful on a busy machine.

    python bench/compile.py [--repeat 50] [SPEC...]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def examples() -> list[Path]:
    found = sorted(p for folder in ("specs", "tests/fixtures/compiler") for p in (ROOT / folder).glob("*")
                   if p.suffix in (".yaml", ".yml", ".clk"))
    return found


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def wall_s(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=False, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--process-repeat", type=int, default=5)
    args = parser.parse_args()

    import clockspec

    paths = args.specs or examples()
    print(f"{'spec':<52} {'load ms':>8} {'compile ms':>11} {'load+compile ms':>16} {'ratio':>6}")
    worst = 0.0
    for path in paths:
        spec = clockspec.load(path)
        if not isinstance(spec, clockspec.Experiment):
            continue
        clockspec.load(path).compile()  # warm caches (the clock parser, pydantic validators)
        load = median_ms(lambda path=path: clockspec.load(path), args.repeat)
        alone = median_ms(spec.compile, args.repeat)
        both = median_ms(lambda path=path: clockspec.load(path).compile(), args.repeat)
        worst = max(worst, both)
        name = str(path.relative_to(ROOT) if path.is_absolute() else path)
        print(f"{name:<52} {load:8.2f} {alone:11.2f} {both:16.2f} {both / load:6.2f}")
    print(f"slowest load+compile: {worst:.2f} ms (goal < 5 ms)")

    spec_files = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "specs").glob("*")) if p.suffix in (".yaml", ".clk")]
    spec_files = spec_files or [str(p.relative_to(ROOT)) for p in paths]
    bare = wall_s([sys.executable, "-c", "pass"], args.process_repeat)
    imp = wall_s([sys.executable, "-c", "import clockspec"], args.process_repeat)
    check = wall_s([sys.executable, "-m", "clockspec.commands.main", "check", "-q", *spec_files], args.process_repeat)
    print(f"python -c pass:           {bare:.3f} s")
    print(f"python -c 'import clockspec': {imp:.3f} s ({imp / bare:.1f}x bare)")
    print(f"clockspec check ({len(spec_files)} files): {check:.3f} s ({check / bare:.1f}x bare; goal < 0.3 s)")


if __name__ == "__main__":
    main()
