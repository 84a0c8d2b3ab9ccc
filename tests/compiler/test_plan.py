"""The Plan contract that the runtime, diff and families build on."""
import json

import networkx as nx
import pytest

import clockspec
from clockspec import Plan, PlanNode

SPEC = """\
name: modadd-relu
seed: 0
task:        {kind: modular, op: add, modulus: 97, train_fraction: 0.3}
model:       {kind: embed_mlp, embed_dim: 128, hidden: [256], activation: relu}
regularizers:
  weight_decay: {strength: 1.0}
optimizer:   {kind: adamw, lr: 1.0e-3, betas: [0.9, 0.98]}
train:       {steps: 30000, batch: full}
probes:      {every: 50}
clocks:
  fit:        first train_loss <= 1e-2
  generalize: first test_acc >= 0.99
  simplify:   settle weight_norm within 1%
  freeze:     first pattern_flips <= 1e-3 for 500 steps
stop:        {after: [generalize, simplify]}
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return clockspec.compile(clockspec.loads(SPEC))


def test_node_ids_and_stages(plan):
    base = ["data", "split", "model", "init", "objective", "optimizer", "train"]
    probes = [f"probe:{m}" for m in plan.metrics]
    clocks = ["clock:fit", "clock:generalize", "clock:simplify", "clock:freeze"]
    assert list(plan.nodes) == base + probes + clocks + ["report"]
    assert all(isinstance(n, PlanNode) and n.hash == plan.hash(i) for i, n in plan.nodes.items())
    assert {n.stage for n in plan.nodes.values()} == {*base, "probe", "clock", "report"}
    assert plan.nodes["clock:fit"].inputs == ("probe:train_loss",)


def test_graph_is_the_dag_of_node_inputs(plan):
    g = plan.graph
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g)
    assert set(g.nodes) == set(plan.nodes)
    assert set(g.edges) == {(src, n.id) for n in plan.nodes.values() for src in n.inputs}
    assert list(nx.topological_sort(g))[-1] == "report"
    assert set(nx.ancestors(g, "train")) == {"data", "split", "model", "init", "objective", "optimizer"}


def test_metrics_are_base_set_plus_clock_metrics(plan):
    assert plan.metrics == ("train_loss", "test_loss", "train_acc", "test_acc", "margin", "weight_norm",
                            "pattern_flips")


def test_probe_steps_include_zero_and_final():
    short = SPEC.replace("steps: 30000", "steps: 120").replace("for 500 steps", "for 50 steps")
    spec = clockspec.loads(short)
    assert spec.compile().probe_steps() == [0, 50, 100, 120]
    log = clockspec.loads(short.replace("{every: 50}", "{schedule: log, points: 5}").replace("steps: 120", "steps: 1000"))
    assert log.compile().probe_steps() == [0, 1, 10, 100, 1000]


def test_train_hash_and_derived(plan):
    assert plan.train_hash == plan.hash("train") and len(plan.train_hash) == 64
    d = plan.derived
    assert (d["input_dim"], d["output_dim"], d["n_train"], d["n_test"]) == (194, 97, 2823, 97 * 97 - 2823)
    assert d["n_params"] == 97 * 128 + (256 * 256 + 256) + (97 * 256 + 97)
    # the first layer is the tables E W1a^T, E W1b^T (97 x 256 x 256 products whatever the
    # batch), then every example through the head; a step is 3 forward passes of each
    assert d["flops_per_step"] == 6 * (97 * 256 * 256 + 2823 * 97 * 256)
    assert d["flops_per_probe"] == 2 * 97 * 97 * (256 * 256 + 97 * 256)  # a probe's module multiplies its embeddings


def test_json_round_trip(plan):
    text = json.dumps(plan.to_json())
    back = Plan.from_json(text)
    assert back == plan and back.train_hash == plan.train_hash and back.spec == plan.spec
    assert Plan.from_json(json.loads(text)).nodes == plan.nodes


def test_from_json_keeps_recorded_hashes(plan):
    data = plan.to_json()
    data["nodes"][0]["hash"] = "0" * 64  # as written by an older code version
    assert Plan.from_json(data).hash("data") == "0" * 64


def test_experiment_compile_method_is_compile(plan):
    spec = clockspec.loads(SPEC)
    assert spec.compile() == clockspec.compile(spec) == plan


def test_compile_refuses_a_family():
    fam = clockspec.loads("family: f\nbase: x.yaml\n")
    with pytest.raises(clockspec.SpecError, match="expand"):
        clockspec.compile(fam)
