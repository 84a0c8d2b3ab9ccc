"""Each metric at its own cadence: which metrics appear in which rows, in both front ends; a
clock resolves at its metric's probes; the compiler warns where a clock's window is finer."""
from __future__ import annotations

import json

import pytest

import clockspec
from clockspec.clocks import evaluate_clocks
from clockspec.core.errors import SpecError
from clockspec.runtime import run

YAML = """name: cad
task: {kind: modular, modulus: 7}
model: {kind: embed_mlp, embed_dim: 8, hidden: [16]}
train: {steps: 50}
probes: {every: 5, metrics: [fourier_sparsity, effective_rank], cadence: {fourier_sparsity: 20, train_loss: 10}}
clocks: {sparse: first fourier_sparsity >= 0.0}
"""
CLK = """experiment cad {
  task modular { modulus = 7 }
  model embed_mlp { embed_dim = 8  hidden = [16] }
  train { steps = 50 }
  probes {
    every = 5
    metrics = [fourier_sparsity, effective_rank]
    cadence { fourier_sparsity = 20  train_loss = 10 }
  }
  clock sparse = first fourier_sparsity >= 0.0
}
"""


def test_yaml_and_clk_say_the_same_cadence():
    spec = clockspec.loads(YAML)
    assert spec == clockspec.loads(CLK, syntax="clk")
    assert spec.probes.cadence == {"fourier_sparsity": 20, "train_loss": 10}
    assert clockspec.loads(clockspec.dumps(spec, syntax="clk"), syntax="clk") == spec


def test_which_metrics_appear_in_which_rows(tmp_path):
    result = run(clockspec.loads(YAML).compile(), out=tmp_path, progress=False)
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(0, 51, 5))
    assert [r["step"] for r in rows if "fourier_sparsity" in r] == [0, 20, 40]
    assert [r["step"] for r in rows if "train_loss" in r] == [0, 10, 20, 30, 40, 50]
    assert all("effective_rank" in r and "test_acc" in r for r in rows)
    assert result.clocks["sparse"].step == 0


def test_a_clock_resolves_at_its_metrics_probes_only():
    clocks = clockspec.loads(YAML.replace("first fourier_sparsity >= 0.0", "first fourier_sparsity >= 0.5 for 40 steps")
                             ).clocks
    rows = [{"step": t, **({"fourier_sparsity": 0.9} if t % 20 == 0 else {})} for t in range(0, 101, 5)]
    # rows without the metric are no evidence: the streak 0, 20, 40 holds 40 steps
    assert evaluate_clocks(clocks, rows)["sparse"].step == 0
    rows[4]["fourier_sparsity"] = 0.1  # a measured failure at step 20 does break it
    assert evaluate_clocks(clocks, rows)["sparse"].step == 40


def test_the_cadence_is_hashed_only_where_it_matters():
    with_it, without = clockspec.loads(YAML).compile(), clockspec.loads(YAML.replace(
        ", cadence: {fourier_sparsity: 20, train_loss: 10}", "")).compile()
    assert with_it.nodes["probe:fourier_sparsity"].data["every"] == 20
    assert "every" not in without.nodes["probe:fourier_sparsity"].data and "cadence" not in without.nodes["train"].data
    assert with_it.hash("probe:effective_rank") != without.hash("probe:effective_rank")  # via train
    assert with_it.train_hash != without.train_hash


def test_a_window_finer_than_the_cadence_is_warned_at_the_clock():
    plan = clockspec.loads(YAML.replace("first fourier_sparsity >= 0.0", "first fourier_sparsity >= 0.0 for 10 steps")
                           ).compile()
    [warning] = [d for d in plan.diagnostics if d.severity == "warning"]
    assert "measured only every 20 steps" in warning.message and warning.line == 6


@pytest.mark.parametrize(("change", "expected"), [
    (("fourier_sparsity: 20", "fourier_sparsity: 12"), "not a multiple of probes.every = 5"),
    (("every: 5,", "schedule: log, every: 5,"), "needs schedule: every"),
    (("train_loss: 10", "schatten: 10"), "cadence names 'schatten', which this run does not record"),
])
def test_a_bad_cadence_is_a_positioned_error(change, expected):
    with pytest.raises(SpecError) as info:
        clockspec.loads(YAML.replace(*change)).compile()
    assert expected in str(info.value) and "<string>:5:" in str(info.value)
