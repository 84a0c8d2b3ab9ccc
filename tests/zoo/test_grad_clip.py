"""Gradient clipping: the update uses a gradient of total norm at most max_norm, same direction."""
from __future__ import annotations

import pytest
import torch

from clockspec.ir.interventions import GradClip
from clockspec.runtime.interventions import build_interventions


class Two(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.zeros(2))
        self.b = torch.nn.Parameter(torch.zeros(1))


def hooks_with_grads(max_norm, grads):
    model = Two()
    model.a.grad, model.b.grad = grads[0].clone(), grads[1].clone()
    cfgs = [("grad_clip", GradClip(max_norm=max_norm)), ("weight_norm", None)]
    build_interventions(cfgs, model).after_backward()
    return model


def test_a_large_gradient_is_scaled_to_max_norm():
    model = hooks_with_grads(1.0, [torch.tensor([3.0, 0.0]), torch.tensor([4.0])])  # total norm 5
    assert torch.allclose(model.a.grad, torch.tensor([0.6, 0.0]), atol=1e-6)
    assert torch.allclose(model.b.grad, torch.tensor([0.8]), atol=1e-6)


def test_a_small_gradient_is_left_alone():
    model = hooks_with_grads(10.0, [torch.tensor([3.0, 0.0]), torch.tensor([4.0])])
    assert model.a.grad.tolist() == [3.0, 0.0] and model.b.grad.tolist() == [4.0]


def test_max_norm_must_be_positive():
    with pytest.raises(ValueError):
        GradClip(max_norm=0.0)
