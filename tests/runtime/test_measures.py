"""The measures for transformers and Fourier circuits, each on a hand-built case: Nanda's
restricted and excluded losses on logits with known frequencies, attention entropy of a
uniform pattern, Fourier sparsity of a one-hot MLP's first-layer columns, per-layer norms."""
import math

import numpy as np
import pytest
import torch
from torch import nn

import clockspec
from clockspec.runtime.metrics import Prober, key_frequencies
from clockspec.runtime.models import build_model
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.tasks import build_task

torch.set_num_threads(1)
P = 13


def load(model, probes="{}", task=f"{{kind: modular, modulus: {P}, train_fraction: 0.4}}"):
    return clockspec.loads(f"name: t\ntask: {task}\nmodel: {model}\nprobes: {probes}\n")


def measure(names, spec, net, data):
    return Prober(names, net, data, LOSSES[spec.train.loss], spec.probes)(0)


def wave(k, x):
    return np.cos(2 * np.pi * k * x / P)


class FourierLogits(nn.Module):
    """Logits 4 cos(w_3 (a+b-c)) + 4 cos(w_5 (a+b-c)) (the circuit) plus 3 cos(w_2 a) cos(w_1 c)
    (a term of a alone, which no cos/sin(w(a+b)) carries); its token table holds frequencies 3 and 5."""

    def __init__(self):
        super().__init__()
        a = torch.arange(P, dtype=torch.float64)[:, None]
        self.table = torch.cat([torch.cos(2 * math.pi * k * a / P) for k in (3, 5)] +
                               [0.5 * torch.sin(2 * math.pi * 3 * a / P)], 1)

    def token_table(self):
        return self.table

    def forward_with_preacts(self, x):
        return self(x), []

    def forward(self, x):
        return torch.tensor(circuit(x) + memory(x))


def circuit(x):
    a, b, c = x[:, :1].numpy(), x[:, 1:].numpy(), np.arange(P)[None]
    return 4 * wave(3, a + b - c) + 4 * wave(5, a + b - c)


def memory(x):
    return 3 * wave(2, x[:, :1].numpy()) * wave(1, np.arange(P)[None])


def cross_entropy(logits, labels):
    z = logits - logits.max(1, keepdims=True)
    return float(-(z[np.arange(len(labels)), labels] - np.log(np.exp(z).sum(1))).mean())


def test_restricted_and_excluded_loss_on_logits_with_known_frequencies():
    spec = load("{kind: embed_mlp}", "{fourier_top_k: 2}")
    data = build_task(spec.task).to(torch.device("cpu"), torch.float64)
    model = FourierLogits()
    assert sorted(key_frequencies(model.table, 2)) == [3, 5]
    row = measure(["restricted_loss", "excluded_loss"], spec, model, data)
    every = torch.cartesian_prod(torch.arange(P), torch.arange(P))
    labels = lambda x: ((x[:, 0] + x[:, 1]) % P).numpy()
    assert row["restricted_loss"] == pytest.approx(cross_entropy(circuit(every), labels(every)), rel=1e-9)
    train = data.x_train
    assert row["excluded_loss"] == pytest.approx(cross_entropy(memory(train), labels(train)), rel=1e-9)
    assert row["restricted_loss"] < 0.3 < math.log(P) < row["excluded_loss"]  # the circuit alone fits; the rest is noise


def test_attention_entropy_of_uniform_attention_is_log_of_the_positions_seen():
    for sequence, positions in (("a b =", 3), ("a op b =", 4)):
        spec = load(f"{{kind: transformer, layers: 2, d_model: 8, heads: 3, d_head: 4, d_mlp: 0, sequence: '{sequence}'}}")
        data = build_task(spec.task)
        net = build_model(spec.model, data, 0, torch.float64)
        with torch.no_grad():
            for block in net.blocks:
                block.attn.query.weight.zero_()  # every score 0: uniform over the positions seen
        row = measure(["attention_entropy"], spec, net, data.to(torch.device("cpu"), torch.float64))
        assert row["attention_entropy"] == pytest.approx(math.log(positions))
        assert {k for k in row if k.startswith("attention_entropy.")} == {f"attention_entropy.{b}.{h}"
                                                                         for b in range(2) for h in range(3)}


