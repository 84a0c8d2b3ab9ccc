"""Issue 31's measures, each on a case whose answer is known: softmax collapse, the
gradient-weight cosine, distance from initialisation, kernel alignment and Nanda's neuron
frequencies; the compiler's refusals; and a tiny real run whose clocks watch them."""
import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import clockspec
from clockspec.runtime import run
from clockspec.runtime.metrics import INITIAL, Prober
from clockspec.runtime.models import build_model
from clockspec.runtime.objective import LOSSES, build_loss
from clockspec.runtime.tasks import Dataset, build_task
from interrupts import cut_and_resume

torch.set_num_threads(1)
P = 13


class Fixed(nn.Module):
    """A model whose logits (or features, or hidden pre-activations) are given, with one weight."""

    def __init__(self, logits=None, features=None, preacts=None):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.logits, self.given_features, self.preacts = logits, features, preacts

    def forward(self, x):
        return self.logits * self.w

    def forward_with_preacts(self, x):
        return self.logits, [self.preacts(x)] if self.preacts else []

    def features(self, x):
        return self.given_features


def load(text=""):
    """A spec: (a + b) mod 13 on an embedding MLP unless `text` says otherwise."""
    task = "" if "task:" in text else f"task: {{kind: modular, modulus: {P}}}\n"
    model = "" if "model:" in text else "model: {kind: embed_mlp, embed_dim: 4, hidden: [6]}\n"
    return clockspec.loads(f"name: t\n{task}{model}{text}\n")


def dataset(x, y, classes):
    return Dataset(x, y, x, y, n_inputs=x.shape[1], n_classes=classes)


def measure(name, model, data, loss=F.cross_entropy, probes=None):
    return Prober([name], model, data, loss, probes or load().probes)(0)[name]


def test_collapse_share_counts_exactly_zero_losses_in_float32_and_none_in_float64_or_stablemax():
    logits = torch.tensor([[30.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 25.0], [1.0, 0.0, 0.0]])
    labels = torch.tensor([0, 1, 2, 0])
    data = dataset(torch.zeros(4, 1), labels, 3)
    model = Fixed(logits)
    assert F.cross_entropy(logits, labels, reduction="none").eq(0).tolist() == [True, False, True, False]
    assert measure("collapse_share", model, data) == 0.5
    float64 = build_loss(load("train: {loss_dtype: float64}").train)
    assert measure("collapse_share", model, data, float64) == 0.0  # 2 exp(-30) is within float64's resolution at 30
    assert measure("collapse_share", model, data, LOSSES["stablemax"]) == 0.0


@pytest.mark.parametrize("loss, share", [("hinge", 1.0), ("mse", 0.25), ("mse_half_sum", 0.25), ("stablemax", 0.0)])
def test_collapse_share_takes_every_class_loss_as_the_run_computes_it(loss, share):
    logits = torch.tensor([[30.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 25.0], [1.0, 0.0, 0.0]])
    data = dataset(torch.zeros(4, 1), torch.tensor([0, 1, 2, 0]), 3)
    assert measure("collapse_share", Fixed(logits), data, LOSSES[loss]) == share  # hinge: every margin >= 1; mse: [1, 0, 0] is its one-hot target


def test_grad_weight_cosine_is_minus_one_when_descent_shrinks_and_one_when_it_scales_the_weights():
    x = torch.eye(3, dtype=torch.float64).repeat(4, 1)  # X^T X = 4 I: the loss gradient is 8 (w - target map) / 12
    line = nn.Linear(3, 1, bias=False, dtype=torch.float64)
    mse = LOSSES["mse"]
    towards_zero = dataset(x, torch.zeros(12, 1, dtype=torch.float64), 1)  # L = mean (w x)^2: -grad is -w
    assert measure("grad_weight_cosine", line, towards_zero, mse) == pytest.approx(-1.0, abs=1e-12)
    with torch.no_grad():
        twice = dataset(x, 2 * line(x), 1)  # at w the target is 2 w x: -grad is along +w
    assert measure("grad_weight_cosine", line, twice, mse) == pytest.approx(1.0, abs=1e-12)
    assert line.weight.grad is None  # the probe leaves the step's gradient alone


def test_init_distance_is_the_parameters_distance_from_the_ones_built_and_survives_a_checkpoint():
    spec = load()
    data = build_task(spec.task).to(torch.device("cpu"), torch.float64)
    net = build_model(spec.model, data, 0, torch.float64)
    prober = Prober(["init_distance"], net, data, LOSSES["cross_entropy"], spec.probes)
    assert prober(0)["init_distance"] == 0.0
    params = list(net.parameters())
    with torch.no_grad():
        params[0].view(-1)[0] += 3.0
        params[-1].view(-1)[-1] -= 4.0
    assert prober(10)["init_distance"] == pytest.approx(5.0, rel=1e-12)
    rebuilt = build_model(spec.model, data, 1, torch.float64)  # other weights: the memory decides
    rebuilt.load_state_dict(net.state_dict())
    resumed = Prober(["init_distance"], rebuilt, data, LOSSES["cross_entropy"], spec.probes)
    resumed.memory.update(prober.memory)  # what a checkpoint restores
    assert resumed(10)["init_distance"] == pytest.approx(5.0, rel=1e-12)
    assert Prober(["train_loss"], net, data, LOSSES["cross_entropy"], spec.probes).memory == {}
    assert INITIAL in prober.memory


