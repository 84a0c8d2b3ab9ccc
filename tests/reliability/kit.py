"""Shared by the reliability tests: a small run that takes a few seconds, started as a real
`clockspec` process, and the checks that a run directory is whole."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
SPEC = """\
name: killme
seed: 5
task: {kind: modular, op: add, modulus: 13, train_fraction: 0.6}
model: {kind: mlp, hidden: [32]}
regularizers: {weight_decay: {strength: 0.5}}
optimizer: {kind: adamw, lr: 0.01}
train: {steps: STEPS, batch: 32}
probes: {every: 10, metrics: [weight_norm, pattern_flips]}
clocks:
  memorize: first train_acc >= 0.95
  simplify: settle weight_norm within 5%
"""
OUTPUTS = ("spec.lock.yaml", "plan.json", "metrics.jsonl", "times.jsonl", "clocks.json", "status.json", "curves.png",
           "final.pt")  # the state at the last step: a longer run extends from it


def clockspec(*args: str, cwd: Path, fault: str | None = None, **kw) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process (under inject.py when a fault is given)."""
    head = [sys.executable, str(HERE / "inject.py"), fault, "--"] if fault else [sys.executable, "-m", "clockspec.commands.main"]
    return subprocess.run([*head, *args], cwd=cwd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture
def spec_file(tmp_path):
    def make(steps: int = 600, name: str = "k.yaml", text: str = SPEC) -> Path:
        path = tmp_path / name
        path.write_text(text.replace("STEPS", str(steps)))
        return path
    return make


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """The uninterrupted run each killed one must end up equal to: {steps: run dir}."""
    made: dict[int, Path] = {}

    def get(steps: int = 600) -> Path:
        if steps not in made:
            where = tmp_path_factory.mktemp(f"reference{steps}")
            (where / "k.yaml").write_text(SPEC.replace("STEPS", str(steps)))
            done = clockspec("run", "k.yaml", "--out", "runs", "-q", cwd=where)
            assert done.returncode == 0, done.stderr
            made[steps] = run_dir(where / "runs")
        return made[steps]
    return get


def run_dir(out: Path) -> Path:
    """The one program in the store `out`: its object, where its training files are."""
    (found,) = [p for p in (out / ".objects").iterdir() if p.is_dir()]
    return found


def assert_whole(rd: Path) -> None:
    """What a killed process may leave: every named file complete and readable, metrics.jsonl
    whole rows but for a torn last one; a half-written file only under a temporary name."""
    import torch

    for name in ("plan.json", "clocks.json", "status.json"):
        if (rd / name).exists():
            json.loads((rd / name).read_text())
    if (rd / "spec.lock.yaml").exists():
        assert yaml.safe_load((rd / "spec.lock.yaml").read_text())["name"]
    if (rd / "curves.png").exists():
        import matplotlib.image

        assert matplotlib.image.imread(rd / "curves.png").ndim == 3
    if (rd / "checkpoint.pt").exists():
        assert torch.load(rd / "checkpoint.pt", weights_only=True)["step"] > 0
    if (rd / "metrics.jsonl").exists():
        lines = (rd / "metrics.jsonl").read_text().split("\n")
        for line in lines[:-1]:
            assert json.loads(line)["step"] >= 0
    names = {p.name for p in rd.iterdir()}
    assert names <= {*OUTPUTS, "checkpoint.pt"} | {n for n in names if n.startswith(".")}, names


def assert_same_result(rd: Path, ref: Path) -> None:
    assert (rd / "metrics.jsonl").read_bytes() == (ref / "metrics.jsonl").read_bytes()
    assert json.loads((rd / "clocks.json").read_text()) == json.loads((ref / "clocks.json").read_text())
    assert json.loads((rd / "status.json").read_text())["status"] == "complete"
    assert sorted(p.name for p in rd.iterdir()) == sorted(OUTPUTS)  # no checkpoint, no temporary file
