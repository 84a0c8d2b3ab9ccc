"""Grokfast-EMA equals its formula on a hand case, per member, and its averages live in the optimizer state."""
from __future__ import annotations

import pytest
import torch

import clockspec
from clockspec.ir.optimizers import SGD
from clockspec.runtime.grokfast import GrokfastFilter
from clockspec.runtime.optimizers import MemberOptimizer


def stepped(grads, alpha=0.5, lamb=2.0):
    """A (K, 1) stacked parameter stepped by SGD at lr 1 with the filter, member k's gradients grads[t][k]."""
    p = torch.zeros(len(grads[0]), 1, dtype=torch.float64, requires_grad=True)
    cfg = SGD(kind="sgd", lr=1.0, grokfast={"alpha": alpha, "lamb": lamb})
    opt = MemberOptimizer(cfg, 10, [1.0] * len(grads[0]), [{}] * len(grads[0]), [p])
    for t, g in enumerate(grads):
        p.grad = torch.tensor(g, dtype=torch.float64).view(-1, 1)
        opt.step(t)
    return p, opt


def test_the_filter_by_hand():
    # step 0: ema = g0 = 1, used g = 1 + 2*1 = 3; step 1: ema = 0.5*1 + 0.5*3 = 2, used g = 3 + 2*2 = 7
    p, opt = stepped([[1.0], [3.0]])
    assert p[0].item() == pytest.approx(-(3 + 7))
    assert opt.state[GrokfastFilter.key][0][0].item() == pytest.approx(2.0)


def test_each_member_filters_its_own_gradients():
    p, _ = stepped([[1.0, 2.0], [3.0, 6.0]])
    assert p.detach().view(-1).tolist() == pytest.approx([-(3 + 7), -2 * (3 + 7)])


def test_the_averages_survive_a_checkpoint_of_the_optimizer():
    p, opt = stepped([[1.0], [3.0]])
    q, again = stepped([[5.0]])
    again.load_state_dict(opt.member_state(torch.tensor([0])))  # what a checkpoint of row 0 holds
    assert again.state[GrokfastFilter.key][0][0].item() == pytest.approx(2.0)


def test_grokfast_is_hashed_with_the_optimizer():
    text = "name: g\ntask: {kind: modular, modulus: 5}\nmodel: {kind: embed_mlp}\noptimizer: {kind: adamw%s}\n"
    on, off = clockspec.loads(text % ", grokfast: {alpha: 0.9}"), clockspec.loads(text % "")
    assert on.compile().nodes["optimizer"].data["grokfast"] == {"alpha": 0.9, "lamb": 2.0}
    assert "grokfast" not in off.compile().nodes["optimizer"].data


def test_explain_names_the_filter():
    from clockspec.compiler.explain import explain

    spec = clockspec.loads("name: g\ntask: {kind: modular, modulus: 5}\nmodel: {kind: embed_mlp}\n"
                           "optimizer: {kind: sgd, grokfast: {alpha: 0.9}}\n")
    assert "sgd at lr 1e-3; Grokfast EMA filter (alpha 0.9, lambda 2)" in explain(spec.compile())