def test_kernel_alignment_is_one_for_features_that_are_the_labels_and_zero_for_orthogonal_ones():
    labels = torch.tensor([0, 0, 1, 1])
    data = dataset(torch.zeros(4, 1), labels, 2)
    one_hot = F.one_hot(labels, 2).double() * 3.0
    assert measure("kernel_alignment", Fixed(features=one_hot), data) == pytest.approx(1.0, abs=1e-12)
    orthogonal = torch.tensor([[1.0], [-1.0], [1.0], [-1.0]])
    assert measure("kernel_alignment", Fixed(features=orthogonal), data) == pytest.approx(0.0, abs=1e-12)
    assert measure("kernel_alignment", Fixed(features=torch.ones(4, 2)), data) is None  # no variance


def test_a_networks_features_are_what_its_head_reads():
    spec = load("task: {kind: teacher, inputs: 5, classes: 3}\nmodel: {kind: mlp, hidden: [7, 6]}")
    data = build_task(spec.task).to(torch.device("cpu"), torch.float64)
    net = build_model(spec.model, data, 0, torch.float64)
    features = net.features(data.x_train)
    logits, preacts = net.forward_with_preacts(data.x_train)
    assert torch.equal(features, torch.relu(preacts[-1]))
    bias = net.bias(len(net.weights) - 1)
    assert torch.allclose(features @ net.head.T + (0 if bias is None else bias), logits, atol=1e-12)


def wave(k):
    grid = torch.cartesian_prod(torch.arange(P), torch.arange(P)).double()
    return torch.cos(2 * math.pi * k * (grid[:, 0] + grid[:, 1]) / P)


def test_neuron_frequencies_are_the_distinct_best_frequencies_of_the_live_neurons():
    def preacts(x):
        assert len(x) == P * P  # measured over every pair, not the training set alone
        return torch.stack([wave(2), 2 * wave(2) + 0.5, wave(5), -torch.ones(P * P)], 1)  # the last is dead

    spec = load()
    data = build_task(spec.task)
    row = Prober(["neuron_frequencies"], Fixed(torch.zeros(1), preacts=preacts), data, F.cross_entropy,
                 spec.probes)(0)
    assert row["neuron_frequencies"] == 2.0  # 2 and 5
    assert 0.8 < row["neuron_frequencies.explained"] < 1.0  # ReLU adds harmonics


@pytest.mark.parametrize("metric, spec, says", [
    ("kernel_alignment", "model: {kind: transformer, d_model: 8, heads: 2}", "needs a model whose head reads a hidden layer"),
    ("kernel_alignment", "model: {kind: mlp, hidden: []}", "needs a model whose head reads a hidden layer"),
    ("neuron_frequencies", "task: {kind: group, n: 3}", "needs modular addition"),
    ("neuron_frequencies", "model: {kind: embed_mlp, activation: gelu}", "needs a ReLU model"),
    ("neuron_frequencies", "model: {kind: mlp, hidden: []}", "needs hidden ReLU neurons"),
    ("collapse_share", "task: {kind: regression}\ntrain: {loss: mse}", "needs class labels"),
])
def test_the_compiler_refuses_a_measure_the_experiment_cannot_produce(metric, spec, says):
    with pytest.raises(clockspec.SpecError, match=says):
        load(f"{spec}\nprobes: {{metrics: [{metric}]}}").compile()


TINY = """
name: science-tiny
task: {kind: modular, modulus: 11, train_fraction: 0.5}
model: {kind: embed_mlp, embed_dim: 8, hidden: [16]}
optimizer: {kind: adam, lr: 0.01}
train: {steps: 60}
probes: {every: 20, metrics: [collapse_share, grad_weight_cosine, init_distance, kernel_alignment, neuron_frequencies]}
clocks:
  moved: first init_distance >= 0.5
  aligned: first kernel_alignment >= 0.05
"""


def test_clocks_watch_the_new_measures_in_a_real_run(tmp_path):
    result = run(clockspec.loads(TINY).compile(), out=tmp_path, progress=False)
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    clocks = json.loads((result.run_dir / "clocks.json").read_text())["clocks"]
    assert result.status == "complete" and [r["step"] for r in rows] == [0, 20, 40, 60]
    assert rows[0]["init_distance"] == 0.0 < rows[-1]["init_distance"]
    assert all(-1 <= r["grad_weight_cosine"] <= 1 and 0 <= r["kernel_alignment"] <= 1 for r in rows)
    assert all(r["collapse_share"] == 0.0 and 1 <= r["neuron_frequencies"] <= 5 for r in rows)
    assert clocks["moved"]["reached"] and clocks["moved"]["step"] == 20


def test_a_resumed_run_measures_the_distance_from_the_same_initialisation(tmp_path, monkeypatch):
    plan = clockspec.loads(TINY).compile()
    whole = run(plan, out=tmp_path / "whole", progress=False)
    cut, resumed = cut_and_resume(plan, tmp_path / "cut", monkeypatch)
    assert (cut.status, resumed.status) == ("interrupted", "complete")
    assert (resumed.run_dir / "metrics.jsonl").read_bytes() == (whole.run_dir / "metrics.jsonl").read_bytes()
