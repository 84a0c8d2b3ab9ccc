"""StableMax cross-entropy and the multiclass hinge equal their formulas on hand cases; the
loss dtype is separate from the model's."""
from __future__ import annotations

import math

import pytest
import torch

import clockspec
from clockspec.compiler.batching import batch_key
from clockspec.runtime import objective
from clockspec.runtime.losses import multiclass_hinge, stablemax_cross_entropy, stablemax_s
from clockspec.runtime.objective import build_loss


def test_s_is_linear_above_zero_and_reciprocal_below():
    x = torch.tensor([-3.0, -1.0, 0.0, 0.5, 2.0], dtype=torch.float64)
    assert stablemax_s(x).tolist() == [0.25, 0.5, 1.0, 1.5, 3.0]


def test_stablemax_cross_entropy_by_hand():
    logits = torch.tensor([[2.0, 0.0, -1.0], [-3.0, 1.0, 0.0]], dtype=torch.float64)
    labels = torch.tensor([0, 2])
    # row 1: s = (3, 1, 1/2), p_y = 3 / 4.5; row 2: s = (1/4, 2, 1), p_y = 1 / 3.25
    expected = (-math.log(3 / 4.5) - math.log(1 / 3.25)) / 2
    assert stablemax_cross_entropy(logits, labels).item() == pytest.approx(expected, rel=1e-12)


def test_stablemax_does_not_collapse_where_softmax_does():
    logits = torch.tensor([[40.0, 0.0]], dtype=torch.float32)
    labels = torch.tensor([0])
    assert torch.nn.functional.cross_entropy(logits, labels).item() == 0.0  # softmax collapse in float32
    assert stablemax_cross_entropy(logits, labels).item() == pytest.approx(math.log(42 / 41), rel=1e-5)


def test_hinge_by_hand():
    logits = torch.tensor([[2.0, 0.5, 1.5], [0.0, 1.0, 3.0]])
    labels = torch.tensor([0, 1])
    # margins: 2 - 1.5 = 0.5 -> 0.5; 1 - 3 = -2 -> 3
    assert multiclass_hinge(logits, labels).item() == pytest.approx((0.5 + 3.0) / 2)
    assert multiclass_hinge(torch.tensor([[5.0, 0.0]]), torch.tensor([0])).item() == 0.0


SPEC = "name: l\ntask: {kind: modular, modulus: 7}\nmodel: {kind: embed_mlp}\ntrain: {steps: 10, loss: %s%s}\n" \
       "probes: {every: 5}\n"


def test_the_loss_dtype_is_the_losses_own(monkeypatch):
    seen = []

    def spy(logits, labels):
        seen.append(logits.dtype)
        return stablemax_cross_entropy(logits, labels)

    monkeypatch.setitem(objective.LOSSES._entries, "stablemax", objective.LossKind(spy, objective.per_member(spy)))
    loss = build_loss(clockspec.loads(SPEC % ("stablemax", ", loss_dtype: float64")).train)
    assert loss(torch.zeros(2, 3), torch.tensor([0, 1])).dtype == torch.float64 and seen == [torch.float64]
    plain = build_loss(clockspec.loads(SPEC % ("stablemax", "")).train)
    assert plain(torch.zeros(2, 3), torch.tensor([0, 1])).dtype == torch.float32


def test_the_loss_dtype_is_in_the_objective_node_and_the_batch_key():
    plain, wide = clockspec.loads(SPEC % ("hinge", "")), clockspec.loads(SPEC % ("hinge", ", loss_dtype: float64"))
    assert "loss_dtype" not in plain.compile().nodes["objective"].data
    assert wide.compile().nodes["objective"].data["loss_dtype"] == "float64"
    assert batch_key(plain) != batch_key(wide)


def test_explain_says_which_loss_in_which_precision():
    from clockspec.compiler.explain import explain

    text = explain(clockspec.loads(SPEC % ("stablemax", ", loss_dtype: float64")).compile())
    assert "Loss: cross-entropy through StableMax" in text and "computed in float64 from the logits on" in text
    assert "Loss: multiclass hinge" in explain(clockspec.loads(SPEC % ("hinge", "")).compile())
