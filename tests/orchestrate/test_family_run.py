"""Running families: skipping finished members, refusing a changed family, failures that
stop nobody, interruption and resume, a real process pool and a real Ray cluster."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import clockspec
from clockspec.families.expand import expand_family
from clockspec.orchestrate.execute import MAX_ATTEMPTS, run_family
from clockspec.report.family_summary import family_report
from clockspec.store import family as store
from clockspec.store.objects import data_dir
from interrupts import freeze_group, thaw_group
from thread_backend import ThreadBackend

BASE = """\
name: tiny
task: {kind: modular, op: add, modulus: 7, train_fraction: 0.6}
model: {kind: embed_mlp, embed_dim: 4, hidden: [8]}
regularizers: {weight_decay: {strength: 0.1}}
optimizer: {kind: adamw, lr: 0.05}
train: {steps: STEPS}
probes: {every: 10}
clocks:
  fit: first train_acc >= 0.9
"""


def no_backend():
    raise AssertionError("nothing should run")


@pytest.fixture
def fam(tmp_path):
    def make(vary: str, steps: int = 30, extra: str = ""):
        (tmp_path / "base.yaml").write_text(BASE.replace("STEPS", str(steps)))
        path = tmp_path / "fam.yaml"
        path.write_text(f"family: fam\nbase: base.yaml\nvary:\n{vary}{extra}")
        return path

    return make


def go(path, tmp_path, **kw):
    backend = kw.pop("backend", None) or ThreadBackend()
    kw.setdefault("backend_factory", lambda: backend)
    outcome = run_family(expand_family(path), out=tmp_path / "runs", jobs=2, stream=open(os.devnull, "w"), **kw)
    return outcome, backend


def test_members_run_then_are_skipped_and_aggregated(fam, tmp_path):
    path = fam("  grid:\n    regularizers.weight_decay.strength: [0.1, 1.0]\n"
               "  one_at_a_time:\n    regularizers.weight_decay: [null]\n")
    outcome, backend = go(path, tmp_path)
    assert outcome.count("complete") == 3 and not outcome.interrupted
    # the two weight-decayed members batch; the one without weight decay runs alone
    assert sorted(len(job) for job in backend.submitted) == [1, 2]
    again, _ = go(path, tmp_path, backend_factory=no_backend)
    assert again.count("skipped") == 3
    folder = tmp_path / "runs" / "fam"
    report = family_report(folder)
    with open(folder / "family.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["member"] for r in rows] == [m.name for m in expand_family(path).members]
    assert list(rows[0]) == ["member", "label", "wd", "wd_strength", "status", "step", "fit", "fit_censored"]
    assert {r["status"] for r in rows} == {"complete"} and rows[-1]["wd"] == "off"
    assert json.loads((folder / "family.json").read_text())["members"][0]["values"] == {
        "wd": "on", "wd_strength": 0.1}
    assert (folder / "clocks.png").read_bytes()[:4] == b"\x89PNG"
    assert "member" in report.table
    (folder / "family.csv").unlink()
    from clockspec.commands.main import main

    assert main(["report", str(folder), "--quiet", "--no-plots"]) == 0  # regenerates the aggregates
    assert (folder / "family.csv").read_text().splitlines()[1].startswith("wd_strength-0p1,")


def test_no_batch_runs_members_alone(fam, tmp_path):
    path = fam("  grid:\n    seed: [0, 1]\n")
    _, backend = go(path, tmp_path, batch=False)
    assert backend.submitted == [["seed-0"], ["seed-1"]]


def test_a_changed_family_says_what_changed_and_waits_for_consent(fam, tmp_path):
    path = fam("  grid:\n    seed: [0, 1]\n")
    go(path, tmp_path)
    path = fam("  grid:\n    seed: [0, 1, 2]\n", extra="exclude: ['seed == 0']\n")
    path.write_text(path.read_text().replace("base.yaml", "base2.yaml"))
    (tmp_path / "base2.yaml").write_text(BASE.replace("STEPS", "30").replace("lr: 0.05", "lr: 0.02"))
    with pytest.raises(clockspec.SpecError) as info:
        go(path, tmp_path, backend_factory=no_backend)
    lines = info.value.diagnostics[0].format().splitlines()  # one change a line, not escaped onto one
    assert "  + seed-2: new member (seed=2)" in lines
    assert "  ~ seed-1: optimizer.lr 0.05 -> 0.02" in lines
    assert "  - seed-0: no longer a member" in lines
    outcome, backend = go(path, tmp_path, accept_changes=True)
    assert sorted(outcome.status) == ["seed-1", "seed-2"] and outcome.count("complete") == 2


def test_a_failing_member_is_reported_and_does_not_stop_the_others(fam, tmp_path):
    # cuda:63 exists on no machine: the runtime refuses it when the member starts.
    path = fam("  one_at_a_time:\n    device: ['cuda:63']\n    optimizer.lr: [1000.0]\n")
    (tmp_path / "base.yaml").write_text(BASE.replace("STEPS", "30").replace("adamw", "sgd"))
    outcome, backend = go(path, tmp_path)
    assert outcome.status == {"base": "complete", "device-cuda-63": "failed", "lr-1000": "diverged"}
    assert backend.submitted.count(["device-cuda-63"]) == 2  # tried, then retried once
    attempts = store.Attempts(tmp_path / "runs" / "fam")
    assert attempts.count("device-cuda-63") == 2 and "not available" in attempts.data["device-cuda-63"]["last_error"]
    second, backend = go(path, tmp_path)  # one more attempt reaches the limit
    assert backend.submitted == [["device-cuda-63"]] and second.count("skipped") == 2
    third, _ = go(path, tmp_path, backend_factory=no_backend)
    assert store.Attempts(tmp_path / "runs" / "fam").count("device-cuda-63") == MAX_ATTEMPTS
    assert third.status["device-cuda-63"] == "failed"
    fourth, backend = go(path, tmp_path, retry_failed=True)
    assert backend.submitted == [["device-cuda-63"], ["device-cuda-63"]]


def test_a_real_process_pool(fam, tmp_path):
    path = fam("  grid:\n    seed: [0, 1]\n")
    outcome = run_family(expand_family(path), out=tmp_path / "runs", jobs=1, stream=open(os.devnull, "w"))
    assert outcome.count("complete") == 2
    for m in expand_family(path).members:
        assert list((tmp_path / "runs" / "fam").glob(f"{m.name}-*/clocks.json"))


@pytest.mark.slow
def test_an_interrupted_family_resumes(fam, tmp_path):
    path = fam("  grid:\n    seed: [0, 1, 2]\n", steps=3000)
    cmd = [sys.executable, "-m", "clockspec.commands.main", "run", str(path), "--out", str(tmp_path / "runs"),
           "--jobs", "1", "--no-batch"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    folder = tmp_path / "runs" / "fam"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until seed-0 finished and seed-1 is early in its run
        states = {v.name.rsplit("-", 1)[0]: json.loads((data_dir(v) / "status.json").read_text() or "{}")
                  for v in folder.glob("*-*/") if (data_dir(v) / "status.json").is_file()}
        second = states.get("seed-1", {})
        if states.get("seed-0", {}).get("status") == "complete" and second.get("status") == "running" \
                and second.get("step", 0) < 1000:  # far from its end: the interrupt cannot lose the race
            break
        time.sleep(0.05)
    freeze_group(proc.pid)  # seed-1 cannot finish between that look and the Ctrl-C
    states = {v.name.rsplit("-", 1)[0]: json.loads((data_dir(v) / "status.json").read_text())["status"]
              for v in folder.glob("*-*/")}
    assert states["seed-1"] == "running", states
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, as in a terminal
    thaw_group(proc.pid)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "resume with: clockspec run" in err
    states = {v.name.rsplit("-", 1)[0]: json.loads((data_dir(v) / "status.json").read_text())["status"]
              for v in folder.glob("*-*/")}
    assert states["seed-0"] == "complete" and states["seed-1"] == "interrupted"
    assert [v for v in folder.glob("seed-1-*/") if (data_dir(v) / "checkpoint.pt").is_file()]
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "seed-1 (seed=1): complete at step 3,000 (resumed)" in again.stderr
    done_before = sum(state == "complete" for state in states.values())
    assert f"{done_before} already done" in again.stderr


@pytest.mark.slow
def test_a_real_ray_cluster(fam, tmp_path):
    ray = pytest.importorskip("ray")
    path = fam("  grid:\n    seed: [0, 1]\n")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        outcome = run_family(expand_family(path), out=tmp_path / "runs", jobs=2, executor="ray",
                             batch=False, stream=open(os.devnull, "w"))
    finally:
        ray.shutdown()
    assert outcome.count("complete") == 2
    assert len([v for v in (tmp_path / "runs" / "fam").glob("seed-*/") if (data_dir(v) / "metrics.jsonl").is_file()]) == 2


def test_ray_missing_says_how_to_install(fam, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    path = fam("  grid:\n    seed: [0]\n")
    with pytest.raises(clockspec.SpecError) as info:
        run_family(expand_family(path), out=tmp_path / "runs", executor="ray", stream=open(os.devnull, "w"))
    assert info.value.diagnostics[0].hint == 'pip install "clockspec[ray]"'


def test_a_device_override_changes_the_members_and_says_so(fam, tmp_path):
    path = fam("  grid:\n    seed: [0]\n")
    go(path, tmp_path)
    with pytest.raises(clockspec.SpecError) as info:
        go(path, tmp_path, device="cpu", backend_factory=no_backend)
    assert '~ seed-0: device "auto" -> "cpu"' in str(info.value)
    outcome, _ = go(path, tmp_path, device="cpu", accept_changes=True)
    assert outcome.status == {"seed-0": "complete"}
    locked = [p.read_text() for p in (tmp_path / "runs" / "fam").glob("seed-0-*/spec.lock.yaml")]
    assert sum("device: cpu" in text for text in locked) == 1 and len(locked) == 2


@pytest.mark.slow
def test_a_ray_family_waits_for_the_process_training_its_member_then_reuses_it(fam, tmp_path):
    ray = pytest.importorskip("ray")
    path = fam("  grid:\n    seed: [0, 1]\n", steps=1500)  # seed 0 is the base's own program
    solo = subprocess.Popen([sys.executable, "-m", "clockspec.commands.main", "run", "base.yaml", "--out", "runs", "-q"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    objects = tmp_path / "runs" / ".objects"
    while solo.poll() is None and not list(objects.glob("*/status.json")):  # until the solo run holds it
        time.sleep(0.05)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        outcome = run_family(expand_family(path), out=tmp_path / "runs", jobs=2, executor="ray",
                             batch=False, stream=open(os.devnull, "w"))
    finally:
        ray.shutdown()
    assert solo.wait() == 0, solo.stderr.read()
    assert outcome.count("complete") == 2 and "reused" in outcome.notes["seed-0"], outcome.notes
    assert len([p for p in objects.iterdir() if p.is_dir()]) == 2  # the base's program trained once, by the solo run
    (shared,) = [p for p in objects.iterdir() if p.is_dir() and json.loads((p / "status.json").read_text())["spec_file"]
                 == "base.yaml"]
    assert json.loads((shared / "status.json").read_text())["status"] == "complete"
