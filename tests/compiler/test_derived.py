"""Derived facts: sizes, the parameter layout torch builds, cost, and the induced penalty."""
import numpy as np
import pytest
import torch
from torch import nn

import clockspec

torch.set_num_threads(1)


def plan_of(spec_tools, base, **edits):
    data = base
    for path, value in edits.items():
        data = spec_tools.edited(data, path.replace("__", "."), value)
    return clockspec.compile(spec_tools.load_data(data))


def shapes_of(module: nn.Module) -> list:
    return [[name, list(p.shape)] for name, p in module.named_parameters()]


class EmbedMLP(nn.Module):
    """The layout the derived facts describe (the runtime must build the same names and shapes)."""

    def __init__(self, vocab, d, widths, out, bias=True):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.hidden = nn.ModuleList(nn.Linear(a, b, bias=bias) for a, b in zip(widths, widths[1:]))
        self.head = nn.Linear(widths[-1], out, bias=bias)


def test_embed_mlp_layout_matches_torch(spec_tools, grokking):
    plan = plan_of(spec_tools, grokking, model__hidden=[256, 64])
    module = EmbedMLP(97, 128, [256, 256, 64], 97)
    assert plan.derived["param_shapes"] == shapes_of(module)
    assert plan.derived["n_params"] == sum(p.numel() for p in module.parameters())
    summed = plan_of(spec_tools, grokking, model__combine="sum", model__bias=False)
    assert summed.derived["param_shapes"] == shapes_of(EmbedMLP(97, 128, [128, 256], 97, bias=False))


def test_mlp_on_modular_reads_both_operands_one_hot(spec_tools, grokking):
    plan = plan_of(spec_tools, grokking, model={"kind": "mlp", "hidden": [64, 32]})
    module = nn.Module()
    module.hidden = nn.ModuleList([nn.Linear(194, 64), nn.Linear(64, 32)])
    module.head = nn.Linear(32, 97)
    assert plan.derived["param_shapes"] == shapes_of(module)
    assert plan.derived["input_dim"] == 2 * 97 and plan.nodes["model"].data["input_dim"] == 194


def test_deep_linear_layout(spec_tools, deep_linear):
    plan = plan_of(spec_tools, deep_linear, model__depth=4, model__width=8)
    module = nn.Module()
    module.layers = nn.ModuleList([nn.Linear(16, 8, bias=False), nn.Linear(8, 8, bias=False),
                                   nn.Linear(8, 8, bias=False), nn.Linear(8, 4, bias=False)])
    assert plan.derived["param_shapes"] == shapes_of(module)
    assert plan.derived["n_params"] == 16 * 8 + 2 * 64 + 8 * 4


def test_sizes_and_split_counts(spec_tools, grokking, deep_linear):
    d = plan_of(spec_tools, grokking, task__op="div", task__train_fraction=0.5).derived
    assert (d["n_train"] + d["n_test"], d["n_train"]) == (97 * 96, round(0.5 * 97 * 96))
    t = plan_of(spec_tools, deep_linear).derived
    assert (t["input_dim"], t["output_dim"], t["n_train"], t["n_test"]) == (16, 4, 256, 1024)


def test_flops_follow_the_batch(spec_tools, deep_linear):
    """A step is 3 forward passes, but the first layer's input is data: it has no gradient."""
    full = plan_of(spec_tools, deep_linear).derived
    first, rest = 16 * 32, 32 * 32 + 32 * 4
    step_macs = 2 * first + 3 * rest
    assert full["flops_per_step"] == 2 * step_macs * 256
    assert full["flops_per_probe"] == 2 * (first + rest) * (256 + 1024)
    assert plan_of(spec_tools, deep_linear, train__batch=32).derived["flops_per_step"] == 2 * step_macs * 32
    assert full["flops_total"] == 2000 * full["flops_per_step"] + 101 * full["flops_per_probe"]


def test_adam_state_costs_memory(spec_tools, deep_linear):
    sgd = plan_of(spec_tools, deep_linear).derived["memory_bytes"]
    adam = plan_of(spec_tools, deep_linear, optimizer={"kind": "adam"}).derived["memory_bytes"]
    assert adam - sgd == 2 * 4 * plan_of(spec_tools, deep_linear).derived["n_params"]


def balanced_factors(w: np.ndarray, depth: int) -> list[np.ndarray]:
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    root = np.diag(s ** (1.0 / depth))
    return [root @ vt] + [root] * (depth - 2) + [u @ root]


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_induced_penalty_is_weight_decay_at_balanced_factors(spec_tools, deep_linear, depth):
    pen = plan_of(spec_tools, deep_linear, model__depth=depth).derived["induced_penalty"]
    assert pen["formula"] == f"0.01 * {depth} * sum_k sigma_k(W)^(2/{depth})"
    assert (pen["L"], pen["lambda"], pen["q"]) == (depth, 0.01, 2 / depth)
    w = np.random.default_rng(depth).normal(size=(4, 16))
    factors = balanced_factors(w, depth)
    assert np.allclose(np.linalg.multi_dot(factors[::-1]), w)
    weight_decay = 0.01 * sum((f ** 2).sum() for f in factors)
    schatten = (np.linalg.svd(w, compute_uv=False) ** pen["q"]).sum()
    assert weight_decay == pytest.approx(pen["coefficient"] * schatten)


def test_induced_penalty_with_per_layer_strengths(spec_tools, deep_linear):
    lams = [0.1, 0.01, 0.001]
    pen = plan_of(spec_tools, deep_linear, regularizers__weight_decay={"per_layer": lams}).derived["induced_penalty"]
    w = np.random.default_rng(0).normal(size=(4, 16))
    factors = balanced_factors(w, 3)
    geo = np.prod(lams) ** (1 / 3)
    scaled = [f * np.sqrt(geo / lam) for f, lam in zip(factors, lams)]  # optimal rescaling, product unchanged
    assert np.allclose(np.linalg.multi_dot(scaled[::-1]), w)
    penalty = sum(lam * (f ** 2).sum() for f, lam in zip(scaled, lams))
    assert penalty == pytest.approx(pen["coefficient"] * (np.linalg.svd(w, compute_uv=False) ** (2 / 3)).sum())
    assert pen["per_layer"] is True


def test_no_induced_penalty_without_weight_decay_or_depth(spec_tools, deep_linear, grokking):
    assert plan_of(spec_tools, deep_linear, regularizers={}).derived["induced_penalty"] is None
    assert plan_of(spec_tools, grokking).derived["induced_penalty"] is None


def test_schatten_q_resolves_to_two_over_depth(spec_tools, deep_linear):
    plan = plan_of(spec_tools, deep_linear, model__depth=4)
    assert plan.derived["schatten_q"] == 0.5
    assert plan.nodes["probe:schatten"].data == {"metric": "schatten", "schatten_q": 0.5}
