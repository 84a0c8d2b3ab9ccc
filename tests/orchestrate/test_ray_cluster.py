"""A family on a real Ray cluster that another process started (`ray start --head` on
loopback, from another working directory), joined by --address, by RAY_ADDRESS and by
`--address auto`: results land in the driver's family folder, and a cluster whose workers
cannot read that folder is refused in one line. The cluster is this test's own process
group, stopped by its id (never `ray stop`, which would stop every Ray on the machine)."""
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

FAMILY = """\
clockspec: 1
family: rayfam
base:
  name: tiny
  task: {kind: modular, modulus: 7, train_fraction: 0.6}
  model: {kind: mlp, hidden: [8]}
  train: {steps: 40}
  probes: {every: 10}
  clocks: {fit: first train_acc >= 0.9}
vary:
  grid:
    seed: [0, 1]
"""
BIN = Path(sys.executable).parent
CLUSTER_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A head node on 127.0.0.1 started in its own folder; its address; stopped at the end."""
    home = Path(tempfile.mkdtemp(prefix="rc-", dir="/tmp"))  # short: Ray's socket paths have a length limit
    (home / "cwd").mkdir()
    address = f"127.0.0.1:{free_port()}"
    # A loopback test cluster without token auth (`ray start` turns it on and writes ~/.ray/auth_token),
    # and a HOME of its own, so that nothing lands in the real one.
    env = {**os.environ, **CLUSTER_ENV, "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    head = subprocess.Popen([BIN / "ray", "start", "--head", "--block", "--node-ip-address=127.0.0.1",
                             f"--port={address.split(':')[1]}", "--num-cpus=2", "--include-dashboard=false",
                             f"--temp-dir={home / 't'}"], cwd=home / "cwd", env=env, start_new_session=True,
                            stdout=open(home / "head.log", "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300  # a loaded 2-core machine takes minutes
        while subprocess.run([BIN / "ray", "status", f"--address={address}"], env=env,
                             capture_output=True).returncode != 0:
            assert head.poll() is None and time.monotonic() < deadline, \
                f"ray start --head did not come up:\n{(home / 'head.log').read_text()[-2000:]}"
            time.sleep(2)
        yield address, home / "cwd"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        try:
            os.killpg(head.pid, signal.SIGKILL)  # whatever of the group outlived the head
        except ProcessLookupError:
            pass
        shutil.rmtree(home, ignore_errors=True)


def clockspec(args, cwd, **env):
    full = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | CLUSTER_ENV | {"HOME": str(cwd)} | env
    return subprocess.run([BIN / "clockspec", *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=600)


def statuses(folder: Path) -> dict[str, str]:
    with open(folder / "family.csv", newline="") as f:
        return {row["member"]: row["status"] for row in csv.DictReader(f)}


@pytest.mark.slow
def test_a_family_joins_a_cluster_started_elsewhere_and_its_results_land_here(cluster, tmp_path):
    address, cluster_cwd = cluster
    (tmp_path / "fam.yaml").write_text(FAMILY)
    done = clockspec(["run", "fam.yaml", "--executor", "ray", "--address", address, "--no-batch"], tmp_path)
    print(done.stdout)  # the summary, for the record (pytest -s)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "2 members (2 complete)" in done.stdout
    assert set(statuses(tmp_path / "runs" / "rayfam").values()) == {"complete"}
    assert not (cluster_cwd / "runs").exists()
    # RAY_ADDRESS instead of --address: joined without passing resources (Ray refuses num_cpus then)
    again = clockspec(["run", "fam.yaml", "--executor", "ray", "--out", "other", "--no-batch"], tmp_path,
                      RAY_ADDRESS=address)
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(statuses(tmp_path / "other" / "rayfam").values()) == {"complete"}


@pytest.mark.slow
def test_a_cluster_whose_workers_cannot_see_the_folder_is_refused(cluster, tmp_path, monkeypatch):
    import ray

    from clockspec.core.errors import RunError
    from clockspec.orchestrate import ray_cluster

    address, _ = cluster
    for name, value in CLUSTER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ray_cluster, "write_atomic", lambda path, data: None)  # the token never reaches disk
    ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        with pytest.raises(RunError) as info:
            ray_cluster.refuse_unshared_folder(ray, tmp_path)
    finally:
        ray.shutdown()
    assert info.value.exit_status == 2
    assert re.match(rf"--out: error: the Ray workers on [0-9.]+ cannot see the family folder {re.escape(str(tmp_path))}, "
                    "where they would write their results; on more than one machine, --out must be on storage",
                    info.value.format())
    assert "\n" not in info.value.format()
