"""A refine family through the real executor: members reused across runs, phases re-classified
from recorded clocks when a rule changes (nothing trained), and a kill mid-refinement that
resumes to the same diagram."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from clockspec.families.expand import expand_family
from clockspec.orchestrate.execute import run_family
from clockspec.orchestrate.refine_run import run_refine
from clockspec.report.family_folder import read_family_folder
from clockspec.report.phase_summary import phase_report
from clockspec.report.phase_table import SETUP
from clockspec.syntax.loading import load
from thread_backend import ThreadBackend

BASE = """\
clockspec: 1
name: base
task: {kind: modular, modulus: 7, train_fraction: 0.5}
model: {kind: embed_mlp, embed_dim: 4, hidden: [8]}
optimizer: {kind: adamw, lr: 1e-3}
train: {steps: 12}
probes: {every: 2}
clocks:
  memorize: first train_acc >= 0.5
"""
# A threshold of 0 fires at step 0; near 1 a dozen slow steps never reach it: the phase changes along x.
REFINE = """\
clockspec: 1
family: f
base: base.yaml
vary:
  refine:
    x: {path: clocks.memorize.value, low: 0.0, high: 0.99}
    y: {path: optimizer.lr, low: 1e-4, high: 1e-2, scale: log}
    coarse: 2
    levels: LEVELS
phases:
  fast: memorize reached and memorize <= 4
  slow: otherwise
"""


def write(tmp_path, levels: int = 2):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "f.yaml").write_text(REFINE.replace("LEVELS", str(levels)))
    return load(tmp_path / "f.yaml")


def refine_here(tmp_path, family):
    return run_refine(family, out=tmp_path / "runs", backend_factory=lambda: ThreadBackend(2), jobs=2,
                      quiet=True, stream=io.StringIO())


def test_a_second_run_trains_nothing_and_draws_the_same_diagram(tmp_path):
    family = write(tmp_path)
    first, outcomes = refine_here(tmp_path, family)
    assert len(set(first.phase_at.values())) == 2 and max(first.rounds) >= 1  # it did refine
    assert 4 < len(first.points) < 25
    again, outcomes = refine_here(tmp_path, write(tmp_path))
    assert {s for o in outcomes for s in o.status.values()} == {"skipped"}
    assert again.points == first.points and again.phase_at == first.phase_at
    table = phase_report(read_family_folder(tmp_path / "runs" / "f"))
    assert {(p.x, p.y): p.phase for p in table.points} == {
        (first.xs[i], first.ys[j]): first.phase_at[(i, j)] for i, j in first.points}
    assert (tmp_path / "runs" / "f" / "phases.png").stat().st_size > 0


def test_a_changed_rule_reclassifies_from_recorded_clocks(tmp_path):
    family = write(tmp_path, levels=0)
    refine_here(tmp_path, family)
    folder = tmp_path / "runs" / "f"
    before = {p: p.stat().st_mtime_ns for p in folder.glob("*/metrics.jsonl")}
    old = phase_report(read_family_folder(folder))
    setup = json.loads((folder / SETUP).read_text())
    setup["rules"] = {"fast": "memorize censored", "slow": "otherwise"}  # the names swap
    (folder / SETUP).write_text(json.dumps(setup))
    new = phase_report(read_family_folder(folder))
    assert new.phases.hash() != old.phases.hash()
    assert [p.phase for p in new.points] != [p.phase for p in old.points]
    assert {p: p.stat().st_mtime_ns for p in folder.glob("*/metrics.jsonl")} == before  # nothing trained
    # and through the family itself: the same members, new rules, every member skipped
    (tmp_path / "f.yaml").write_text((tmp_path / "f.yaml").read_text().replace("memorize reached and memorize <= 4", "memorize censored"))
    diagram, outcomes = refine_here(tmp_path, load(tmp_path / "f.yaml"))
    assert {s for o in outcomes for s in o.status.values()} == {"skipped"}
    assert sorted(diagram.phase_at.values()) == sorted(p.phase for p in new.points)


def test_a_grid_family_with_phases_gets_its_diagram(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "g.yaml").write_text(
        "clockspec: 1\nfamily: g\nbase: base.yaml\nvary:\n  grid:\n    clocks.memorize.value: [0.0, 0.99]\n"
        "    optimizer.lr: [1e-4, 1e-2]\nphases:\n  fast: memorize reached and memorize <= 4\n  slow: otherwise\n")
    from clockspec.commands.phase_run import write_phases

    spec = load(tmp_path / "g.yaml")
    exp = expand_family(spec)
    run_family(exp, out=tmp_path / "runs", backend_factory=lambda: ThreadBackend(2), jobs=2, quiet=True,
               stream=io.StringIO())
    written = write_phases(spec, exp, tmp_path / "runs" / "g", plots=False)
    rows = (tmp_path / "runs" / "g" / "phases.csv").read_text().splitlines()
    assert [p.name for p in written] == ["phases.csv"]
    assert rows[0].startswith("clocks.memorize.value,optimizer.lr,phase")
    assert rows[1].split(",")[:3] == ["0.0", "0.0001", "fast"]  # numbers as numbers


@pytest.mark.slow
def test_a_refinement_killed_mid_round_resumes_to_the_same_diagram(tmp_path):
    write(tmp_path)
    coarse = {m.name for m in expand_family(tmp_path / "f.yaml").members}
    cmd = [sys.executable, "-m", "clockspec.commands.main", "run", "f.yaml", "--jobs", "1", "--no-batch"]
    whole = tmp_path / "whole"
    whole.mkdir()
    for name in ("base.yaml", "f.yaml"):
        (whole / name).write_text((tmp_path / name).read_text())
    done = subprocess.run(cmd + ["--out", "runs"], cwd=whole, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    proc = subprocess.Popen(cmd + ["--out", "runs"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    folder = tmp_path / "runs" / "f"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # until a member of a later round has its name in the store (it trains)
        if any(p.parent.name.rsplit("-", 1)[0] not in coarse for p in folder.glob("*/view.json")):
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (folder / "phases.csv").exists()  # killed before the end
    again = subprocess.run(cmd + ["--out", "runs"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert (folder / "phases.csv").read_text() == (whole / "runs" / "f" / "phases.csv").read_text()


def test_a_refine_family_is_not_forced(tmp_path, capsys):
    from clockspec.commands.main import main

    write(tmp_path)
    assert main(["run", str(tmp_path / "f.yaml"), "--out", str(tmp_path / "runs"), "--force"]) == 2
    assert "--force: error: a refine family cannot be forced" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_hand_edited_setup_is_refused_by_name(tmp_path):
    from clockspec.core.errors import SpecError

    family = write(tmp_path, levels=0)
    refine_here(tmp_path, family)
    folder = tmp_path / "runs" / "f"
    setup = json.loads((folder / SETUP).read_text())
    (folder / SETUP).write_text(json.dumps({**setup, "stopped_by": "<script>"}))
    with pytest.raises(SpecError, match="phases.json is not what a run writes"):
        phase_report(read_family_folder(folder))
    (folder / SETUP).write_text(json.dumps({**setup, "rules": {"a": "memorize reached and"}}))
    with pytest.raises(SpecError, match="phase 'a': bad phase rule"):
        phase_report(read_family_folder(folder))
