"""bench/gpu.sh, the GPU check of issue 16, run with a stand-in interpreter that only echoes
its arguments: the script's plumbing (every part run under its time limit, summary.txt, the
exit status) and its time budget, on any machine. The real parts run on a GPU
(`bench/gpu.sh OUT`) or as a CPU dry run (`DEVICE=cpu SEEDS=4 bench/gpu.sh OUT`)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "gpu.sh"
PARTS = ["tests", "trajectory", "compiled", "runtime", "family"]
BUDGET_S = 450  # the 8 minutes, less the torch imports and nvidia-smi before the parts

pytestmark = pytest.mark.skipif(not (shutil.which("bash") and shutil.which("timeout")), reason="needs bash and timeout")


def run_script(tmp_path: Path, failing: str | None = None) -> tuple[int, list[str]]:
    fake = tmp_path / "python"
    fails = f'case "$*" in *{failing}*) exit 3;; esac\n' if failing else ""
    fake.write_text(f'#!/bin/sh\necho "$@"\n{fails}')
    fake.chmod(0o755)
    env = {**os.environ, "DEVICE": "cpu", "SEEDS": "4", "PYTHON": str(fake)}
    out = tmp_path / "out"
    done = subprocess.run(["bash", str(SCRIPT), str(out)], env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, (out / "summary.txt").read_text().splitlines()


def test_every_part_runs_and_their_limits_fit_the_budget(tmp_path):
    rc, summary = run_script(tmp_path)
    assert rc == 0, summary
    assert [line.split(":")[0] for line in summary] == PARTS
    assert all(": exit 0 in " in line for line in summary)
    limits = [int(re.search(r"\(limit (\d+) s\)", line).group(1)) for line in summary]
    assert sum(limits) <= BUDGET_S, limits
    assert "bench/family.py --device cpu --seeds 4 " in (tmp_path / "out" / "family.txt").read_text()  # DEVICE, SEEDS


def test_a_failing_part_fails_the_script_and_the_others_still_run(tmp_path):
    rc, summary = run_script(tmp_path, failing="bench/runtime.py")
    assert rc == 1
    assert [line.split(" in ")[0] for line in summary] == ["tests: exit 0", "trajectory: exit 0", "compiled: exit 0",
                                                           "runtime: exit 3", "family: exit 0"]
