"""Gradient clipping: the update uses a gradient of total norm at most max_norm, same direction,
for each member of a stack on its own."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from clockspec.ir.interventions import GradClip
from clockspec.runtime.interventions import build_interventions


def clipped(max_norm, grads):
    """Two stacked parameters a (K, 2) and b (K, 1) with these per-member gradients, clipped."""
    a = torch.zeros(len(grads), 2, requires_grad=True)
    b = torch.zeros(len(grads), 1, requires_grad=True)
    a.grad = torch.stack([g[0] for g in grads])
    b.grad = torch.stack([g[1] for g in grads])
    stack = SimpleNamespace(params={"a": a, "b": b}, rows=list(range(len(grads))))
    cfgs = [("grad_clip", GradClip(max_norm=max_norm)), ("weight_norm", None)]
    build_interventions(cfgs, []).after_backward(stack)
    return a.grad, b.grad


def test_a_large_gradient_is_scaled_to_max_norm():
    a, b = clipped(1.0, [(torch.tensor([3.0, 0.0]), torch.tensor([4.0]))])  # total norm 5
    assert torch.allclose(a[0], torch.tensor([0.6, 0.0]), atol=1e-6)
    assert torch.allclose(b[0], torch.tensor([0.8]), atol=1e-6)


def test_a_small_gradient_is_left_alone():
    a, b = clipped(10.0, [(torch.tensor([3.0, 0.0]), torch.tensor([4.0]))])
    assert a[0].tolist() == [3.0, 0.0] and b[0].tolist() == [4.0]


def test_each_member_is_clipped_by_its_own_norm():
    a, b = clipped(1.0, [(torch.tensor([3.0, 0.0]), torch.tensor([4.0])), (torch.tensor([0.3, 0.0]), torch.tensor([0.4]))])
    assert torch.allclose(a[0], torch.tensor([0.6, 0.0]), atol=1e-6)
    assert a[1].tolist() == pytest.approx([0.3, 0.0]) and b[1].tolist() == pytest.approx([0.4])


def test_max_norm_must_be_positive():
    with pytest.raises(ValueError):
        GradClip(max_norm=0.0)