def test_attention_entropy_of_one_head_looking_at_one_position_is_zero():
    spec = load("{kind: transformer, layers: 1, d_model: 8, heads: 2, d_head: 4, d_mlp: 0}")
    data = build_task(spec.task)
    net = build_model(spec.model, data, 0, torch.float64)
    with torch.no_grad():  # head 0's scores: huge for position 2 (the '=' token's position), 0 elsewhere
        net.pos_embed.weight.zero_()
        net.embed.weight.zero_()
        net.embed.weight[P, 0] = 1.0  # only '=' has a component
        attn = net.blocks[0].attn
        attn.query.weight.zero_()
        attn.key.weight.zero_()
        attn.query.weight[0, 0] = attn.key.weight[0, 0] = 200.0
    row = measure(["attention_entropy"], spec, net, data.to(torch.device("cpu"), torch.float64))
    assert row["attention_entropy.0.0"] == pytest.approx(0.0, abs=1e-9)
    assert row["attention_entropy.0.1"] == pytest.approx(math.log(3))


def test_fourier_sparsity_of_a_one_hot_mlps_first_layer_columns():
    spec = load("{kind: mlp, hidden: [6]}", "{fourier_top_k: 1}")
    data = build_task(spec.task).to(torch.device("cpu"), torch.float64)
    net = build_model(spec.model, data, 0, torch.float64)
    a = torch.arange(P, dtype=torch.float64)
    mix = torch.randn(6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    pure = mix @ torch.stack([torch.cos(2 * math.pi * 4 * a / P), torch.sin(2 * math.pi * 4 * a / P)])
    with torch.no_grad():
        net.weights[0].copy_(torch.cat([pure, 2 * pure], 1))  # operand a's columns, then b's
    assert measure(["fourier_sparsity"], spec, net, data)["fourier_sparsity"] == pytest.approx(1.0)
    with torch.no_grad():
        net.weights[0][:, P:].copy_(torch.randn(6, P, dtype=torch.float64))
    assert measure(["fourier_sparsity"], spec, net, data)["fourier_sparsity"] < 0.9


def test_layer_norms_are_each_layer_matrixs_frobenius_norm():
    spec = load("{kind: embed_mlp, embed_dim: 3, hidden: [4]}")
    data = build_task(spec.task).to(torch.device("cpu"), torch.float64)
    net = build_model(spec.model, data, 0, torch.float64)
    with torch.no_grad():
        net.embedding.fill_(1.0)  # 13 x 3: sqrt(39)
        net.weights[0].fill_(0.5)  # 4 x 6: sqrt(6)
        net.weights[1].fill_(2.0)  # 13 x 4: sqrt(208)
    row = measure(["layer_norms"], spec, net, data)
    assert row["layer_norms.embed"] == pytest.approx(math.sqrt(39))
    assert row["layer_norms.hidden.0"] == pytest.approx(math.sqrt(6))
    assert row["layer_norms.head"] == pytest.approx(math.sqrt(208)) == row["layer_norms"]


@pytest.mark.parametrize("model, task, metric, reason", [
    ("{kind: mlp}", "{kind: modular, op: mul, modulus: 13}", "restricted_loss", "needs modular addition (op add)"),
    ("{kind: mlp}", "{kind: modular, modulus: 13}", "attention_entropy", "needs a model with attention (transformer), not mlp"),
    ("{kind: mlp}", "{kind: teacher}", "fourier_sparsity", "needs a modular, group or addition task, not teacher"),
])
def test_a_measure_the_experiment_cannot_make_is_refused_at_check(model, task, metric, reason):
    with pytest.raises(clockspec.SpecError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        load(model, f"{{metrics: [{metric}]}}", task).compile()
