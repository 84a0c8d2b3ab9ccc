"""The llc metric through devinterp: measured at its cadence, and measuring leaves the run unchanged."""
from __future__ import annotations

import importlib.util
import json

import pytest

import clockspec
from clockspec.core.errors import SpecError

SPEC = """name: llc-tiny
task: {kind: teacher, inputs: 6, classes: 3, train_size: 128, test_size: 64}
model: {kind: mlp, hidden: [16]}
train: {steps: 40}
probes: {every: 10, metrics: [%s], cadence: {%s}, llc: {draws: 20, chains: 1}}
"""


def rows(tmp_path, metrics, cadence):
    from clockspec.runtime import run

    result = run(clockspec.loads(SPEC % (metrics, cadence)).compile(), out=tmp_path, progress=False)
    return [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]


def test_without_devinterp_the_metric_is_refused_with_the_extra_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "devinterp" else real(name, *a))
    with pytest.raises(SpecError, match=r"needs the optional devinterp package \(pip install 'clockspec\[llc\]'\)"):
        clockspec.loads(SPEC % ("llc", "llc: 20")).compile()


def test_the_sampler_settings_are_hashed_with_the_metric():
    if importlib.util.find_spec("devinterp") is None:
        pytest.skip("devinterp (the llc extra) is not installed")
    a = clockspec.loads(SPEC % ("llc", "llc: 20")).compile()
    b = clockspec.loads((SPEC % ("llc", "llc: 20")).replace("draws: 20", "draws: 30")).compile()
    assert a.nodes["probe:llc"].data["llc"]["draws"] == 20 and a.hash("probe:llc") != b.hash("probe:llc")


@pytest.mark.slow
def test_llc_is_measured_at_its_cadence_and_leaves_the_run_as_it_was(tmp_path):
    pytest.importorskip("devinterp")
    with_llc = rows(tmp_path / "a", "llc", "llc: 20")
    without = rows(tmp_path / "b", "", "")
    assert [r["step"] for r in with_llc if "llc" in r] == [0, 20, 40]
    assert all(isinstance(r["llc"], float) for r in with_llc if "llc" in r)
    assert [r["train_loss"] for r in with_llc] == [r["train_loss"] for r in without]  # a copy is sampled
