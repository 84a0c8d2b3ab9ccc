"""Kill campaign: `python bench/kill_resume.py [KILLS] [STEPS]`.

Starts `clockspec run` on a small spec, SIGKILLs it at a random time in its life, checks what
it left (every named file whole, a torn metrics row at most), reruns with --resume, and so
on; every few kills lets a run finish and compares it byte for byte with an uninterrupted
run. Prints where the kills landed (by the status.json they left) and the tally.
"""
from __future__ import annotations

import collections
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.kit import SPEC, assert_same_result, assert_whole, run_dir

PER_TRIAL = 4


def main(kills: int, steps: int) -> int:
    rng = random.Random(0)
    work = Path(tempfile.mkdtemp(prefix="clockspec-kills-"))
    (work / "k.yaml").write_text(SPEC.replace("STEPS", str(steps)))
    cli = [sys.executable, "-m", "clockspec.commands.main", "run", "k.yaml", "--resume", "--checkpoint-every", "0", "-q"]
    began = time.monotonic()
    subprocess.run([*cli, "--out", "ref"], cwd=work, check=True, capture_output=True)
    life = time.monotonic() - began
    ref = run_dir(work / "ref")
    landed: collections.Counter[str] = collections.Counter()
    done = trials = 0
    while done < kills:
        out = work / f"t{trials}"
        for _ in range(min(PER_TRIAL, kills - done)):
            proc = subprocess.Popen([*cli, "--out", out.name], cwd=work, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, life * 1.05))
            proc.send_signal(signal.SIGKILL)
            if proc.wait() != -signal.SIGKILL:
                landed["after the process had ended"] += 1
                continue
            done += 1
            dirs = [p for p in out.glob("*") if p.is_dir()] if out.exists() else []
            if not dirs:
                landed["before the run directory existed"] += 1
                continue
            assert_whole(dirs[0])
            status = (json.loads((dirs[0] / "status.json").read_text()).get("status")
                      if (dirs[0] / "status.json").exists() else "no status.json")
            temp = any(p.name.startswith(".") for p in dirs[0].iterdir())
            landed[f"status {status}" + (", a temporary file left" if temp else "")] += 1
        final = subprocess.run([*cli, "--out", out.name], cwd=work, capture_output=True, text=True)
        assert final.returncode == 0, final.stderr
        assert_same_result(run_dir(out), ref)
        trials += 1
    shutil.rmtree(work)
    print(f"{done} kills in {trials} trials of a {steps}-step run ({life:.1f} s a process); "
          f"every trial resumed to a result byte-equal to the uninterrupted run")
    for where, n in sorted(landed.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4d}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40, int(sys.argv[2]) if len(sys.argv) > 2 else 600))
