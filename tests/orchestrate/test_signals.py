"""Stopping a family by a signal to its main process alone (`kill PID`, not the process group):
every worker stops at its next step and checkpoints, the family exits 130 with no process
left, and running it again ends byte-identical to a run never stopped. A job lost to a dead
worker runs again and is never charged to its member. Synchronised on the runs' own files."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from clockspec.families.expand import expand_family
from clockspec.orchestrate import execute, worker
from clockspec.orchestrate.execute import run_family
from clockspec.orchestrate.local_pool import LocalBackend
from clockspec.store import family as store
from clockspec.store.objects import data_dir
from interrupts import freeze_group, thaw_group
from thread_backend import ThreadBackend
from tiny import tiny_spec

FAMILY = "family: sig\nbase: base.yaml\nvary:\n  grid:\n    seed: [0, 1]\n"


def write_family(tmp_path, steps):
    (tmp_path / "base.yaml").write_text(tiny_spec("sig", steps=steps))  # no stop clocks: every step runs
    (tmp_path / "fam.yaml").write_text(FAMILY)
    return tmp_path / "fam.yaml"


def rows(view):
    path = data_dir(view) / "metrics.jsonl"
    return path.read_text().count("\n") if path.is_file() else 0


def metrics_by_member(folder):
    return {v.name.rsplit("-", 1)[0]: (data_dir(v) / "metrics.jsonl").read_bytes() for v in folder.glob("seed-*/")}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_main_process_stops_every_worker_and_resume_is_byte_identical(tmp_path, sig):
    path = write_family(tmp_path, steps=3000)
    cmd = [sys.executable, "-m", "clockspec.commands.main", "run", str(path), "--out", "runs", "--jobs", "2",
           "--no-batch"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    folder = tmp_path / "runs" / "sig"
    while proc.poll() is None:  # until both members have probed a few times: both train
        views = list(folder.glob("seed-*/"))
        if len(views) == 2 and all(rows(v) >= 3 for v in views):
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    freeze_group(proc.pid)  # no member can finish between this look and the signal
    assert all(json.loads((data_dir(v) / "status.json").read_text())["status"] == "running"
               for v in folder.glob("seed-*/"))
    os.kill(proc.pid, sig)  # the main process only, as `kill PID` or a scheduler does
    thaw_group(proc.pid)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    group = subprocess.run(["ps", "-o", "stat=,args=", "-g", str(proc.pid)], capture_output=True, text=True).stdout
    running = [line for line in group.splitlines() if not line.startswith("Z")]  # an exited one awaits its reaper
    assert not running, group  # no worker outlived the family's main process
    states = {v.name.rsplit("-", 1)[0]: json.loads((data_dir(v) / "status.json").read_text())
              for v in folder.glob("seed-*/")}
    assert {s["status"] for s in states.values()} == {"interrupted"}, states
    assert all(s["step"] < 3000 for s in states.values())
    assert all((data_dir(v) / "checkpoint.pt").is_file() for v in folder.glob("seed-*/"))
    assert not (folder / "attempts.json").exists() or json.loads((folder / "attempts.json").read_text()) == {}
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("(resumed)") == 2, again.stderr
    run_family(expand_family(path), out=tmp_path / "ref", jobs=2, batch=False, stream=open(os.devnull, "w"),
               backend_factory=lambda: ThreadBackend(2))
    assert metrics_by_member(folder) == metrics_by_member(tmp_path / "ref" / "sig")


class LosesFirstJob(ThreadBackend):
    """The first job's worker dies (as a killed process would), the rest run."""

    def result(self, handle):
        if len(self.submitted) == 1:
            handle.result()
            raise worker.InfrastructureFailure("its worker process died (killed, or out of memory)")
        return handle.result()


def test_a_job_lost_with_its_worker_runs_again_uncharged(tmp_path):
    path = write_family(tmp_path, steps=20)
    backend = LosesFirstJob(1)
    outcome = run_family(expand_family(path), out=tmp_path / "runs", jobs=1, batch=False,
                         stream=open(os.devnull, "w"), backend_factory=lambda: backend)
    assert outcome.status == {"seed-0": "complete", "seed-1": "complete"}
    assert backend.submitted == [["seed-0"], ["seed-1"], ["seed-0"]]
    assert store.Attempts(tmp_path / "runs" / "sig").count("seed-0") == 0


