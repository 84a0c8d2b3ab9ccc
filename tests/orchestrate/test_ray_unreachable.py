"""A Ray cluster that is not there: `--address` or RAY_ADDRESS naming a port nobody listens
on is one line on stderr and exit 3, at once, with nothing written (no family folder)."""
import os
import socket
import subprocess
import sys

import pytest

from clockspec.orchestrate.ray_cluster import _head

FAMILY = """\
clockspec: 1
family: gone
base:
  name: tiny
  task: {kind: modular, modulus: 7, train_fraction: 0.6}
  model: {kind: mlp, hidden: [8]}
  train: {steps: 20}
  probes: {every: 10}
  clocks: {fit: first train_acc >= 0.9}
vary:
  grid:
    seed: [0, 1]
"""


def closed_port() -> int:
    """A port on loopback that was free a moment ago and that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("how", ["--address", "RAY_ADDRESS"])
def test_an_unreachable_cluster_is_one_line_and_writes_nothing(tmp_path, how):
    (tmp_path / "fam.yaml").write_text(FAMILY)
    address = f"127.0.0.1:{closed_port()}"
    args = ["--address", address] if how == "--address" else []
    env = {**os.environ, "RAY_ADDRESS": address} if how == "RAY_ADDRESS" else {
        k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    done = subprocess.run([sys.executable, "-m", "clockspec.commands.main", "run", "fam.yaml", "--executor", "ray",
                           "--out", "runs", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"{how}: error: cannot reach the Ray cluster at '{address}' ("), done.stderr
    assert not (tmp_path / "runs").exists()


def test_the_head_named_by_each_address_form():
    assert _head("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert _head("ray://head.cluster:10001") == ("head.cluster", 10001)
    assert _head("[::1]:6379") == ("::1", 6379)
    assert _head("garbage::") is None and _head("host:99999") is None  # Ray's own error names these
