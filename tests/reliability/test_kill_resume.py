"""SIGKILL a real `clockspec run` at chosen and at random points, rerun it, and get exactly
the result of a run never killed; nothing in between is ever half-written (issue 8, item 3).
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.reliability.kit import assert_same_result, assert_whole, clockspec, run_dir

RESUME = ("run", "k.yaml", "--out", "runs", "--resume", "--checkpoint-every", "0", "-q")
KILLED = -signal.SIGKILL

FAULTS = {
    "mid-checkpoint": "checkpoint.pt:3",
    "final-status": 'status.json~"complete"',
    "torn-row": "row:25",
    "first-write": "spec.lock.yaml:1",
    "final-clocks": "clocks.json:1",
    "final-figure": "curves.png:1",
}
FAST = ("mid-checkpoint",)  # the rest run with -m slow


def kill_then_resume(tmp_path, spec_file, reference, fault):
    spec_file()
    killed = clockspec(*RESUME, cwd=tmp_path, fault=fault)
    assert killed.returncode == KILLED, killed.stderr
    for made in stored(tmp_path / "runs"):  # none when killed before the program's first file
        assert_whole(made)
    done = clockspec(*RESUME, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rd = run_dir(tmp_path / "runs")
    assert_same_result(rd, reference())
    return rd


def stored(out) -> list:
    """The store's program folders (its objects) that exist so far."""
    return [p for p in (out / ".objects").glob("*") if p.is_dir()] if (out / ".objects").is_dir() else []


@pytest.mark.parametrize("case", [pytest.param(c, marks=() if c in FAST else pytest.mark.slow) for c in FAULTS])
def test_killed_at_a_chosen_point_resumes_to_the_same_result(case, tmp_path, spec_file, reference):
    kill_then_resume(tmp_path, spec_file, reference, FAULTS[case])


def test_a_killed_run_is_not_continued_unasked_and_says_where_it_died(tmp_path, spec_file):
    spec_file()
    assert clockspec(*RESUME, cwd=tmp_path, fault="checkpoint.pt:4").returncode == KILLED
    again = clockspec("run", "k.yaml", "--out", "runs", cwd=tmp_path)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "holds an unfinished run (its process died at step 96 or later)" in again.stderr
    assert "pass --resume to continue it, or --force to start over" in again.stderr


@pytest.mark.slow
def test_killed_at_random_points_again_and_again(tmp_path, spec_file, reference):
    """Kills at random times over a run's whole life (start-up, training, checkpoints, final
    writes), several per trial, each trial resumed until it completes."""
    rng = random.Random(8)
    spec_file(steps=600)
    ref = reference()
    began = time.monotonic()
    assert clockspec("run", "k.yaml", "--out", "timing", "-q", "--checkpoint-every", "0", cwd=tmp_path).returncode == 0
    life = time.monotonic() - began  # a whole uninterrupted process, here and now
    kills = trials = 0
    while kills < 9 and trials < 8:  # a kill that comes after the process ended is no kill: try again
        out = f"trial{trials}"
        trials += 1
        for _ in range(3):
            proc = subprocess.Popen([sys.executable, "-m", "clockspec.commands.main", *RESUME[:3], out, *RESUME[4:]],
                                    cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 0.8 * life))
            proc.send_signal(signal.SIGKILL)
            if proc.wait() != KILLED:
                break  # it finished first: this trial is complete
            kills += 1
            for made in stored(tmp_path / out):  # none if killed at start-up
                assert_whole(made)
        done = clockspec(*RESUME[:3], out, *RESUME[4:], cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert_same_result(run_dir(tmp_path / out), ref)
        assert json.loads((run_dir(tmp_path / out) / "status.json").read_text())["step"] == 600
    assert kills >= 9, f"only {kills} kills landed in {trials} trials"