class AlwaysLost(ThreadBackend):
    def result(self, handle):
        raise worker.InfrastructureFailure("LocalRayletDiedError (the Ray cluster lost its task)")


def test_jobs_that_keep_being_lost_stop_the_family_uncharged(tmp_path):
    from clockspec.core.errors import RunError

    path = write_family(tmp_path, steps=20)
    backend = AlwaysLost(1)
    with pytest.raises(RunError, match="jobs in a row were lost") as info:
        run_family(expand_family(path), out=tmp_path / "runs", jobs=1, batch=False,
                   stream=open(os.devnull, "w"), backend_factory=lambda: backend)
    assert info.value.exit_status == 3
    assert len(backend.submitted) == execute.LOST_JOBS_LIMIT + 1
    attempts = store.Attempts(tmp_path / "runs" / "sig")
    assert attempts.count("seed-0") == attempts.count("seed-1") == 0


def test_a_family_the_executor_gives_up_on_still_gets_its_table(tmp_path, monkeypatch, capsys):
    """`clockspec run FAMILY` stopped by lost jobs (exit 3) writes family.csv first, so the
    table says where each member stands."""
    from clockspec.commands.main import main

    path = write_family(tmp_path, steps=20)
    monkeypatch.setattr(execute, "LocalBackend", lambda jobs, threads: AlwaysLost(1))
    assert main(["run", str(path), "--out", str(tmp_path / "runs"), "--jobs", "1", "--no-batch", "-q"]) == 3
    assert "jobs in a row were lost" in capsys.readouterr().err
    rows = (tmp_path / "runs" / "sig" / "family.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["seed-0", "seed-1"]


def test_a_dead_pool_worker_is_an_infrastructure_failure_and_the_pool_is_rebuilt(tmp_path):
    path = write_family(tmp_path, steps=20)
    backend = LocalBackend(1, 1)
    try:
        dying = backend.pool.submit(os._exit, 1)  # a worker that dies, as a killed one does
        with pytest.raises(worker.InfrastructureFailure, match="worker process died"):
            backend.result(dying)
        exp = expand_family(path)
        folder = tmp_path / "runs" / "sig"
        folder.mkdir(parents=True)
        results = backend.result(backend.submit([worker.payload(exp.members[0].spec)], str(folder), 1))
        assert [r["status"] for r in results] == ["complete"]
    finally:
        backend.close()


def test_a_stop_asked_for_before_a_job_arrives_keeps_it_from_starting(tmp_path, monkeypatch):
    from clockspec.runtime.loop import STOP_ASKED

    path = write_family(tmp_path, steps=20)
    monkeypatch.setattr(worker.signals, "_stop", STOP_ASKED)
    STOP_ASKED.set()
    try:
        with pytest.raises(worker.Stopped):
            worker.run_members([worker.payload(expand_family(path).members[0].spec)], str(tmp_path / "f"), 1)
    finally:
        STOP_ASKED.clear()
    assert not (tmp_path / "f").exists()


def test_a_task_the_ray_cluster_lost_is_an_infrastructure_failure():
    ray = pytest.importorskip("ray")

    class Ray:  # the module, but `get` raising what a dead cluster or a stopped worker raises
        exceptions = ray.exceptions

        def __init__(self, error):
            self.error = error

        def get(self, handle):
            raise self.error

    backend = object.__new__(execute.RayBackend)
    for lost in (ray.exceptions.LocalRayletDiedError(), ray.exceptions.NodeDiedError("node 10.0.0.7 died")):
        backend.ray = Ray(lost)
        with pytest.raises(worker.InfrastructureFailure, match="the Ray cluster lost its task"):
            backend.result(None)
    backend.ray = Ray(ray.exceptions.RayTaskError("run_members", "tb", worker.Stopped("not started")))
    with pytest.raises(worker.Stopped):
        backend.result(None)
    backend.ray = Ray(ray.exceptions.RayTaskError("run_members", "tb", ValueError("the member's own")))
    with pytest.raises(RuntimeError, match="the member's own"):
        backend.result(None)
