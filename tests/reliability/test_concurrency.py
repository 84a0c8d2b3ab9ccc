"""Real `clockspec run` processes at once: the same experiment (one trains, the others are
told who or wait), different experiments (share nothing), a family (issue 8, item 5)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clockspec.core.errors import RunError
from clockspec.families.expand import expand_family
from clockspec.orchestrate.execute import run_family
from clockspec.store.lock import claim
from clockspec.store.objects import data_dir
from tests.reliability.kit import SPEC, assert_same_result, assert_whole, clockspec, run_dir

CLI = [sys.executable, "-m", "clockspec.commands.main"]


def wait_until_training(out: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for status in out.glob(".objects/*/status.json"):
            try:
                if json.loads(status.read_text())["status"] == "running":
                    return
            except (OSError, ValueError):
                pass
        time.sleep(0.05)
    raise AssertionError("the first run never started training")


@pytest.mark.slow
def test_the_same_experiment_twice_one_trains_the_other_says_who_or_waits(tmp_path, spec_file):
    spec_file(steps=5000)  # long enough that the others start while it trains, even on a loaded machine
    first = subprocess.Popen([*CLI, "run", "k.yaml", "--out", "runs", "-q"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_training(tmp_path / "runs")
        busy = clockspec("run", "k.yaml", "--out", "runs", cwd=tmp_path)
        assert busy.returncode == 75 and "Traceback" not in busy.stderr
        assert f"another clockspec process is running this experiment: pid {first.pid} on host" in busy.stderr
        assert "of 5,000" in busy.stderr and "clockspec run --wait" in busy.stderr
        waited = clockspec("run", "k.yaml", "--out", "runs", "--wait", cwd=tmp_path)
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert waited.returncode == 0, waited.stderr
    assert f"waiting for pid {first.pid}" in waited.stderr
    assert "reused the finished run" in waited.stdout  # it waited, then trained nothing
    rd = run_dir(tmp_path / "runs")
    assert_whole(rd)
    assert json.loads((rd / "status.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_different_experiments_in_parallel_share_nothing(tmp_path, spec_file, reference):
    spec_file()
    spec_file(name="other.yaml", text=SPEC.replace("seed: 5", "seed: 6"))
    procs = [subprocess.Popen([*CLI, "run", name, "--out", "runs", "-q"], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for name in ("k.yaml", "other.yaml")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    dirs = sorted(p for p in (tmp_path / "runs" / ".objects").iterdir() if p.is_dir())
    assert len(dirs) == 2
    mine = data_dir(Path(tmp_path / outs[0][0].strip()))  # the view -q printed, and the object it shows
    assert_same_result(mine, reference())  # as if it had run alone
    other = [d for d in dirs if d != mine][0]
    assert_whole(other)
    assert json.loads((other / "status.json").read_text())["status"] == "complete"


def test_a_family_folder_is_run_by_one_process_at_a_time(tmp_path):
    (tmp_path / "fam.yaml").write_text(
        "family: fam\nbase:\n" + "".join(f"  {line}\n" for line in SPEC.replace("STEPS", "20").splitlines())
        + "vary:\n  grid:\n    seed: [0, 1]\n")
    exp = expand_family(tmp_path / "fam.yaml")
    with claim(tmp_path / "runs" / "fam"):
        with pytest.raises(RunError, match=f"running this experiment: pid {os.getpid()}") as info:
            run_family(exp, out=tmp_path / "runs", jobs=1, stream=open(os.devnull, "w"))
    assert info.value.exit_status == 75
    assert not (tmp_path / "runs" / "fam").exists()  # refused before anything was written
