"""The weight-norm constraint: after every update the layer weights' total norm is the target."""
from __future__ import annotations

import json
import math

import pytest

import clockspec
from clockspec.runtime import run

SPEC = """name: wn
task: {kind: modular, modulus: 11}
model: {kind: embed_mlp, embed_dim: 16, hidden: [32], init_scale: 2.0}
optimizer: {kind: adamw, lr: 0.01}
interventions: {weight_norm: {norm: %s, factor: %s}}
train: {steps: 20}
probes: {every: 1}
"""


def rows(tmp_path, norm, factor):
    result = run(clockspec.loads(SPEC % (norm, factor)).compile(), out=tmp_path, progress=False)
    return [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]


def test_a_fixed_norm_holds_after_every_update(tmp_path):
    recorded = rows(tmp_path, 7.5, 1.0)
    assert recorded[0]["weight_norm"] != pytest.approx(7.5**2)  # step 0 is the initialisation
    for row in recorded[1:]:  # the weight_norm metric is the square of the constrained norm
        assert row["weight_norm"] == pytest.approx(7.5**2, rel=1e-5)


def test_init_holds_a_multiple_of_the_initial_norm(tmp_path):
    recorded = rows(tmp_path, "init", 0.5)
    initial = math.sqrt(recorded[0]["weight_norm"])
    assert all(math.sqrt(r["weight_norm"]) == pytest.approx(0.5 * initial, rel=1e-5) for r in recorded[1:])


def test_it_is_named_in_the_optimizer_node_and_the_batch_key():
    from clockspec import diff
    from clockspec.compiler.batching import batch_key

    with_it = clockspec.loads(SPEC % (7.5, 1.0))
    without = clockspec.loads(SPEC.replace("interventions: {weight_norm: {norm: %s, factor: %s}}\n", ""))
    plan = with_it.compile()
    assert plan.nodes["optimizer"].data["interventions"] == {"weight_norm": {"norm": 7.5, "factor": 1.0}}
    assert batch_key(with_it) != batch_key(without)
    assert "optimizer" not in without.compile().nodes["optimizer"].data.get("interventions", {})
    text = diff(with_it, without).format("text")
    assert "interventions" in text and "optimizer" in text
    assert plan.hash("optimizer") != without.compile().hash("optimizer")


def test_an_empty_interventions_map_is_the_same_spec_as_none_and_clk_says_it_too():
    assert clockspec.loads(SPEC.replace("{weight_norm: {norm: %s, factor: %s}}", "{}")).interventions is None
    spec = clockspec.loads(SPEC % (7.5, 2.0))
    clk = clockspec.dumps(spec, syntax="clk")
    assert "intervention weight_norm {" in clk
    assert clockspec.loads(clk, syntax="clk") == spec
