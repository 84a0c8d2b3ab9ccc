"""Every metric against an independent computation on a hand-built case."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import clockspec
from clockspec.runtime.linalg import effective_rank, imbalance, schatten_energy
from clockspec.runtime.metrics import Prober, fourier_energy
from clockspec.runtime.models import build_model
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.tasks import build_task

torch.set_num_threads(1)


def setup(model="{kind: embed_mlp, embed_dim: 4, hidden: [6]}", probes="{}", p=7):
    s = clockspec.loads(f"name: t\ntask: {{kind: modular, modulus: {p}, train_fraction: 0.6}}\n"
                        f"model: {model}\nprobes: {probes}")
    data = build_task(s.task).to(torch.device("cpu"), torch.float64)
    return s, data, build_model(s.model, data, 0, torch.float64)


def probe(names, s, data, net, step=0):
    return Prober(names, net, data, LOSSES[s.train.loss], s.probes)


def test_losses_and_accuracies_match_a_numpy_computation():
    s, data, net = setup()
    row = probe(["train_loss", "test_loss", "train_acc", "test_acc"], s, data, net)(0)
    for split in ("train", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}").numpy()
        logits = net(x).detach().numpy()
        z = logits - logits.max(1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1)))
        assert row[f"{split}_loss"] == pytest.approx(nll.mean(), rel=1e-12)
        assert row[f"{split}_acc"] == pytest.approx((logits.argmax(1) == y).mean())


def test_margin_is_the_smallest_gap_between_the_true_logit_and_the_best_other():
    s, data, net = setup()
    with torch.no_grad():
        logits = net(data.x_train).numpy()
    y = data.y_train.numpy()
    gaps = [row[label] - max(v for c, v in enumerate(row) if c != label) for row, label in zip(logits, y)]
    assert probe(["margin"], s, data, net)(0)["margin"] == pytest.approx(min(gaps), rel=1e-12)


def test_weight_norm_sums_squared_frobenius_norms_of_the_layer_matrices_not_biases():
    s, data, net = setup()
    with torch.no_grad():
        net.embedding.fill_(1.0)  # 7 x 4 ones: 28
        net.weights[0].fill_(0.5)  # 6 x 8 quarter: 12
        net.weights[1].fill_(-2.0)  # 7 x 6 fours: 168
        for b in net.biases:
            b.fill_(100.0)
    assert probe(["weight_norm"], s, data, net)(0)["weight_norm"] == pytest.approx(28 + 12 + 168)


def rotation(n, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return torch.tensor(q)


def test_schatten_of_a_matrix_with_known_singular_values():
    m = rotation(3, 0) @ torch.diag(torch.tensor([8.0, 1.0, 0.0], dtype=torch.float64)) @ rotation(3, 1)
    assert schatten_energy(m, 2 / 3).item() == pytest.approx(8 ** (2 / 3) + 1)
    assert schatten_energy(m, 1.0).item() == pytest.approx(9.0)


def test_schatten_metric_uses_q_two_over_depth_on_the_end_to_end_map():
    s, data, net = setup("{kind: deep_linear, depth: 2, width: 3}", "{metrics: [schatten]}")
    sigma = np.linalg.svd((net.weights[1] @ net.weights[0]).detach().numpy(), compute_uv=False)
    assert probe(["schatten"], s, data, net)(0)["schatten"] == pytest.approx(sigma.sum())  # q = 2/2


def test_balance_is_zero_for_a_balanced_factorisation_and_measures_the_gap_otherwise():
    u, v = rotation(3, 2), rotation(3, 3)
    s_half = torch.diag(torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64))
    w1, w2 = s_half @ v, u @ s_half  # W2 W1 = U S V, and W2^T W2 = S = W1 W1^T
    assert imbalance([w1, w2]).item() == pytest.approx(0.0, abs=1e-12)
    w2_scaled = 2 * w2  # W2^T W2 = 4 S^2... gap = 3 S^2 in Frobenius norm
    expected = np.linalg.norm(3 * np.diag([4.0, 1.0, 0.25]))
    assert imbalance([w1, w2_scaled]).item() == pytest.approx(expected)


def test_effective_rank_counts_equal_singular_values_and_ignores_zeros():
    assert effective_rank(torch.eye(5, dtype=torch.float64)).item() == pytest.approx(5.0)
    rank_two = rotation(4, 4) @ torch.diag(torch.tensor([3.0, 3.0, 0.0, 0.0], dtype=torch.float64))
    assert effective_rank(rank_two).item() == pytest.approx(2.0)
    p = np.array([3.0, 1.0]) / 4
    uneven = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    assert effective_rank(uneven).item() == pytest.approx(math.exp(-(p * np.log(p)).sum()))


def test_effective_rank_metric_reads_the_first_layer_of_a_nonlinear_model():
    s, data, net = setup(probes="{metrics: [effective_rank]}")
    with torch.no_grad():
        net.embedding.zero_()
        net.embedding[:2, :2] = torch.eye(2)
    assert probe(["effective_rank"], s, data, net)(0)["effective_rank"] == pytest.approx(2.0)


@pytest.mark.parametrize("p", [11, 12])
def test_fourier_sparsity_of_a_pure_frequency_embedding_is_one(p):
    s, data, net = setup("{kind: embed_mlp, embed_dim: 5, hidden: [4]}", "{fourier_top_k: 1}", p=p)
    a = torch.arange(p, dtype=torch.float64)[:, None]
    mix = torch.randn(2, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        net.embedding.copy_(torch.cat([torch.cos(2 * math.pi * 3 * a / p), torch.sin(2 * math.pi * 3 * a / p)], 1) @ mix)
    assert probe(["fourier_sparsity"], s, data, net)(0)["fourier_sparsity"] == pytest.approx(1.0)


def test_fourier_sparsity_of_one_hot_tokens_is_spread_over_all_frequencies():
    p = 11  # a delta has a flat spectrum: the mean has 1/p of the energy, each pair 2/p
    energy = fourier_energy(torch.eye(p, dtype=torch.float64))
    assert energy.tolist() == pytest.approx([11.0] + [22.0] * 5)  # p columns, each a delta
    s, data, net = setup("{kind: embed_mlp, embed_dim: 11, hidden: [4]}", "{fourier_top_k: 3}", p=p)
    with torch.no_grad():
        net.embedding.copy_(torch.eye(p))
    assert probe(["fourier_sparsity"], s, data, net)(0)["fourier_sparsity"] == pytest.approx(6 / 11)


def test_pattern_flips_counts_changed_relu_bits_outside_the_band():
    s, data, net = setup("{kind: mlp, hidden: [4], activation: relu}", "{flip_band: 0.5}")
    n = len(data.y_train)
    measure = probe(["pattern_flips"], s, data, net)
    with torch.no_grad():
        net.weights[0].zero_()
        net.biases[0].copy_(torch.tensor([1.0, 1.0, 0.1, -3.0]))
    assert measure(0)["pattern_flips"] is None  # nothing to compare with yet
    with torch.no_grad():  # unit 0 flips for real, unit 2 dithers in the band, 1 and 3 stay
        net.biases[0].copy_(torch.tensor([-1.0, 1.0, -0.1, -2.0]))
    assert measure(10)["pattern_flips"] == pytest.approx(n / (n * 4))
    with torch.no_grad():  # unit 2 leaves the band: a flip
        net.biases[0].copy_(torch.tensor([-1.0, 1.0, 0.7, -2.0]))
    assert measure(20)["pattern_flips"] == pytest.approx(1 / 4)
    assert measure(30)["pattern_flips"] == 0.0


def test_grad_ratio_is_head_over_embedding_gradient_norm():
    s, data, net = setup()
    loss = F.cross_entropy(net(data.x_train), data.y_train)
    g_head, g_emb = torch.autograd.grad(loss, [net.head, net.embedding])
    net.zero_grad()
    F.cross_entropy(net(data.x_train), data.y_train).backward()
    got = probe(["grad_ratio"], s, data, net)(0)["grad_ratio"]
    assert got == pytest.approx((g_head.norm() / g_emb.norm()).item(), rel=1e-12)


def test_probes_record_only_the_metrics_asked_for_and_never_nan():
    s, data, net = setup()
    with torch.no_grad():
        net.head.fill_(float("nan"))
    row = probe(["train_loss", "weight_norm"], s, data, net)(5)
    assert row == {"step": 5, "train_loss": None, "weight_norm": None}


@pytest.mark.parametrize("metric, model, needs", [
    ("grad_ratio", "{kind: deep_linear, depth: 2, width: 3}", "a token embedding table"),
    ("balance", "{kind: mlp, hidden: [4]}", "a factorisation into linear maps"),
    ("schatten", "{kind: embed_mlp, embed_dim: 4, hidden: [6]}", "a factorisation into linear maps"),
    ("pattern_flips", "{kind: mlp, hidden: []}", "hidden pre-activations"),
])
def test_a_metric_the_model_cannot_answer_is_a_clear_error(metric, model, needs):
    """The compiler refuses these plans; a model that lacks a capability still says so at the
    runtime instead of failing with an AttributeError."""
    s, data, net = setup(model)
    with pytest.raises(clockspec.SpecError, match=f"metric {metric} needs {needs}, which this model does not have"):
        probe([metric], s, data, net)(0)
