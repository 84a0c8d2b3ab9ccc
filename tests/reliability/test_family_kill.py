"""A family whose process group is SIGKILLed mid-way: run again, no member that was complete
is rerun or lost, and the rest complete (issue 8, item 4)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from clockspec.store.objects import data_dir
from tests.reliability.kit import SPEC, assert_whole


def _statuses(folder):
    """The status files of the family's members (in the objects their views point at)."""
    return [data_dir(view) / "status.json" for view in folder.glob("*-*/") if (data_dir(view) / "status.json").is_file()]


@pytest.mark.slow
def test_a_killed_family_reruns_only_what_was_not_complete(tmp_path):
    (tmp_path / "base.yaml").write_text(SPEC.replace("STEPS", "1500"))
    (tmp_path / "fam.yaml").write_text("family: fam\nbase: base.yaml\nvary:\n  grid:\n    seed: [0, 1, 2]\n")
    cmd = [sys.executable, "-m", "clockspec.commands.main", "run", "fam.yaml", "--out", "runs", "--jobs", "1", "--no-batch"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    folder = tmp_path / "runs" / "fam"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # until one member is complete and the next trains
        states = [json.loads(p.read_text()).get("status") for p in _statuses(folder)]
        if states.count("complete") >= 1 and "running" in states:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its pool workers, without warning
    proc.wait()
    done = {p.parent: (p.stat().st_mtime_ns, (p.parent / "metrics.jsonl").read_bytes())
            for p in _statuses(folder) if json.loads(p.read_text())["status"] == "complete"}
    assert done
    for rd in folder.glob("*-*/"):
        assert_whole(data_dir(rd))
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{len(done)} already done" in again.stderr
    for rd, (mtime, rows) in done.items():  # untouched: not rerun, not rewritten
        assert (rd / "status.json").stat().st_mtime_ns == mtime and (rd / "metrics.jsonl").read_bytes() == rows
    states = {p.parent.name: json.loads(p.read_text())["status"] for p in _statuses(folder)}
    assert len(states) == 3 and set(states.values()) == {"complete"}
