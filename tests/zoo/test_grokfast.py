"""Grokfast-EMA equals its formula on a hand case, and its averages live in the optimizer state."""
from __future__ import annotations

import pytest
import torch

import clockspec
from clockspec.compiler.batching import batch_key
from clockspec.ir.optimizers import SGD
from clockspec.runtime.grokfast import KEY
from clockspec.runtime.optimizers import Stepper


def stepped(grads, alpha=0.5, lamb=2.0, kind="sgd"):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    cfg = SGD(kind="sgd", lr=1.0, grokfast={"alpha": alpha, "lamb": lamb})
    stepper = Stepper(cfg, [p], [], 10)
    for t, g in enumerate(grads):
        p.grad = torch.tensor([g], dtype=torch.float64)
        stepper.step(t)
    return p, stepper


def test_the_filter_by_hand():
    # step 0: ema = g0 = 1, used g = 1 + 2*1 = 3; step 1: ema = 0.5*1 + 0.5*3 = 2, used g = 3 + 2*2 = 7
    p, stepper = stepped([1.0, 3.0])
    assert p.item() == pytest.approx(-(3 + 7))
    assert stepper.optimizer.state[p][KEY].item() == pytest.approx(2.0)


def test_the_averages_survive_a_checkpoint_of_the_optimizer():
    p, stepper = stepped([1.0, 3.0])
    q, again = stepped([5.0])
    again.optimizer.load_state_dict(stepper.optimizer.state_dict())
    assert again.optimizer.state[q][KEY].item() == pytest.approx(2.0)


def test_adam_still_initialises_its_moments():
    p = torch.nn.Parameter(torch.zeros(2))
    cfg = clockspec.loads("name: g\ntask: {kind: modular, modulus: 5}\nmodel: {kind: embed_mlp}\n"
                          "optimizer: {kind: adam, grokfast: {alpha: 0.9, lamb: 1.0}}\n").optimizer
    stepper = Stepper(cfg, [p], [], 10)
    for t in range(3):
        p.grad = torch.ones(2)
        stepper.step(t)
    assert {"exp_avg", "exp_avg_sq", KEY} <= set(stepper.optimizer.state[p])


def test_grokfast_is_hashed_with_the_optimizer_and_trains_alone():
    text = "name: g\ntask: {kind: modular, modulus: 5}\nmodel: {kind: embed_mlp}\noptimizer: {kind: adamw%s}\n"
    on, off = clockspec.loads(text % ", grokfast: {alpha: 0.9}"), clockspec.loads(text % "")
    assert on.compile().nodes["optimizer"].data["grokfast"] == {"alpha": 0.9, "lamb": 2.0}
    assert "grokfast" not in off.compile().nodes["optimizer"].data
    assert batch_key(on) is None and batch_key(off) is not None


def test_explain_names_the_filter():
    from clockspec.compiler.explain import explain

    spec = clockspec.loads("name: g\ntask: {kind: modular, modulus: 5}\nmodel: {kind: embed_mlp}\n"
                           "optimizer: {kind: sgd, grokfast: {alpha: 0.9}}\n")
    assert "sgd at lr 1e-3; Grokfast EMA filter (alpha 0.9, lambda 2)" in explain(spec.compile())
