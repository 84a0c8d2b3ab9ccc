"""A family on a real single-node SLURM cluster (`tools/slurm-local`, started here when none
answers; needs root): every member completes through submitit, and a preempted member (SLURM's
warning signal, or `scontrol requeue`) checkpoints at its next step, is requeued and ends
byte-identical to a run never preempted, with nothing charged to attempts. Synchronised on the
runs' own files and on the queue's state, never on wall time."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clockspec.families.expand import expand_family
from clockspec.orchestrate.execute import run_family
from clockspec.store.objects import data_dir
from thread_backend import ThreadBackend
from tiny import tiny_spec

pytest.importorskip("submitit")
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "slurm-local"


def answers(env) -> bool:
    return shutil.which("sinfo") is not None and subprocess.run(
        ["sinfo", "-h"], env=env, capture_output=True, timeout=60).returncode == 0


@pytest.fixture(scope="module")
def slurm_env():
    """The environment of a shell that submits to the local cluster; stopped at the end if started here."""
    if os.geteuid() != 0:
        pytest.skip("starting a local SLURM cluster needs root (tools/slurm-local)")
    conf = subprocess.run([SCRIPT, "env"], capture_output=True, text=True, check=True).stdout.split("=", 1)[1].strip()
    env = {**os.environ, "SLURM_CONF": os.environ.get("SLURM_CONF", conf),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = not answers(env)
    if started:
        subprocess.run([SCRIPT, "start"], check=True, timeout=900)
    try:
        yield env
    finally:
        if started:
            subprocess.run([SCRIPT, "stop"], timeout=300)


def write_family(tmp_path, name, steps):
    (tmp_path / "base.yaml").write_text(tiny_spec("sl", steps=steps))
    (tmp_path / "fam.yaml").write_text(f"family: {name}\nbase: base.yaml\nvary:\n  grid:\n    seed: [0, 1]\n")


def clockspec_run(tmp_path, env, *extra):
    return subprocess.Popen([sys.executable, "-m", "clockspec.commands.main", "run", "fam.yaml", "--executor", "slurm",
                             "--out", "runs", "--no-batch", "--jobs", "2", *extra], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(view) -> int:
    path = data_dir(view) / "metrics.jsonl"
    return path.read_text().count("\n") if path.is_file() else 0


def queue(env, name):
    out = subprocess.run(["squeue", "-h", "-r", "-n", f"clockspec-{name}", "-o", "%i %T"], env=env,
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def job_processes(job: str) -> list[str]:
    """The pids of the python that submitit runs for array task `job` (`ARRAY_TASK`)."""
    array, task = job.split("_")
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if not command.split(b"\0")[0].endswith(b"srun") and b"submitit.core._submit" in command and f"SLURM_ARRAY_JOB_ID={array}".encode() in env \
                and f"SLURM_ARRAY_TASK_ID={task}".encode() in env:
            found.append(pid)
    return found


def freeze(env, jobs: list[str]) -> None:
    """SIGSTOP the jobs' processes and wait until each is stopped: none can finish meanwhile."""
    subprocess.run(["scancel", "--signal=STOP", *jobs], env=env, check=True)
    pids = [pid for job in jobs for pid in job_processes(job)]
    assert len(pids) == len(jobs), pids
    while not all(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T" for pid in pids):
        time.sleep(0.05)


def test_preempted_members_are_requeued_and_end_byte_identical(slurm_env, tmp_path):
    """seed-0 gets SLURM's warning signal (SIGUSR2: it requeues itself), seed-1 `scontrol requeue`
    (SIGTERM: SLURM requeues it)."""
    name = "preempted"
    write_family(tmp_path, name, steps=1500)
    proc = clockspec_run(tmp_path, slurm_env)
    folder = tmp_path / "runs" / name
    while proc.poll() is None:  # both members train: a few probes each, both jobs RUNNING
        views = list(folder.glob("seed-*/"))
        if len(views) == 2 and all(rows(v) >= 3 for v in views):
            break
        time.sleep(0.1)
    jobs = queue(slurm_env, name)
    assert proc.poll() is None and sorted(jobs.values()) == ["RUNNING", "RUNNING"], (jobs, proc.poll())
    freeze(slurm_env, list(jobs))
    views = list(folder.glob("seed-*/"))
    assert all(json.loads((data_dir(v) / "status.json").read_text())["status"] == "running" for v in views)
    warned, requeued = sorted(jobs)  # array tasks _0 and _1: seed-0 and seed-1
    subprocess.run(["scancel", "--signal=USR2", warned], env=slurm_env, check=True)
    subprocess.run(["scancel", "--signal=CONT", warned], env=slurm_env, check=True)
    subprocess.run(["scontrol", "requeue", requeued], env=slurm_env, check=True)  # sends SIGCONT and SIGTERM
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, out + err
    assert "2 members (2 complete)" in out and err.count("(resumed)") == 2, err
    assert not (folder / "attempts.json").exists()
    assert list((folder / "slurm").glob("*/*_log.out"))  # each job's log under the family folder
    run_family(expand_family(tmp_path / "fam.yaml"), out=tmp_path / "ref", jobs=2, batch=False,
               stream=open(os.devnull, "w"), backend_factory=lambda: ThreadBackend(2))
    metrics = {v.name: (data_dir(v) / "metrics.jsonl").read_bytes() for v in folder.glob("seed-*/")}
    assert metrics == {v.name: (data_dir(v) / "metrics.jsonl").read_bytes() for v in (tmp_path / "ref" / name).glob("seed-*/")}
    states = [json.loads((data_dir(v) / "status.json").read_text())["status"] for v in folder.glob("seed-*/")]
    assert states == ["complete", "complete"]
